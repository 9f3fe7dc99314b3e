import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorResult, LogsResult } from '../../cloud-bridge/contract-schemas.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import { ClockTrust } from '../../gateway/access/clock-trust.js';
import { DiagnoseAuthority } from '../../gateway/access/diagnose-authority.js';
import { PassVerifier } from '../../gateway/access/pass/pass-verifier.js';
import { TokenVerifier } from '../../gateway/access/token-verifier.js';
import { DIAGNOSTICS_PER_MINUTE, DiagnosticsService, openUsageLog } from '../../gateway/ops/diagnostics/diagnostics-service.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { queryEvents } from '../../gateway/store/usage-log-query.js';
import { StationStore } from '../../gateway/store/station-store.js';
import { generatePhoneKey, issuePass, rollingCode, stepAt, type PassRequest, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertEventData } from '../cloud-bridge/contract-validator.js';
import { FakeRevocations } from '../gateway/access/pass-access-harness.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * cmd/logs and cmd/doctor with an operator pass's rolling code (act diagnose, res the station),
 * as the console signs one in the browser: the real verifiers on one trusted key file, the real
 * store on disk and its usage log; passes and codes from the cloud's and the phone's side.
 */

const STATION = 'diag-rc-1';
let dir: ReturnType<typeof tempDir>;
let store: StationStore;
let fleet: IssuerKey;
let phone: PhoneKey;
let revocations: FakeRevocations;
let service: DiagnosticsService;
let mono = 0;

beforeEach(async () => {
  dir = tempDir('diag-rc-');
  store = new StationStore(join(dir.path, 'gateway.db'), silentLogger());
  store.start();
  fleet = await generateIssuerKey('fleet-rc');
  phone = generatePhoneKey();
  writeTrustedKeys(join(dir.path, 'keys.jwks.json'), [fleet]);
  const keys = await loadTrustedKeys(join(dir.path, 'keys.jwks.json'));
  const verifier = new TokenVerifier({ stationId: STATION, keys, maxTokenSeconds: 300, skewSeconds: 60, untrustedClock: 'floor' });
  const passes = new PassVerifier({ keys, stationId: STATION, skewSeconds: 60, untrustedClock: 'floor' });
  const clock = new ClockTrust({ mode: 'system', floor: store.timeFloor, skewMs: 60_000, log: silentLogger() });
  revocations = new FakeRevocations();
  mono = 0;
  service = new DiagnosticsService({
    authority: new DiagnoseAuthority({ stationId: STATION, verifier, passes, revocations, clock }),
    outbox: store.outbox,
    openLog: () => openUsageLog(join(dir.path, 'gateway.db')),
    doctor: () => doctorResult(),
    log: silentLogger(),
    monotonic: () => mono,
  });
});

afterEach(() => {
  store.stop();
  dir.remove();
});

function doctorResult(): DoctorResult {
  const ts = new Date().toISOString();
  return {
    station: STATION, ts, ok: true, checks: [], devices: [],
    clock: { now: ts, trusted: true, reason: 'system', floor: null },
    disk: { path: '/', freeBytes: 1, totalBytes: 2, budgetBytes: 1 },
    database: { path: '/x', bytes: 1, pending: 0, oldestPending: null },
    certificate: null,
    sdCard: { device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' },
  };
}

const pass = (over: Partial<PassRequest> = {}): Uint8Array =>
  issuePass(fleet, { sub: 'ops-7', role: 'operator', phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'diagnose', res: STATION }, { act: 'unlock' }], ...over });
const code = (p: Uint8Array = pass(), res = STATION): string => rollingCode(p, phone, { act: 'diagnose', res, station: STATION });

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

const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'GRANTED', (err: unknown) => (err as { code?: unknown }).code);

