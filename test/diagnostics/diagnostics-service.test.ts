import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../cloud-bridge/contract-schemas.js';
import { MAX_PACKET_BYTES } from '../../cloud-bridge/mqtt-frame-scanner.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import { ClockTrust } from '../../gateway/access/clock-trust.js';
import { DiagnoseAuthority } from '../../gateway/access/diagnose-authority.js';
import { TokenVerifier } from '../../gateway/access/token-verifier.js';
import { DIAGNOSTICS_PER_MINUTE, DiagnosticsService, openUsageLog } from '../../gateway/ops/diagnostics/diagnostics-service.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { queryEvents } from '../../gateway/store/usage-log-query.js';
import { StationStore } from '../../gateway/store/station-store.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertEventData } from '../cloud-bridge/contract-validator.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The service on its real parts (token verifier, clock trust, store) with a doctor of as many
 * devices as a test likes and a clock of its own for the rate limit.
 */

const STATION = 'svc-1';
let dir: ReturnType<typeof tempDir>;
let store: StationStore;
let issuer: IssuerKey;
let now = 0;
let devices = 2;

function doctor(): DoctorResult {
  const ts = new Date().toISOString();
  const list = Array.from({ length: devices }, (_, i) => ({
    id: `cabinet-${i}`, kind: 'battery-cabinet' as const, model: 'CAB-REF', bus: `10.0.0.${i % 250}:502`, unitId: 1, online: true, lastSeen: ts, latencyMs: 12.5, polls: 1000, errors: { timeout: 1, crc: 0 },
  }));
  return {
    station: STATION, ts, ok: true,
    checks: list.map((d) => ({ check: `device ${d.id}`, status: 'pass' as const, detail: `online on ${d.bus} unit 1, 1000 polls, 1 failed` })),
    devices: list,
    clock: { now: ts, trusted: true, reason: 'system', floor: null },
    disk: { path: '/', freeBytes: 1, totalBytes: 2, budgetBytes: 1 },
    database: { path: '/x', bytes: 1, pending: 0, oldestPending: null },
    certificate: null,
    sdCard: { device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' },
  };
}

let service: DiagnosticsService;

beforeEach(async () => {
  dir = tempDir('diag-svc-');
  store = new StationStore(join(dir.path, 'gateway.db'), silentLogger());
  store.start();
  issuer = await generateIssuerKey('svc-key');
  writeTrustedKeys(join(dir.path, 'keys.jwks.json'), [issuer]);
  const verifier = new TokenVerifier({ stationId: STATION, keys: await loadTrustedKeys(join(dir.path, 'keys.jwks.json')), maxTokenSeconds: 300, skewSeconds: 60, untrustedClock: 'floor' });
  const clock = new ClockTrust({ mode: 'system', floor: store.timeFloor, skewMs: 60_000, log: silentLogger() });
  now = 0;
  devices = 2;
  service = new DiagnosticsService({
    authority: new DiagnoseAuthority({ stationId: STATION, verifier, clock }),
    outbox: store.outbox,
    openLog: () => openUsageLog(join(dir.path, 'gateway.db')),
    doctor,
    log: silentLogger(),
    monotonic: () => now,
  });
});

afterEach(() => {
  store.stop();
  dir.remove();
});

const operatorToken = (): Promise<string> => issueToken(issuer, { station: STATION, res: STATION, act: 'diagnose', role: 'operator', sub: 'ops-1' });
function audits(): Array<Record<string, unknown>> {
  const db = openUsageLog(join(dir.path, 'gateway.db'));
  try {
    return queryEvents(db, { types: ['diagnostics.requested'] }).map((e) => {
      assertEventData(e.type, e.data);
      return e.data;
    });
  } finally {
    db.close();
  }
}

const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => (err as { code?: unknown }).code);

describe('DiagnosticsService', () => {
  it(`answers ${DIAGNOSTICS_PER_MINUTE} a minute, then BUSY (on record once), then again as the budget refills`, async () => {
    const token = await operatorToken();
    for (let i = 0; i < DIAGNOSTICS_PER_MINUTE; i++) await service.handle('doctor', { token });
    expect(await refusal(service.handle('doctor', { token }))).toBe('BUSY');
    expect(await refusal(service.handle('doctor', { token }))).toBe('BUSY');
    const busy = audits().filter((a) => a['code'] === 'BUSY');
    expect(busy).toEqual([expect.objectContaining({ command: 'doctor', granted: false, sub: 'ops-1', attempts: 1 })]);
    now += 2000;
    await expect(service.handle('doctor', { token })).resolves.toMatchObject({ station: STATION });
    expect(audits().filter((a) => a['granted'] === true)).toHaveLength(DIAGNOSTICS_PER_MINUTE + 1);
  });

  it('keeps a large station\'s doctor result inside one packet, and refuses one that cannot fit', async () => {
    const token = await operatorToken();
    devices = 200;
    const full = JSON.stringify(doctor()).length;
    expect(full).toBeGreaterThan(MAX_PACKET_BYTES - 1000);
    const lean = (await service.handle('doctor', { token }, 1000)) as DoctorResult;
    expect(lean.devices).toHaveLength(200);
    expect(lean.checks.filter((c) => c.check.startsWith('device '))).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(lean))).toBeLessThanOrEqual(MAX_PACKET_BYTES - 1000);
    devices = 400;
    expect(await refusal(service.handle('doctor', { token }))).toBe('INTERNAL');
    expect(audits().at(-1)).toMatchObject({ command: 'doctor', granted: false, code: 'INTERNAL', sub: 'ops-1' });
  });

  it('refuses a page when the reply topic and correlation leave no room', async () => {
    const token = await operatorToken();
    expect(await refusal(service.handle('logs', { token }, MAX_PACKET_BYTES - 1000))).toBe('BAD_REQUEST');
    await expect(service.handle('logs', { token }, 20_000)).resolves.toMatchObject({ truncated: false });
  });
});
