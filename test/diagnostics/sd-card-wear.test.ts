import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSdCardWear } from '../../gateway/ops/diagnostics/sd-card-wear.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => dir?.remove());

function sys(files: Record<string, string>): string {
  dir = tempDir('sys-');
  const device = join(dir.path, 'block', 'mmcblk0', 'device');
  mkdirSync(device, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(device, name), text);
  return dir.path;
}

describe('SD-card wear', () => {
  it('reads what an eMMC reports (life_time types A and B, pre_eol_info)', () => {
    expect(readSdCardWear('mmcblk0', sys({ life_time: '0x02 0x01\n', pre_eol_info: '0x02\n' }))).toEqual({ device: 'mmcblk0', lifeTime: ['0x02', '0x01'], preEol: 'warning' });
  });

  it('is unknown where the card reports nothing or something else, never a guess', () => {
    expect(readSdCardWear('mmcblk0', sys({}))).toEqual({ device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' });
    expect(readSdCardWear('mmcblk0', sys({ life_time: 'garbage', pre_eol_info: '0x09' }))).toEqual({ device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' });
    expect(readSdCardWear('mmcblk1', '/nonexistent-sys')).toEqual({ device: 'mmcblk1', lifeTime: 'unknown', preEol: 'unknown' });
  });
});