describe('a rolling code for diagnose', () => {
  it('answers doctor, and pages a log with one code: not spent, each page on record by pass and step', async () => {
    for (let i = 0; i < 30; i++) store.outbox.append({ type: 'access.denied', data: { code: 'CLOSED', reason: 'x'.repeat(3000), via: 'cloud', n: i } });
    const cti = new Uint8Array(16).fill(7);
    const text = code(pass({ cti }));
    await expect(service.handle('doctor', { token: text })).resolves.toMatchObject({ station: STATION, ok: true });
    const first = (await service.handle('logs', { token: text, type: 'access.*' }, 50_000)) as LogsResult;
    expect(first.truncated).toBe(true);
    expect(first.next).toBeDefined();
    const second = (await service.handle('logs', { token: text, type: 'access.*', cursor: first.next! }, 50_000)) as LogsResult;
    expect(second.rows.length).toBeGreaterThan(0);
    expect(second.rows[0]!).not.toEqual(first.rows[0]);
    const passId = Buffer.from(cti).toString('base64url');
    const step = stepAt(new Date());
    // Not spent: the replay cache holds nothing for the pass's step, so a spending code of it still works.
    expect(store.replayCache.lookup(`pass:${passId}:${step}`)).toBeUndefined();
    const granted = audits().filter((a) => a['granted'] === true);
    expect(granted).toHaveLength(3);
    for (const a of granted) {
      expect(a).toMatchObject({ sub: 'ops-7', role: 'operator', pass: passId, kid: fleet.kid });
      expect([step, step - 1]).toContain(a['step']);
      expect(a).not.toHaveProperty('jti');
    }
    expect(JSON.stringify(store.outbox.pending(1000))).not.toContain(text.slice(4, 60));
  });

  it('refuses a worker\'s code FORBIDDEN, even one whose pass grants diagnose; on record with the worker', async () => {
    const worker = pass({ sub: 'w-1', role: 'worker' });
    expect(await refusal(service.handle('logs', { token: code(worker) }))).toBe('FORBIDDEN');
    const doorOnly = pass({ sub: 'w-2', role: 'worker', grants: [{ act: 'unlock', res: 'main-door' }] });
    expect(await refusal(service.handle('doctor', { token: code(doorOnly) }))).toBe('FORBIDDEN');
    expect(audits()).toEqual([
      expect.objectContaining({ command: 'logs', granted: false, code: 'FORBIDDEN', sub: 'w-1', act: 'diagnose', res: STATION, reason: expect.stringContaining('operator') }),
      expect.objectContaining({ command: 'doctor', granted: false, code: 'FORBIDDEN', sub: 'w-2', act: 'diagnose' }),
    ]);
  });

  it('refuses a code whose res is not the station FORBIDDEN, though the pass grants diagnose on any resource', async () => {
    const anyRes = pass({ grants: [{ act: 'diagnose' }] });
    expect(await refusal(service.handle('logs', { token: code(anyRes, 'main-door') }))).toBe('FORBIDDEN');
    expect(await refusal(service.handle('logs', { token: code(anyRes) }))).toBe('GRANTED');
    expect(audits()[0]).toMatchObject({ granted: false, code: 'FORBIDDEN', res: 'main-door', sub: 'ops-7' });
  });

  it('refuses an unlock code FORBIDDEN, and a revoked operator pass REVOKED', async () => {
    const p = pass();
    const unlock = rollingCode(p, phone, { act: 'unlock', res: 'main-door', station: STATION });
    expect(await refusal(service.handle('doctor', { token: unlock }))).toBe('FORBIDDEN');
    revocations.workers.add('ops-7');
    expect(await refusal(service.handle('doctor', { token: code(p) }))).toBe('REVOKED');
  });

  it('refuses junk BAD_TOKEN for free: no budget spent, written once a minute with the count', async () => {
    const junk = 'RC1:' + 'A'.repeat(300);
    for (let i = 0; i < DIAGNOSTICS_PER_MINUTE + 5; i++) expect(await refusal(service.handle('logs', { token: junk }))).toBe('BAD_TOKEN');
    const stranger = await generateIssuerKey('fleet-rc');
    expect(await refusal(service.handle('logs', { token: code(issuePass(stranger, { sub: 'x', role: 'operator', phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'diagnose' }] })) }))).toBe('BAD_TOKEN');
    await expect(service.handle('doctor', { token: code() })).resolves.toMatchObject({ ok: true });
    const refused = audits().filter((a) => a['granted'] === false);
    expect(refused).toEqual([expect.objectContaining({ command: 'logs', code: 'BAD_TOKEN', attempts: 1 })]);
    mono += 61_000;
    expect(await refusal(service.handle('logs', { token: junk }))).toBe('BAD_TOKEN');
    expect(audits().filter((a) => a['granted'] === false).at(-1)).toMatchObject({ code: 'BAD_TOKEN', attempts: DIAGNOSTICS_PER_MINUTE + 6 });
  });
});
