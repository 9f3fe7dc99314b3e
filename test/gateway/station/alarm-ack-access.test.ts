import { beforeAll, describe, expect, it } from 'vitest';
import { AccessService, type AccessEffects, type AccessSource } from '../../../gateway/access/access-service.js';
import { ClockTrust } from '../../../gateway/access/clock-trust.js';
import { PassVerifier } from '../../../gateway/access/pass/pass-verifier.js';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { AlarmAckEffect } from '../../../gateway/station/alarm-acknowledgement.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import { issuePass, rollingCode, stepAt, type CodeRequest } from '../../../simulators/cloud/pass-issuer.js';
import { issueToken } from '../../../simulators/cloud/token-issuer.js';
import { NOW, STATION, passWorld, workerPass, type PassWorld } from '../access/pass/pass-fixture.js';
import { passConfig } from '../access/pass-access-harness.js';
import { useTempStores } from '../store/temp-store.js';

/*
 * `cmd/ack` through the station's access decision, as the wiring builds it: an operator's rolling
 * code (or token) for `operate` on the station itself, checked like every spending code (pass and
 * phone signatures, step, replay, role), on a real store on disk. Nothing about it opens anything.
 */

let world: PassWorld;
const stores = useTempStores();
beforeAll(async () => {
  world = await passWorld();
});

const ackSource: AccessSource = { kind: 'cloud', command: 'operate', target: 'station' };

function station() {
  const cfg = passConfig();
  const access = cfg.access!;
  const store = stores.start();
  const alarms = new StationAlarms(store.alarms, store.outbox, silentLogger(), () => NOW);
  const done: string[] = [];
  const effects: AccessEffects = {
    unlock: async (r) => (done.push(`unlock ${r.name}`), {}),
    swap: async (r) => (done.push(`swap ${r.name}`), {}),
    dispense: async (r) => (done.push(`dispense ${r.name}`), {}),
    operate: async (r) => (done.push(`operate ${r.name}`), {}),
    acknowledge: new AlarmAckEffect(alarms, silentLogger()),
  };
  const common = { stationId: STATION, keys: world.keys, skewSeconds: access.clockSkewSeconds, untrustedClock: access.untrustedClock };
  const service = new AccessService({
    config: cfg,
    verifier: new TokenVerifier({ ...common, maxTokenSeconds: access.maxTokenSeconds }),
    passes: new PassVerifier({ ...common, stationCode: cfg.station.code, stationGroups: cfg.station.groups, maxPassSeconds: access.maxPassSeconds }),
    clock: new ClockTrust({ mode: access.clockTrust, floor: store.timeFloor, skewMs: access.clockSkewSeconds * 1000, log: silentLogger(), clock: () => NOW, synchronised: () => true }),
    replay: store.replayCache,
    outbox: store.outbox,
    effects,
    deviceKind: (d) => cfg.devices.find((x) => x.id === d)?.kind,
    deviceOnline: () => true,
    peopleInside: () => 0,
    log: silentLogger(),
  });
  const outcome = async (text: string, request: Record<string, unknown>, source: AccessSource = ackSource): Promise<Record<string, unknown> | string> => {
    try {
      return await service.handle(source, text, { token: text, ...request });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') throw err;
      return code;
    }
  };
  const events = (type: string) =>
    store.outbox
      .pending(1000)
      .filter((e) => e.type === type)
      .map((e): Record<string, unknown> => ({ device: e.device, ...e.data }));
  return { alarms, done, outcome, events };
}

const operatorPass = (): Uint8Array =>
  issuePass(world.fleet, {
    sub: 'op-lin',
    role: 'operator',
    phoneKey: world.phone.publicKey,
    stations: [STATION],
    grants: [{ act: 'unlock' }, { act: 'operate' }, { act: 'diagnose', res: STATION }],
    issuedAt: new Date(NOW.getTime() - 3600_000),
  });
const code = (pass: Uint8Array, request: Partial<CodeRequest> = {}): string => rollingCode(pass, world.phone, { act: 'operate', res: STATION, station: STATION, at: NOW, ...request });
const forced = { alarm: 'door.forced', severity: 'critical', device: 'lock-1', detail: { door: 1 } } as const;

