import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStation } from '../../config/load-station-config.js';
import { collectDoctorFacts } from '../../gateway/ops/diagnostics/doctor-facts.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { StationStore } from '../../gateway/store/station-store.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir> | undefined;
let store: StationStore | undefined;
afterEach(() => {
  store?.stop();
  dir?.remove();
  store = undefined;
});

/** A station file naming a certificate made by openssl that expires in `days`. */
async function station(days: number) {
  dir = tempDir('doctor-facts-');
  const d = dir.path;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(d, 'station.key'), '-out', join(d, 'station.crt'), '-days', String(days), '-subj', '/CN=df-1'], { stdio: 'ignore' });
  const file = join(d, 'station.yaml');
  writeFileSync(
    file,
    `station: { id: df-1 }
cloud: { url: mqtts://127.0.0.1:8883, cert: station.crt, key: station.key }
storage: { path: data/gateway.db }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 1502, unitId: 3 } }
`,
  );
  const loaded = await loadStation(file);
  store = new StationStore(loaded.config.storage.path, silentLogger());
  store.start();
  return loaded;
}

const floor = new Date(Date.now() + 3_600_000);
const behind = { now: floor, trusted: false, reason: 'behind-floor' as const, floor };

describe('the doctor checks for cmd/doctor', () => {
  it('reports the certificate days to expiry, the outbox and the clock as the station keeps them', async () => {
    const loaded = await station(10);
    store!.outbox.append({ type: 'fire.ended', data: {}, ts: new Date('2026-11-28T10:00:00.000Z') });
    store!.outbox.append({ type: 'fire.ended', data: {} });
    const facts = collectDoctorFacts({ config: loaded.config, monitors: [], outbox: store!.outbox, clock: () => behind, sysRoot: join(dir!.path, 'no-sys') });
    assertContract('doctor-result', facts);
    expect(facts.certificate).toMatchObject({ commonName: 'df-1' });
    const days = (facts.certificate as { daysToExpiry: number }).daysToExpiry;
    expect(days).toBeGreaterThan(9.9);
    expect(days).toBeLessThanOrEqual(10);
    expect(facts.checks.find((c) => c.check === 'certificate')?.status).toBe('warn');
    expect(facts.database).toMatchObject({ pending: 2, oldestPending: '2026-11-28T10:00:00.000Z' });
    expect(facts.clock).toEqual({ now: floor.toISOString(), trusted: false, reason: 'behind-floor', floor: floor.toISOString() });
    expect(facts.checks.find((c) => c.check === 'clock trusted')?.status).toBe('fail');
    expect(facts.sdCard).toEqual({ device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' });
    expect(facts.ok).toBe(false);
  });

  it('says why a certificate cannot be read (replaced or removed since start) instead of failing the request', async () => {
    const loaded = await station(30);
    writeFileSync(loaded.config.cloud.cert!, 'not a certificate\n');
    const facts = collectDoctorFacts({ config: loaded.config, monitors: [], outbox: store!.outbox, clock: () => ({ ...behind, trusted: true, reason: 'system' }) });
    assertContract('doctor-result', facts);
    expect(facts.certificate).toEqual({ file: loaded.config.cloud.cert, error: 'no certificate in the file' });
    expect(facts.checks.find((c) => c.check === 'certificate')?.status).toBe('fail');
    rmSync(loaded.config.cloud.cert!);
    const gone = collectDoctorFacts({ config: loaded.config, monitors: [], outbox: store!.outbox, clock: () => behind });
    expect(gone.certificate).toMatchObject({ file: loaded.config.cloud.cert, error: expect.stringContaining('ENOENT') });
  });
});
