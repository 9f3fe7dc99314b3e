import { stationConfigSchema, type StationConfig } from '../../../config/station-schema.js';
import { AccessService, type AccessEffects, type AccessSource } from '../../../gateway/access/access-service.js';
import { ClockTrust } from '../../../gateway/access/clock-trust.js';
import { PassVerifier } from '../../../gateway/access/pass/pass-verifier.js';
import type { RevocationCheck, RevokedPass } from '../../../gateway/access/revocation-check.js';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import type { TempStores } from '../store/temp-store.js';
import { NOW, STATION, type PassWorld } from './pass/pass-fixture.js';

/*
 * The access decision as the wiring builds it, with both verifiers on the same trusted keys, a
 * real store on disk, the real clock trust on an injected clock and an injected monotonic clock.
 * Devices are out of scope: the effects record what they were asked to do.
 */

export const STATION_CODE = 'hz1';
export const GROUP = 'hz-west';

export function passConfig(access: Record<string, unknown> = {}): StationConfig {
  return stationConfigSchema.parse({
    station: { id: STATION, code: STATION_CODE, groups: [GROUP], timezone: 'Asia/Shanghai' },
    cloud: { url: 'mqtt://127.0.0.1:1883' },
    storage: { path: 'gateway.db' },
    access: { trustedKeys: 'keys.json', ...access },
    resources: {
      'main-door': { device: 'lock-1', door: 1 },
      'side-door': { device: 'lock-1', door: 2 },
      'first-aid': { device: 'lock-1', door: 3, roles: ['operator'] },
      'cabinet-1': { device: 'cabinet-1' },
      'water-1': { device: 'water-1' },
    },
    devices: [
      { id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', path: '/dev/null' } },
      { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId: 1 } },
      { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId: 2 } },
    ],
  });
}

/** A revocation list stand-in: revokes the pass ids and workers it is told, and notes what it was asked. */
export class FakeRevocations implements RevocationCheck {
  readonly passes = new Set<string>();
  readonly workers = new Set<string>();
  readonly asked: RevokedPass[] = [];
  revoked(pass: RevokedPass): string | undefined {
    this.asked.push(pass);
    if (this.passes.has(pass.passId)) return 'pass revoked (phone reported lost)';
    if (this.workers.has(pass.sub)) return 'worker revoked';
    return undefined;
  }
}

export interface PassHarness {
  service: AccessService;
  store: StationStore;
  done: string[];
  clock: { now: Date; synchronised: boolean };
  /** Milliseconds of the injected monotonic clock. */
  mono: { ms: number };
  people: { n: number | undefined };
  online: Set<string>;
  /** The door fails when it is asked to open (DEVICE_ERROR). */
  jam: { door: boolean };
  revocations: FakeRevocations;
}

export function passHarness(world: PassWorld, stores: TempStores, options: { cfg?: StationConfig; store?: StationStore } = {}): PassHarness {
  const cfg = options.cfg ?? passConfig();
  const access = cfg.access!;
  const store = options.store ?? stores.start();
  const done: string[] = [];
  const clock = { now: NOW, synchronised: true };
  const mono = { ms: 1_000_000 };
  const people = { n: 0 as number | undefined };
  const online = new Set(['lock-1', 'cabinet-1', 'water-1']);
  const revocations = new FakeRevocations();
  const jam = { door: false };
  const effects: AccessEffects = {
    unlock: async (r) => {
      if (jam.door) throw Object.assign(new Error('ERR JAMMED'), { code: 'REFUSED' });
      done.push(`unlock ${r.name}`);
      return { res: r.name, door: r.door ?? 1, openMs: r.unlockMs };
    },
    swap: async (r) => (done.push(`swap ${r.name}`), { swapId: 'x', slot: 2 }),
    dispense: async (r) => (done.push(`dispense ${r.name}`), { session: 'open' }),
    operate: async (r) => (done.push(`operate ${r.name}`), {}),
  };
  const trust = new ClockTrust({ mode: access.clockTrust, floor: store.timeFloor, skewMs: access.clockSkewSeconds * 1000, log: silentLogger(), clock: () => clock.now, synchronised: () => clock.synchronised });
  const common = { stationId: STATION, keys: world.keys, skewSeconds: access.clockSkewSeconds, untrustedClock: access.untrustedClock };
  const service = new AccessService({
    config: cfg,
    verifier: new TokenVerifier({ ...common, maxTokenSeconds: access.maxTokenSeconds }),
    passes: new PassVerifier({ ...common, stationCode: cfg.station.code, stationGroups: cfg.station.groups, maxPassSeconds: access.maxPassSeconds }),
    revocations,
    clock: trust,
    replay: store.replayCache,
    outbox: store.outbox,
    effects,
    deviceKind: (d) => cfg.devices.find((x) => x.id === d)?.kind,
    deviceOnline: (d) => online.has(d),
    peopleInside: () => people.n,
    log: silentLogger(),
    monotonic: () => mono.ms,
  });
  return { service, store, done, clock, mono, people, online, jam, revocations };
}

export const scanner: AccessSource = { kind: 'scanner', device: 'scanner-1' };
export const cloud = (command: 'unlock' | 'swap' | 'dispense' | 'operate'): AccessSource => ({ kind: 'cloud', command });

/** The attempt's contract code, or GRANTED. */
export async function outcome(h: PassHarness, source: AccessSource, text: string | Promise<string>): Promise<string> {
  try {
    await h.service.handle(source, await text);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    return code;
  }
  return 'GRANTED';
}

/** access.denied events on disk, oldest first. */
export const deniedEvents = (h: PassHarness): Array<Record<string, unknown>> =>
  h.store.outbox
    .pending(1000)
    .filter((e) => e.type === 'access.denied')
    .map((e) => e.data);

export const grantedEvents = (h: PassHarness): Array<Record<string, unknown>> =>
  h.store.outbox
    .pending(1000)
    .filter((e) => e.type === 'access.granted')
    .map((e) => e.data);
