import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorResult } from '../../../cloud-bridge/contract-schemas.js';

/** JEDEC eMMC 5.0 PRE_EOL_INFO: how much of its reserved blocks the card has used. */
const PRE_EOL = { '0x01': 'normal', '0x02': 'warning', '0x03': 'urgent' } as const;

/**
 * SD-card (or eMMC) wear as the card itself reports it through the kernel
 * (`/sys/block/<dev>/device/life_time`, `pre_eol_info`); most SD cards report neither, and then
 * the answer is `unknown`: wear is never estimated from writes. `sysRoot` is `/sys` on a station.
 */
export function readSdCardWear(device = 'mmcblk0', sysRoot = '/sys'): DoctorResult['sdCard'] {
  const dir = join(sysRoot, 'block', device, 'device');
  const lifeTime = readField(join(dir, 'life_time'));
  const preEol = readField(join(dir, 'pre_eol_info'));
  const pair = lifeTime?.split(/\s+/).filter((v) => /^0x[0-9a-fA-F]{2}$/.test(v));
  const eol = preEol !== undefined ? PRE_EOL[preEol.toLowerCase() as keyof typeof PRE_EOL] : undefined;
  return {
    device,
    lifeTime: pair && pair.length === 2 ? [pair[0] as string, pair[1] as string] : 'unknown',
    preEol: eol ?? 'unknown',
  };
}

function readField(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
