import { beforeAll, describe, expect, it } from 'vitest';
import { stationConfigSchema } from '../../../config/station-schema.js';
import { AccessService, type AccessEffects, type AccessSource } from '../../../gateway/access/access-service.js';
import { ClockTrust } from '../../../gateway/access/clock-trust.js';
import { PassVerifier } from '../../../gateway/access/pass/pass-verifier.js';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { EventRecorder } from '../../../gateway/station/event-recorder.js';
import { ResourceService } from '../../../gateway/station/resource-service.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { rollingCode, stepAt, type CodeRequest } from '../../../simulators/cloud/pass-issuer.js';
import { useTempStores } from '../store/temp-store.js';
import { NOW, STATION, passWorld, workerPass, type PassWorld } from './pass/pass-fixture.js';
import { passConfig } from './pass-access-harness.js';

/*
 * cmd/service through the access decision, wired as the runtime wires it (the station logic's
 * ResourceService as the effect and as the decision's out-of-service check), on a real store:
 * an operator's `operate` code for the resource, any kind; workers refused while it is out.
 */

let world: PassWorld;
const stores = useTempStores();
beforeAll(async () => {
  world = await passWorld();
});

const service: AccessSource = { kind: 'cloud', command: 'operate', target: 'resource' };
const unlock: AccessSource = { kind: 'cloud', command: 'unlock' };

function station(store: StationStore = stores.start(), cfg = passConfig()) {
  const access = cfg.access!;
  const resources = new ResourceService({ resources: cfg.resources, settings: store.settings, recorder: new EventRecorder(store.outbox, silentLogger()), log: silentLogger(), clock: { now: () => NOW.getTime(), after: () => () => undefined } });
  resources.start();
  const done: string[] = [];
  const effects: AccessEffects = {
    unlock: async (r) => (done.push(`unlock ${r.name}`), { res: r.name }),
    swap: async (r) => (done.push(`swap ${r.name}`), {}),
    dispense: async (r) => (done.push(`dispense ${r.name}`), {}),
    operate: async (r) => (done.push(`operate ${r.name}`), {}),
    service: async (r, claims, request) => ({ ...resources.set(r.name, request['enabled'] === true, claims.sub, typeof request['reason'] === 'string' ? request['reason'] : undefined) }),
  };
  const common = { stationId: STATION, keys: world.keys, skewSeconds: access.clockSkewSeconds, untrustedClock: access.untrustedClock };
  const decision = new AccessService({
    config: cfg,
    verifier: new TokenVerifier({ ...common, maxTokenSeconds: access.maxTokenSeconds }),
    passes: new PassVerifier({ ...common, stationCode: cfg.station.code, stationGroups: cfg.station.groups }),
    clock: new ClockTrust({ mode: 'system', floor: store.timeFloor, skewMs: 60_000, log: silentLogger(), clock: () => NOW }),
    replay: store.replayCache,
    outbox: store.outbox,
    effects,
    deviceKind: (d) => cfg.devices.find((x) => x.id === d)?.kind,
    deviceOnline: () => true,
    peopleInside: () => 0,
    outOfService: (r) => resources.outOfService(r),
    log: silentLogger(),
  });
  return { store, resources, decision, done };
}

const operatorPass = (): Uint8Array => workerPass(world, { sub: 'ops-7', role: 'operator', grants: [{ act: 'operate' }, { act: 'unlock' }] });
const code = (pass: Uint8Array, request: Partial<CodeRequest> & { res: string }, step = stepAt(NOW)): string =>
  rollingCode(pass, world.phone, { act: 'operate', station: STATION, step, ...request });
const workerCode = (step = stepAt(NOW)): string => code(workerPass(world), { act: 'unlock', res: 'main-door' }, step);

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (err) {
    const c = (err as { code?: unknown }).code;
    if (typeof c !== 'string') throw err;
    return c;
  }
}

const events = (store: StationStore, type: string): Array<Record<string, unknown>> =>
  store.outbox
    .pending(1000)
    .filter((e) => e.type === type)
    .map((e) => e.data);

