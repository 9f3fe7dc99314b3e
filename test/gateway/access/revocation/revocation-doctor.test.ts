import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StationConfig } from '../../../../config/station-schema.js';
import { checkRevocations } from '../../../../gateway/ops/doctor/revocation-check.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { HOUR, listOf, revocationKeys, sign, T0 } from './revocation-fixture.js';

describe("doctor's revocations row", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('revocation-doctor-');
    mkdirSync(join(dir.path, 'data'));
  });
  afterEach(() => dir.remove());

  const configFor = (trustedKeys: string): StationConfig => ({ access: { trustedKeys }, storage: { path: join(dir.path, 'data', 'gateway.db') } }) as unknown as StationConfig;

  it('says the seq and age of the kept list, warns past a day, and warns for none or a damaged one', async () => {
    const { key, file } = await revocationKeys(dir.path);
    const config = configFor(file);
    expect(await checkRevocations(configFor(file), new Date(T0))).toMatchObject({ check: 'revocations', status: 'warn', detail: expect.stringContaining('no list kept') });
    expect(await checkRevocations({ ...config, access: undefined } as StationConfig, new Date(T0))).toBeUndefined();

    const list = join(dir.path, 'data', 'revocations.jws');
    writeFileSync(list, await sign(key, listOf(7, {}, T0)));
    expect(await checkRevocations(config, new Date(T0 + 2 * HOUR))).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^list 7 issued 2026-12-01T20:00:00.000Z \(2 h ago\)/) });
    expect(await checkRevocations(config, new Date(T0 + 25 * HOUR))).toMatchObject({ status: 'warn', detail: expect.stringContaining('the station may honour passes revoked since') });

    writeFileSync(list, 'garbage');
    expect(await checkRevocations(config, new Date(T0))).toMatchObject({ status: 'warn', detail: expect.stringContaining('REVOCATION_FILE_DAMAGED') });
  });
});
