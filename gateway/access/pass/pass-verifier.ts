import type { TrustedKeys } from '../../../config/trusted-keys.js';
import type { ClockReading } from '../clock-trust.js';
import { keySetOf, type TrustedKeySet } from '../trusted-key-set.js';
import { verifyRollingCode, type RollingCodeOptions, type VerifiedRollingCode } from './rolling-code-verifier.js';

export interface PassVerifierOptions {
  /** The same set the token verifier checks against (tokens and passes are signed by one fleet key set). */
  keys: TrustedKeys | TrustedKeySet;
  stationId: string;
  /** `station.code`: what a phone may sign instead of the station id. */
  stationCode?: string | undefined;
  /** `station.groups`. */
  stationGroups?: readonly string[];
  skewSeconds: number;
  untrustedClock: 'floor' | 'refuse';
  /** `access.maxPassSeconds`. */
  maxPassSeconds?: number;
  /** For tests only; the format's constants otherwise (docs/passes.md). */
  stepSeconds?: number;
  skewSteps?: number;
}

/**
 * The station's side of worker passes: its options (stations, groups, bounds, clock policy) and
 * the fleet's trusted keys, with `verifyRollingCode` doing the checks. The keys are the same set
 * the token verifier holds (TrustedKeySet), swapped for both on reload in one assignment, so a code is
 * checked against the old set or the new one, never a mix.
 */
export class PassVerifier {
  private readonly keys: TrustedKeySet;

  constructor(private readonly options: PassVerifierOptions) {
    this.keys = keySetOf(options.keys);
  }

  /**
   * Checks `text` (docs/passes.md, "What the station checks"); `seen` is the replay cache's
   * lookup of a replay key. Throws UnverifiedToken for junk, PassDenied (with what was read of
   * the pass) for a signed pass refused, AccessDenied for signed claims that cannot be read.
   */
  verify(text: string, clock: ClockReading, seen: (replayKey: string) => boolean): VerifiedRollingCode {
    const { options } = this;
    const checks: RollingCodeOptions = {
      keys: this.keys.current,
      stationId: options.stationId,
      skewSeconds: options.skewSeconds,
      untrustedClock: options.untrustedClock,
      seen,
    };
    if (options.stationCode !== undefined) checks.stationCode = options.stationCode;
    if (options.stationGroups !== undefined) checks.stationGroups = options.stationGroups;
    if (options.maxPassSeconds !== undefined) checks.maxPassSeconds = options.maxPassSeconds;
    if (options.stepSeconds !== undefined) checks.stepSeconds = options.stepSeconds;
    if (options.skewSteps !== undefined) checks.skewSteps = options.skewSteps;
    return verifyRollingCode(text, clock, checks);
  }
}
