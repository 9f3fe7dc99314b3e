import type { Logger } from 'pino';
import type { StationConfig } from '../../config/station-schema.js';
import type { DeviceKind } from '../../device-drivers/device.js';
import { TokenBucket } from '../../cloud-bridge/token-bucket.js';
import type { EventOutbox } from '../store/event-outbox.js';
import type { ReplayCache } from '../store/replay-cache.js';
import { StoreFullError } from '../store/store-errors.js';
import { AccessDenied } from './access-error.js';
import type { ClockTrust } from './clock-trust.js';
import { DailyWindow } from '../station/daily-window.js';
import type { AccessClaims, Action, TokenVerifier } from './token-verifier.js';

/** Where a token came from: a cloud command, or a scanner of this station (uplink not needed). */
export type AccessSource = { kind: 'cloud'; command: Action } | { kind: 'scanner'; device: string };

export interface ResourceRef {
  name: string;
  device: string;
  door: number | undefined;
  unlockMs: number;
}

/** What a granted token makes happen; each resolves with the reply's `result`. */
export interface AccessEffects {
  unlock(resource: ResourceRef, claims: AccessClaims): Promise<Record<string, unknown>>;
  swap(resource: ResourceRef, claims: AccessClaims): Promise<Record<string, unknown>>;
  dispense(resource: ResourceRef, claims: AccessClaims): Promise<Record<string, unknown>>;
  /** `slot` command: an operator takes a cabinet slot out of service or back. */
  operate(resource: ResourceRef, claims: AccessClaims, request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface AccessServiceOptions {
  config: StationConfig;
  verifier: TokenVerifier;
  clock: ClockTrust;
  replay: ReplayCache;
  outbox: EventOutbox;
  effects: AccessEffects;
  /** The kind of each configured device (a GPIO door counts as door-lock). */
  deviceKind: (device: string) => DeviceKind | undefined;
  deviceOnline: (device: string) => boolean;
  /** People inside now, from the occupancy sensor; undefined when unknown. */
  peopleInside: () => number | undefined;
  log: Logger;
  monotonic?: () => number;
}

/** Which actions each kind of resource allows. */
const ACTIONS_BY_KIND: Partial<Record<DeviceKind, readonly Action[]>> = {
  'door-lock': ['unlock'],
  'battery-cabinet': ['swap', 'operate'],
  'water-dispenser': ['dispense'],
};

/** A stored first outcome: the result, or the refusal it ended in. */
type Outcome = { result: Record<string, unknown> } | { error: { code: string; message: string } };

/**
 * One decision for both paths (a cloud command, a scan at the station): rate limit, token,
 * resource and role, replay, policy; then `access.granted` on disk before the effect, or
 * `access.denied` with the code. A token is spent only when granted: a refusal by policy (closed,
 * full) leaves it usable when the station opens. A repeat of a spent token returns its first
 * outcome and does nothing again.
 */
export class AccessService {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly floods = new Map<string, { count: number; loggedAt: number }>();
  private readonly monotonic: () => number;
  private readonly openHours: DailyWindow;

  constructor(private readonly options: AccessServiceOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.openHours = new DailyWindow(options.config.station.openHours, options.config.station.timezone);
  }

  /** Decides on `token` and carries it out; throws AccessDenied (a CommandError) on refusal. */
  async handle(source: AccessSource, token: string, request: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const via = source.kind === 'cloud' ? 'cloud' : source.device;
    this.rateLimit(via);
    let claims: AccessClaims | undefined;
    try {
      const clock = this.options.clock.read();
      claims = await this.options.verifier.verify(token, clock);
      // A verified signature proves the cloud's clock had reached iat: a trusted lower bound.
      this.options.clock.observed(claims.iat, 'token');
      const first = this.firstOutcome(claims.jti);
      if (first) return first;
      const resource = this.authorise(claims, source);
      this.checkPolicy(claims, resource, clock.now);
      return await this.grant(claims, resource, source, via, clock.reason, request);
    } catch (err) {
      if (err instanceof AccessDenied) this.denied(err, via, claims);
      throw err;
    }
  }

  private rateLimit(via: string): void {
    const { scansPerMinute } = this.options.config.access ?? { scansPerMinute: 20 };
    let bucket = this.buckets.get(via);
    if (!bucket) {
      bucket = new TokenBucket(scansPerMinute / 60, scansPerMinute, this.monotonic);
      this.buckets.set(via, bucket);
    }
    if (bucket.take(1) === 1) return;
    // A flood is logged once a minute with its count, never once per attempt: it must not fill the disk.
    const flood = this.floods.get(via) ?? { count: 0, loggedAt: -Infinity };
    flood.count++;
    this.floods.set(via, flood);
    if (this.monotonic() - flood.loggedAt >= 60_000) {
      this.options.outbox.append({ type: 'access.denied', data: { code: 'BUSY', via, reason: 'rate limited', attempts: flood.count } });
      this.options.log.warn({ via, attempts: flood.count }, 'access attempts rate limited');
      flood.loggedAt = this.monotonic();
      flood.count = 0;
    }
    throw new AccessDenied('BUSY', 'too many attempts; wait a minute');
  }

  /** The first outcome of a jti already seen, or undefined for a new one. */
  private firstOutcome(jti: string): Record<string, unknown> | undefined {
    const seen = this.options.replay.lookup(jti);
    return seen ? this.repeat(seen.result as Outcome | undefined) : undefined;
  }

  private repeat(outcome: Outcome | undefined): Record<string, unknown> {
    if (!outcome) throw new AccessDenied('REPLAYED', 'this token was already used');
    if ('error' in outcome) throw new AccessDenied('REPLAYED', `this token was already used (it ended in ${outcome.error.code})`);
    // The contract: a repeated command returns the first result and does nothing.
    return outcome.result;
  }

  private authorise(claims: AccessClaims, source: AccessSource): ResourceRef {
    const res = this.options.config.resources[claims.res];
    if (!res) throw new AccessDenied('UNKNOWN_RESOURCE', `resource "${claims.res}" is not configured at this station`);
    if (source.kind === 'cloud' && source.command !== claims.act) {
      throw new AccessDenied('FORBIDDEN', `the token allows "${claims.act}", not "${source.command}"`);
    }
    const kind = this.options.deviceKind(res.device);
    if (!kind || !(ACTIONS_BY_KIND[kind] ?? []).includes(claims.act)) {
      throw new AccessDenied('FORBIDDEN', `"${claims.act}" is not something ${claims.res} does`);
    }
    if (claims.act === 'operate' && claims.role !== 'operator') throw new AccessDenied('FORBIDDEN', 'operating a cabinet needs an operator token');
    if (!res.roles.includes(claims.role)) throw new AccessDenied('FORBIDDEN', `role ${claims.role} may not use ${claims.res}`);
    return { name: claims.res, device: res.device, door: res.door, unlockMs: res.unlockMs };
  }

  private checkPolicy(claims: AccessClaims, resource: ResourceRef, now: Date): void {
    const { config } = this.options;
    const res = config.resources[resource.name];
    if (res?.outOfService) throw new AccessDenied('FORBIDDEN', `${resource.name} is out of service`);
    // Operators come to fix things, at any hour and whoever is inside.
    if (claims.role === 'operator') return this.checkDevice(resource);
    if (!this.openHours.contains(now)) {
      throw new AccessDenied('CLOSED', `the station is open ${config.station.openHours} (${config.station.timezone})`);
    }
    const max = config.access?.maxPeopleInside;
    const people = this.options.peopleInside();
    if (claims.act === 'unlock' && max !== undefined && people !== undefined && people >= max) {
      throw new AccessDenied('FULL', `${people} people inside; the station takes ${max}`);
    }
    this.checkDevice(resource);
  }

  private checkDevice(resource: ResourceRef): void {
    if (!this.options.deviceOnline(resource.device)) throw new AccessDenied('DEVICE_OFFLINE', `${resource.device} does not answer`);
  }

  private async grant(
    claims: AccessClaims,
    resource: ResourceRef,
    source: AccessSource,
    via: string,
    clock: string,
    request: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { replay, outbox, config } = this.options;
    const skewMs = (config.access?.clockSkewSeconds ?? 60) * 1000;
    let claimed;
    try {
      claimed = replay.claim(claims.jti, new Date(claims.exp.getTime() + skewMs));
      // On disk before the door opens: the usage log never misses a grant that took effect.
      outbox.append({ type: 'access.granted', device: resource.device, data: { res: claims.res, act: claims.act, sub: claims.sub, role: claims.role, via, jti: claims.jti, kid: claims.kid, clock } });
    } catch (err) {
      if (err instanceof StoreFullError) throw new AccessDenied('INTERNAL', 'the station cannot record the access (disk full); nothing was opened');
      throw err;
    }
    if (!claimed.first) return this.repeat(claimed.result as Outcome | undefined);
    let outcome: Outcome;
    try {
      const { effects } = this.options;
      const result =
        claims.act === 'unlock'
          ? await effects.unlock(resource, claims)
          : claims.act === 'swap'
            ? await effects.swap(resource, claims)
            : claims.act === 'dispense'
              ? await effects.dispense(resource, claims)
              : await effects.operate(resource, claims, request);
      outcome = { result };
    } catch (err) {
      const denied = err instanceof AccessDenied ? err : toDenied(err);
      outcome = { error: { code: denied.code, message: denied.message } };
      replay.settle(claims.jti, outcome);
      this.options.log.warn({ res: claims.res, act: claims.act, code: denied.code, via: source.kind }, 'granted access could not be carried out');
      throw denied;
    }
    replay.settle(claims.jti, outcome);
    return outcome.result;
  }

  private denied(err: AccessDenied, via: string, claims: AccessClaims | undefined): void {
    if (err.code === 'BUSY' && !claims) return; // rate limiting logs its own, once a minute
    const data: Record<string, unknown> = { code: err.code, reason: err.message, via };
    if (claims) Object.assign(data, { res: claims.res, act: claims.act, sub: claims.sub, jti: claims.jti });
    const device = claims ? this.options.config.resources[claims.res]?.device : undefined;
    try {
      this.options.outbox.append({ type: 'access.denied', ...(device ? { device } : {}), data });
    } catch (e) {
      if (!(e instanceof StoreFullError)) throw e;
    }
    this.options.log.info({ code: err.code, via, res: claims?.res }, 'access denied');
  }
}

/** A device failure while carrying out a grant, as the contract's DEVICE_ERROR (or its own code). */
function toDenied(err: unknown): AccessDenied {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['DEVICE_OFFLINE', 'BUSY', 'NO_BATTERY', 'DEVICE_ERROR', 'FORBIDDEN'].includes(code)) {
    return new AccessDenied(code as 'DEVICE_ERROR', (err as Error).message);
  }
  return new AccessDenied('DEVICE_ERROR', `the device failed: ${(err as Error).message}`);
}
