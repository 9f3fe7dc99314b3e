import type { Logger } from 'pino';
import type { StationConfig } from '../../config/station-schema.js';
import { COMMAND_ERROR_CODES, type CommandErrorCode, type OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import type { DeviceKind } from '../../config/device-kinds.js';
import type { EventOutbox, NewEvent } from '../store/event-outbox.js';
import type { ReplayCache } from '../store/replay-cache.js';
import { StoreFullError } from '../store/store-errors.js';
import { AccessDenied, UnverifiedToken } from './access-error.js';
import { AttemptBudgets } from './attempt-budgets.js';
import { FloodCounter } from '../../cloud-bridge/limits/flood-counter.js';
import type { ClockReading, ClockTrust } from './clock-trust.js';
import { DailyWindow } from '../station/daily-window.js';
import type { AccessClaims, Action, SignedClaims, TokenVerifier } from './token-verifier.js';
import { looksLikeToken, tokenText } from './token-text.js';
import { looksLikeRollingCode } from './pass/rolling-code.js';
import type { PassVerifier } from './pass/pass-verifier.js';
import { PassDenied, type SignedCode, type VerifiedRollingCode } from './pass/rolling-code-verifier.js';
import type { RevocationCheck } from './revocation-check.js';
import { AntiPassback } from './anti-passback.js';
import type { CredentialRef } from './diagnose-authority.js';

/**
 * Where a token came from: a cloud command, or a scanner of this station (uplink not needed).
 * `target: 'station'`: the command acts on the station itself (res = its id: `ack`), never on a resource.
 * `target: 'resource'`: the command acts on the resource itself, whatever its kind does (`service`).
 */
export type AccessSource = { kind: 'cloud'; command: Action; target?: 'station' | 'resource' } | { kind: 'scanner'; device: string };

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
  /** `service` command: an operator takes a resource out of service or back; absent, the command is refused. */
  service?(resource: ResourceRef, claims: AccessClaims, request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /**
   * Refuses (throws AccessDenied) a request the effect could never carry out, such as a slot the
   * cabinet does not have, before the token is spent: a typo must not cost an operator the token.
   */
  validate?(resource: ResourceRef, claims: AccessClaims, request: Record<string, unknown>): void;
  /**
   * `ack` command (an operator's `operate` on the station itself): acknowledges an active alarm.
   * `check` refuses before the code is spent (an alarm that is not active); nothing here opens anything.
   */
  acknowledge?: { check(request: Record<string, unknown>): void; run(claims: AccessClaims, request: Record<string, unknown>): Promise<Record<string, unknown>> };
}

export interface AccessServiceOptions {
  config: StationConfig;
  verifier: TokenVerifier;
  /** Worker passes' rolling codes (`RC1:`); without it they are refused as junk. */
  passes?: PassVerifier | undefined;
  /** The fleet's revocation list, asked about each pass whose cloud signature verified. */
  revocations?: RevocationCheck | undefined;
  clock: ClockTrust;
  replay: ReplayCache;
  outbox: EventOutbox;
  effects: AccessEffects;
  /** The kind of each configured device (a GPIO door counts as door-lock). */
  deviceKind: (device: string) => DeviceKind | undefined;
  deviceOnline: (device: string) => boolean;
  /** People inside now, from the occupancy sensor; undefined when unknown. */
  peopleInside: () => number | undefined;
  /**
   * Why the station is closed to workers for their safety right now (`smoke`), from the same
   * station logic that publishes it in `S/availability`; undefined while it is safe.
   */
  closedForSafety?: (() => string | undefined) | undefined;
  /** Why a resource is out of service beyond the station file (an operator's cmd/service), or undefined. */
  outOfService?: ((resource: string) => OutOfServiceEntry | undefined) | undefined;
  log: Logger;
  monotonic?: () => number;
}

/** Which actions each kind of resource allows; the birth lists them per resource (runtime/birth-resources.ts). */
export const ACTIONS_BY_KIND: Partial<Record<DeviceKind, readonly Action[]>> = {
  'door-lock': ['unlock'],
  'battery-cabinet': ['swap', 'operate'],
  'water-dispenser': ['dispense'],
};

/** What the access logic refused in bulk since start, for metrics. */
export interface AccessCounts {
  /** Attempts that failed the cheap checks (shape, algorithm, key, signature), by source and code. */
  junk: ReadonlyArray<{ via: string; code: string; count: number }>;
  /** Verified attempts refused with BUSY, by source and by which budget was spent. */
  limited: ReadonlyArray<{ via: string; scope: 'worker' | 'source'; count: number }>;
}

/**
 * What names an attempt on record, besides res/act/sub: a token's `jti`, or a pass's id and the
 * code's step (never the token or code itself).
 */

/** What a refusal names once a signature verified. */
interface Attempted {
  res: string;
  act: Action;
  sub: string;
  ref: CredentialRef;
}

/** Raises the time floor to a credential's iat; the first call does it, later ones nothing. */
type FloorRaise = () => void;

/** A stored first outcome: the result, or the refusal it ended in. */
type Outcome = { result: Record<string, unknown> } | { error: { code: string; message: string } };

/**
 * One decision for both paths (a cloud command, a scan at the station) and both credentials (a
 * short token, a worker pass's rolling code): the cheap checks (junk is counted and dropped), the
 * worker's budget, the credential (and, for a pass, the revocation list), replay, the source's
 * budget, resource and role, policy (anti-passback among it); then `access.granted` on disk before the effect, or
 * `access.denied` with the code. A token is spent only when granted: a refusal by policy (closed,
 * full) leaves it usable when the station opens. A repeat of a spent token returns its first
 * outcome and does nothing again.
 */
export class AccessService {
  private readonly monotonic: () => number;
  private readonly openHours: DailyWindow;
  private readonly sources: AttemptBudgets;
  private readonly workers: AttemptBudgets;
  private readonly floods: FloodCounter;
  private readonly junkCounts = new Map<string, number>();
  private readonly limitedCounts = new Map<string, number>();
  private readonly passback: AntiPassback | undefined;

  constructor(private readonly options: AccessServiceOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.openHours = new DailyWindow(options.config.station.openHours, options.config.station.timezone);
    const perSource = options.config.access?.scansPerMinute ?? 20;
    this.sources = new AttemptBudgets(perSource, this.monotonic);
    this.workers = new AttemptBudgets(perSource, this.monotonic);
    this.floods = new FloodCounter(this.monotonic);
    const antiPassback = options.config.access?.antiPassback;
    if (antiPassback) {
      const doors = Object.entries(options.config.resources)
        .filter(([, r]) => options.deviceKind(r.device) === 'door-lock')
        .map(([name]) => name);
      this.passback = new AntiPassback({ seconds: antiPassback.seconds, resources: new Set(antiPassback.resources ?? doors), monotonic: this.monotonic });
    }
  }

  /**
   * Decides on `token` and carries it out; throws AccessDenied (a CommandError) on refusal.
   * Whitespace around the token is not part of it (a scanner's line end, a pasted newline) and
   * is dropped on both paths. What fails the cheap checks is counted and dropped; only a
   * verified signature spends a budget. Every verified attempt spends its worker's; only a fresh
   * one (in time, never seen) also spends its source's, so one captured token replayed at any
   * rate costs its own worker a minute and nobody else anything.
   */
  async handle(source: AccessSource, token: string, request: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const via = source.kind === 'cloud' ? 'cloud' : source.device;
    const text = tokenText(token);
    if (looksLikeRollingCode(text)) return this.handleCode(source, via, text, request);
    let signed: SignedClaims;
    try {
      if (!looksLikeToken(text)) throw new UnverifiedToken('BAD_TOKEN', 'not a JWS in compact form');
      signed = await this.options.verifier.authenticate(text);
    } catch (err) {
      if (err instanceof UnverifiedToken) this.junk(via, err);
      else if (err instanceof AccessDenied) this.denied(err, via, undefined, request);
      throw err;
    }
    let claims: AccessClaims | undefined;
    let floor: FloorRaise | undefined;
    try {
      this.spend(this.workers, via, signed.claims.sub);
      const clock = this.options.clock.read();
      claims = this.options.verifier.check(signed, clock);
      // A verified signature proves the cloud's clock had reached iat: a trusted lower bound.
      floor = this.floorRaise(claims.iat, 'token');
      const first = this.firstOutcome(claims.jti);
      if (first) {
        floor();
        // A repeat does nothing and returns the first result (the contract), and is on record.
        this.denied(new AccessDenied('REPLAYED', 'a repeat of a token already carried out; the first result was returned'), via, tokenAttempt(claims), request);
        return first;
      }
      return await this.decide(claims, { jti: claims.jti }, source, via, clock, request, floor);
    } catch (err) {
      floor?.();
      if (err instanceof AccessDenied) this.denied(err, via, tokenAttempt(claims ?? signed.claims), request);
      throw err;
    }
  }

  /**
   * A worker pass's rolling code (docs/passes.md): the same decision as a token's. The verifier
   * checks it in one go, with the replay cache's lookup as its `seen`; what it refuses after the
   * cloud's signature verified still spends the worker's budget, as a token's would, and a revoked
   * pass is refused as revoked whatever else is wrong with the code. A repeat answers REPLAYED
   * rather than the first result: the replay key is the pass's and the step's, shared by every
   * code the phone makes in that step (another action too), so a first result could be another's.
   */
  private async handleCode(source: AccessSource, via: string, text: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { passes } = this.options;
    let verified: VerifiedRollingCode | undefined;
    let refused: AccessDenied | undefined;
    const clock = this.options.clock.read();
    try {
      if (!passes) throw new UnverifiedToken('BAD_TOKEN', 'this station takes no worker passes');
      verified = passes.verify(text, clock, (key) => this.options.replay.lookup(key) !== undefined);
    } catch (err) {
      if (err instanceof UnverifiedToken) this.junk(via, err);
      if (!(err instanceof AccessDenied) || err instanceof UnverifiedToken) throw err;
      refused = err;
    }
    const signed: SignedCode | undefined = verified
      ? { pass: verified.pass, passId: verified.passId, step: verified.step, res: verified.claims.res, act: verified.claims.act }
      : refused instanceof PassDenied
        ? refused.signed
        : undefined;
    const attempt: Attempted | undefined = signed && { res: signed.res, act: signed.act, sub: signed.pass.sub, ref: { pass: signed.passId, step: signed.step } };
    let floor: FloorRaise | undefined;
    try {
      // Claims that cannot be read name nobody: refused as a token's would be, no budget spent.
      if (!signed) throw refused ?? new AccessDenied('BAD_TOKEN', 'the pass cannot be read');
      // Before the revocation check: a revoked phone replaying codes costs its own worker's budget
      // (and is logged once a minute as BUSY), never the disk or anyone else's budget.
      this.spend(this.workers, via, signed.pass.sub);
      this.checkRevoked(signed);
      if (refused) throw refused;
      const claims = verified!.claims;
      // The pass's iat is the cloud's signed time; the step is the phone's and moves nothing.
      floor = this.floorRaise(claims.iat, 'pass');
      return await this.decide(claims, { pass: signed.passId, step: signed.step }, source, via, clock, request, floor);
    } catch (err) {
      floor?.();
      if (err instanceof AccessDenied) this.denied(err, via, attempt, request);
      throw err;
    }
  }

  /**
   * The time floor raised to a verified credential's `iat`, once, where the decision ends: for a
   * grant, in the same sync as its claim and record (ReplayCache.claimBefore), which is one fsync
   * fewer on the way to the door; for a refusal or a repeat, with its own sync, before the refusal
   * is recorded. Either way before anything is opened or answered.
   */
  private floorRaise(iat: Date, source: string): FloorRaise {
    let raised = false;
    return () => {
      if (raised) return;
      raised = true;
      this.options.clock.observed(iat, source);
    };
  }

  private checkRevoked(signed: SignedCode): void {
    const why = this.options.revocations?.revoked({ passId: signed.passId, sub: signed.pass.sub, iat: signed.pass.iat });
    if (why !== undefined) throw new AccessDenied('REVOKED', `this pass was revoked: ${why}`);
  }

  /** What both credentials share once they are verified, in time and not seen before. */
  private async decide(
    claims: AccessClaims,
    ref: CredentialRef,
    source: AccessSource,
    via: string,
    clock: ClockReading,
    request: Record<string, unknown>,
    floor: FloorRaise,
  ): Promise<Record<string, unknown>> {
    this.spend(this.sources, via, undefined);
    const onStation = source.kind === 'cloud' && source.target === 'station';
    const servicing = source.kind === 'cloud' && source.target === 'resource';
    const resource = onStation ? this.authoriseStation(claims) : servicing ? this.authoriseService(claims, request) : this.authorise(claims, source);
    if (onStation) {
      // Opening hours, smoke and the devices do not apply: acknowledging opens nothing.
      this.acknowledgement().check(request);
    } else if (!servicing) {
      // Servicing skips policy too: the resource's state is what it changes (authoriseService checks the rest).
      this.checkPolicy(claims, resource, clock.now);
      this.options.effects.validate?.(resource, claims, request);
    }
    return this.grant(claims, ref, resource, source, via, clock.reason, request, floor);
  }

  /** What was refused in bulk since start (junk, rate limits), for metrics. */
  counts(): AccessCounts {
    const split = (k: string): [string, string] => {
      const at = k.lastIndexOf(' ');
      return [k.slice(0, at), k.slice(at + 1)];
    };
    return {
      junk: [...this.junkCounts].map(([k, count]) => {
        const [via, code] = split(k);
        return { via, code, count };
      }),
      limited: [...this.limitedCounts].map(([k, count]) => {
        const [via, scope] = split(k);
        return { via, scope: scope as 'worker' | 'source', count };
      }),
    };
  }

  /**
   * Junk costs a regex, a header decode or one signature check, and nothing else: no budget, no
   * event per attempt. The first of a source is written down, then at most one a minute with the
   * count since (a flood must not fill the disk either).
   */
  private junk(via: string, err: UnverifiedToken): void {
    const key = `${via} ${err.code}`;
    this.junkCounts.set(key, (this.junkCounts.get(key) ?? 0) + 1);
    const attempts = this.floods.note(`junk ${via}`);
    if (attempts === undefined) return;
    this.record({ type: 'access.denied', data: { code: err.code, reason: err.message, via, attempts } });
    this.options.log.info({ code: err.code, via, attempts }, attempts === 1 ? 'access denied: not a valid token' : 'access denied: invalid tokens (counted, not logged one by one)');
  }

  /** Takes one attempt from a worker's budget (`sub`) or from the source's; BUSY when spent. */
  private spend(budgets: AttemptBudgets, via: string, sub: string | undefined): void {
    if (budgets.take(sub === undefined ? via : `${via}\n${sub}`)) return;
    const scope = sub === undefined ? 'source' : 'worker';
    const key = `${via} ${scope}`;
    this.limitedCounts.set(key, (this.limitedCounts.get(key) ?? 0) + 1);
    const attempts = this.floods.note(scope === 'worker' ? `busy ${via}\n${sub}` : `busy ${via}`);
    if (attempts !== undefined) {
      // A flood is logged once a minute with its count, never once per attempt: it must not fill the disk.
      this.record({ type: 'access.denied', data: { code: 'BUSY', via, reason: 'rate limited', scope, attempts, sub } });
      this.options.log.warn({ via, scope, attempts }, 'access attempts rate limited');
    }
    throw new BusyDenied(scope === 'worker' ? 'too many attempts by this worker; wait a minute' : 'too many attempts; wait a minute');
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

  /** The station itself as the resource (res = its id), for an operator's `operate`: an `ack`. */
  private authoriseStation(claims: AccessClaims): ResourceRef {
    const id = this.options.config.station.id;
    if (claims.act !== 'operate') throw new AccessDenied('FORBIDDEN', `the token allows "${claims.act}", not "operate"`);
    if (claims.res !== id) throw new AccessDenied('FORBIDDEN', `acknowledging an alarm names the station itself as res ("${id}"), not "${claims.res.slice(0, 64)}"`);
    if (claims.role !== 'operator') throw new AccessDenied('FORBIDDEN', 'acknowledging an alarm needs an operator pass or token');
    return { name: id, device: '', door: undefined, unlockMs: 0 };
  }

  private acknowledgement(): NonNullable<AccessEffects['acknowledge']> {
    const effect = this.options.effects.acknowledge;
    if (!effect) throw new AccessDenied('FORBIDDEN', 'this station does not take alarm acknowledgements');
    return effect;
  }

  /**
   * cmd/service: any resource of the file, whatever its kind does (the kinds' actions do not
   * apply), for an operator's `operate` credential naming that resource. Neither the resource's
   * state nor its device's matter: a broken dispenser is what gets taken out of service.
   */
  private authoriseService(claims: AccessClaims, request: Record<string, unknown>): ResourceRef {
    const name = String(request['resource']);
    const res = this.options.config.resources[name];
    if (!res) throw new AccessDenied('UNKNOWN_RESOURCE', `resource "${name.slice(0, 64)}" is not configured at this station`);
    if (claims.act !== 'operate') throw new AccessDenied('FORBIDDEN', `the credential allows "${claims.act}", not "operate"`);
    if (claims.res !== name) throw new AccessDenied('FORBIDDEN', `the credential is for ${claims.res.slice(0, 64)}, the request names ${name}`);
    if (claims.role !== 'operator') throw new AccessDenied('FORBIDDEN', 'taking a resource out of service or back needs an operator');
    // Before the code is spent: the station file is the fleet's, its next push would undo a command.
    if (request['enabled'] === true && res.outOfService) {
      throw new AccessDenied('FORBIDDEN', `${name} is out of service in the station file; only a new station file puts it back`);
    }
    return { name, device: res.device, door: res.door, unlockMs: res.unlockMs };
  }

  private checkPolicy(claims: AccessClaims, resource: ResourceRef, now: Date): void {
    const { config } = this.options;
    const res = config.resources[resource.name];
    if (res?.outOfService) throw new AccessDenied('FORBIDDEN', `${resource.name} is out of service`);
    const out = this.options.outOfService?.(resource.name);
    if (out) throw new AccessDenied('FORBIDDEN', `${resource.name} is out of service${out.reason !== undefined ? ` (${out.reason})` : ''}`);
    // Operators come to fix things, at any hour and whoever is inside.
    if (claims.role === 'operator') return this.checkDevice(resource);
    // What availability tells a map, the door does too: nobody is let in, or handed a battery or
    // water, in a station with smoke in it. Egress never passes here (the exit button is the lock's).
    const hazard = this.options.closedForSafety?.();
    if (hazard) throw new AccessDenied('CLOSED', `the station is closed for safety (${hazard}) until it clears`);
    if (!this.openHours.contains(now)) {
      throw new AccessDenied('CLOSED', `the station is open ${config.station.openHours} (${config.station.timezone})`);
    }
    const people = this.options.peopleInside();
    if (this.passback?.applies(claims)) {
      const held = this.passback.refusal(claims.sub, people);
      if (held) throw new AccessDenied('PASSBACK', held);
    }
    const max = config.access?.maxPeopleInside;
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
    ref: CredentialRef,
    resource: ResourceRef,
    source: AccessSource,
    via: string,
    clock: string,
    request: Record<string, unknown>,
    floor: FloorRaise,
  ): Promise<Record<string, unknown>> {
    const { replay, outbox, config } = this.options;
    const skewMs = (config.access?.clockSkewSeconds ?? 60) * 1000;
    const reason = reasonOf(request);
    let claimed;
    try {
      // Claim, time floor and access.granted on disk before the door opens, with one sync for the
      // three (ReplayCache.claimBefore): the usage log never misses a grant that took effect, and
      // no token opens twice. A repeat that raced this one to the claim records no grant: it opens nothing.
      claimed = replay.claimBefore(claims.jti, new Date(claims.exp.getTime() + skewMs), {
        alongside: floor,
        record: () => {
          outbox.append({ type: 'access.granted', device: resource.device || undefined, data: { res: claims.res, act: claims.act, sub: claims.sub, role: claims.role, via, ...ref, kid: claims.kid, clock, ...(reason !== undefined ? { reason } : {}) } });
        },
      });
    } catch (err) {
      if (err instanceof StoreFullError) throw new AccessDenied('INTERNAL', 'the station cannot record the access (disk full); nothing was opened');
      throw err;
    }
    if (!claimed.first) return this.repeat(claimed.result as Outcome | undefined);
    // Held from the grant, not from the door's answer: a second attempt while the door opens is held too.
    const entry = this.passback?.applies(claims) ? this.passback : undefined;
    entry?.entered(claims.sub, this.options.peopleInside(), resource.unlockMs);
    let outcome: Outcome;
    try {
      const { effects } = this.options;
      const result =
        source.kind === 'cloud' && source.target === 'station'
          ? await this.acknowledgement().run(claims, request)
          : source.kind === 'cloud' && source.target === 'resource'
          ? await this.service(resource, claims, request)
          : claims.act === 'unlock'
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
      entry?.forget(claims.sub); // the door did not open: nobody entered on it
      this.options.log.warn({ res: claims.res, act: claims.act, code: denied.code, via: source.kind }, 'granted access could not be carried out');
      throw denied;
    }
    replay.settle(claims.jti, outcome);
    return outcome.result;
  }

  private service(resource: ResourceRef, claims: AccessClaims, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { service } = this.options.effects;
    if (!service) throw new AccessDenied('FORBIDDEN', 'this station does not take resources out of service by command');
    return service(resource, claims, request);
  }

  private denied(err: AccessDenied, via: string, claims: Attempted | undefined, request: Record<string, unknown> = {}): void {
    if (err instanceof BusyDenied) return; // rate limiting logs its own, once a minute
    const data: Record<string, unknown> = { code: err.code, reason: err.message, via };
    if (claims) Object.assign(data, { res: claims.res, act: claims.act, sub: claims.sub, ...claims.ref });
    // `reason` here is the refusal's (the catalogue's, for people); the operator's goes beside it.
    const asked = reasonOf(request);
    if (asked !== undefined) data['requestReason'] = asked;
    const device = claims ? this.options.config.resources[claims.res]?.device : undefined;
    this.record({ type: 'access.denied', device, data });
    this.options.log.info({ code: err.code, via, res: claims?.res }, 'access denied');
  }

  /** A refusal's record; a full disk does not turn the refusal into another error. */
  private record(event: NewEvent & { data: Record<string, unknown> }): void {
    try {
      this.options.outbox.append(event);
    } catch (e) {
      if (!(e instanceof StoreFullError)) throw e;
    }
  }
}

/** BUSY from a spent budget: written down by the budget once a minute, not per attempt. */
class BusyDenied extends AccessDenied {
  constructor(message: string) {
    super('BUSY', message);
    this.name = 'BusyDenied';
  }
}

/** The longest reason an operator may give for a remote action (cmd/unlock, cmd/service). */
export const MAX_REASON_CHARS = 200;

/**
 * An operator's reason for the request (cmd/unlock's `reason`), for the access record; never the
 * credential. The command schema bounds it; anything else reaching here (a scan has none) is left out.
 */
function reasonOf(request: Record<string, unknown>): string | undefined {
  const reason = request['reason'];
  return typeof reason === 'string' && reason.length >= 1 && reason.length <= MAX_REASON_CHARS ? reason : undefined;
}

/** What a token's refusal names once its signature verified, before the station's own checks. */
function tokenAttempt(claims: Pick<AccessClaims, 'res' | 'act' | 'sub' | 'jti'>): Attempted {
  return { res: claims.res, act: claims.act, sub: claims.sub, ref: { jti: claims.jti } };
}

/**
 * A failure while carrying out a grant, with its own contract code where it has one (a cabinet
 * found FULL between the check and the door, a dispenser gone offline); anything else, such as a
 * transport error, is DEVICE_ERROR.
 */
function toDenied(err: unknown): AccessDenied {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (COMMAND_ERROR_CODES as readonly string[]).includes(code)) {
    return new AccessDenied(code as CommandErrorCode, (err as Error).message);
  }
  return new AccessDenied('DEVICE_ERROR', `the device failed: ${(err as Error).message}`);
}