describe('cmd/service through the access decision', () => {
  it('an operator takes the entrance out: a worker\'s code is FORBIDDEN while it is out, also after a restart; back, the worker\'s next code opens', async () => {
    const s = station();
    const pass = operatorPass();
    const out = { resource: 'main-door', enabled: false, reason: 'lock replaced' };
    expect(await outcome(s.decision.handle(service, code(pass, { res: 'main-door' }), out))).toEqual({ resource: 'main-door', enabled: false, changed: true });
    expect(await outcome(s.decision.handle(unlock, workerCode()))).toBe('FORBIDDEN');
    expect(events(s.store, 'access.denied').at(-1)).toMatchObject({ code: 'FORBIDDEN', reason: 'main-door is out of service (lock replaced)', sub: 'w-5f3c9a1e' });
    // Operators too, as for the station file's outOfService: nobody uses it while it is out.
    expect(await outcome(s.decision.handle(unlock, code(pass, { act: 'unlock', res: 'main-door' }, stepAt(NOW) + 1)))).toBe('FORBIDDEN');

    const restarted = station(stores.restart(s.store));
    expect(await outcome(restarted.decision.handle(unlock, workerCode(stepAt(NOW) + 1)))).toBe('FORBIDDEN');
    expect(await outcome(restarted.decision.handle(service, code(pass, { res: 'main-door' }, stepAt(NOW) - 1), { resource: 'main-door', enabled: true }))).toEqual({ resource: 'main-door', enabled: true, changed: true });
    expect(await outcome(restarted.decision.handle(unlock, workerCode(stepAt(NOW) - 1)))).toEqual({ res: 'main-door' });
    expect([...s.done, ...restarted.done]).toEqual(['unlock main-door']);
    expect(events(restarted.store, 'resource.service')).toEqual([
      { resource: 'main-door', enabled: false, by: 'ops-7', reason: 'lock replaced' },
      { resource: 'main-door', enabled: true, by: 'ops-7' },
    ]);
    expect(events(restarted.store, 'access.granted').filter((e) => e['act'] === 'operate').map((e) => e['reason'])).toEqual(['lock replaced', undefined]);
  });

  it('takes any kind of resource, whatever its kind does (a dispenser, a cabinet)', async () => {
    const s = station();
    const pass = operatorPass();
    expect(await outcome(s.decision.handle(service, code(pass, { res: 'water-1' }), { resource: 'water-1', enabled: false }))).toMatchObject({ changed: true });
    expect(await outcome(s.decision.handle(service, code(pass, { res: 'cabinet-1' }, stepAt(NOW) + 1), { resource: 'cabinet-1', enabled: false }))).toMatchObject({ changed: true });
    expect(s.resources.list().map((e) => e.resource)).toEqual(['cabinet-1', 'water-1']);
    expect(await outcome(s.decision.handle({ kind: 'cloud', command: 'dispense' }, code(workerPass(world), { act: 'dispense', res: 'water-1' }, stepAt(NOW) - 1)))).toBe('FORBIDDEN');
  });

  it('refuses before the code is spent: a worker, another resource\'s code, an unlock code, an unknown resource, a station-file outOfService put back', async () => {
    const cfg = stationConfigSchema.parse({ ...passConfig(), resources: { ...passConfig().resources, 'side-door': { device: 'lock-1', door: 2, outOfService: true } } });
    const s = station(undefined, cfg);
    const pass = operatorPass();
    const text = code(pass, { res: 'main-door' });
    const worker = workerPass(world, { grants: [{ act: 'operate' }] });
    expect(await outcome(s.decision.handle(service, code(worker, { res: 'main-door' }), { resource: 'main-door', enabled: false }))).toBe('FORBIDDEN');
    expect(await outcome(s.decision.handle(service, text, { resource: 'water-1', enabled: false }))).toBe('FORBIDDEN');
    expect(await outcome(s.decision.handle(service, code(pass, { act: 'unlock', res: 'main-door' }), { resource: 'main-door', enabled: false }))).toBe('FORBIDDEN');
    expect(await outcome(s.decision.handle(service, code(pass, { res: 'back-door' }), { resource: 'back-door', enabled: false }))).toBe('UNKNOWN_RESOURCE');
    const side = code(pass, { res: 'side-door' });
    expect(await outcome(s.decision.handle(service, side, { resource: 'side-door', enabled: true }))).toBe('FORBIDDEN');
    expect(events(s.store, 'access.denied').at(-1)).toMatchObject({ code: 'FORBIDDEN', reason: expect.stringContaining('station file'), sub: 'ops-7' });
    // None of those spent the operator's step: the same code does what it names.
    expect(await outcome(s.decision.handle(service, text, { resource: 'main-door', enabled: false }))).toMatchObject({ changed: true });
    expect(events(s.store, 'resource.service')).toHaveLength(1);
    expect(s.resources.list().map((e) => `${e.resource} ${e.source}`)).toEqual(['main-door command', 'side-door config']);
  });
});