describe('cmd/ack through the access decision', () => {
  it('an operator\'s rolling code acknowledges the alarm: granted on record (no device, nothing opened), the alarm names the pass\'s sub', async () => {
    const s = station();
    s.alarms.raise(forced);
    const result = await s.outcome(code(operatorPass()), { alarm: 'door.forced', device: 'lock-1', note: 'on my way' });
    expect(result).toEqual({ alarm: 'door.forced', device: 'lock-1', acknowledged: { by: 'op-lin', at: NOW.toISOString(), note: 'on my way' } });
    expect(s.alarms.active()[0]).toMatchObject({ acknowledged: { by: 'op-lin' } });
    expect(s.done).toEqual([]);
    const [granted] = s.events('access.granted');
    expect(granted).toMatchObject({ device: undefined, res: STATION, act: 'operate', sub: 'op-lin', role: 'operator', via: 'cloud', step: stepAt(NOW) });
    expect(s.events('alarm.acknowledged')).toEqual([{ device: 'lock-1', alarm: 'door.forced', by: 'op-lin', note: 'on my way' }]);
  });

  it('takes an operator token (JWS) as well', async () => {
    const s = station();
    s.alarms.raise(forced);
    const token = await issueToken(world.fleet, { station: STATION, res: STATION, act: 'operate', role: 'operator', sub: 'op-wang', issuedAt: new Date(NOW.getTime() - 5000) });
    expect(await s.outcome(token, { alarm: 'door.forced', device: 'lock-1' })).toMatchObject({ acknowledged: { by: 'op-wang' } });
  });

  it('a worker\'s code is FORBIDDEN, even with an operate grant; an unlock code or another resource\'s is FORBIDDEN; nothing is acknowledged or opened', async () => {
    const s = station();
    s.alarms.raise(forced);
    const request = { alarm: 'door.forced', device: 'lock-1' };
    // A worker's ordinary pass: it grants no operate.
    expect(await s.outcome(code(workerPass(world)), request)).toBe('FORBIDDEN');
    // A worker's pass that does grant operate: the role decides.
    const workerWithOperate = workerPass(world, { grants: [{ act: 'operate' }] });
    expect(await s.outcome(code(workerWithOperate), request)).toBe('FORBIDDEN');
    expect(s.events('access.denied').at(-1)).toMatchObject({ code: 'FORBIDDEN', sub: 'w-5f3c9a1e', reason: expect.stringContaining('operator') });
    // An operator's unlock code, and an operate code for the cabinet, sent as an ack.
    const op = operatorPass();
    expect(await s.outcome(code(op, { act: 'unlock', res: 'main-door' }), request)).toBe('FORBIDDEN');
    expect(await s.outcome(code(op, { res: 'cabinet-1', step: stepAt(NOW) + 1 }), request)).toBe('FORBIDDEN');
    expect(s.alarms.active()[0]).not.toHaveProperty('acknowledged');
    expect(s.done).toEqual([]);
    expect(s.events('access.granted')).toEqual([]);
  });

  it('NOT_ACTIVE leaves the code unspent; once carried out, the same code again is REPLAYED', async () => {
    const s = station();
    const text = code(operatorPass());
    const request = { alarm: 'door.forced', device: 'lock-1' };
    expect(await s.outcome(text, request)).toBe('NOT_ACTIVE');
    s.alarms.raise(forced);
    expect(await s.outcome(text, request)).toMatchObject({ acknowledged: { by: 'op-lin' } });
    expect(await s.outcome(text, request)).toBe('REPLAYED');
    expect(s.events('access.denied').map((e) => e['code'])).toEqual(['NOT_ACTIVE', 'REPLAYED']);
  });

  it('a station-wide operate code is no resource for other commands: as cmd/slot it is UNKNOWN_RESOURCE', async () => {
    const s = station();
    s.alarms.raise(forced);
    expect(await s.outcome(code(operatorPass()), { alarm: 'door.forced', device: 'lock-1', slot: 1, enabled: false }, { kind: 'cloud', command: 'operate' })).toBe('UNKNOWN_RESOURCE');
    expect(s.alarms.active()[0]).not.toHaveProperty('acknowledged');
    expect(s.done).toEqual([]);
  });
});
