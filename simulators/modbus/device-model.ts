import type { Profile } from '../../config/profile-schema.js';
import type { RegisterBank } from './register-bank.js';

/**
 * A simulated Modbus device: its registers, and behaviour that moves with time. Time comes only
 * through tick(), so a test drives hours of device life in one call and sees the same result every
 * run; the simulator runner calls it from a timer.
 */
export interface DeviceModel {
  readonly bank: RegisterBank;
  tick(dtMs: number): void;
}

export interface DeviceModelOptions {
  /** The register map the model writes through; another vendor's profile works unchanged. */
  profile: Profile;
  /** Instances of the profile's repeated group where it has one (the cabinet's slots). */
  slots?: number | undefined;
  /** PRNG seed: the same seed gives the same device life. */
  seed?: number | undefined;
}

/** Behaviour integrates in steps of at most this, so one long tick matches many short ones closely. */
export const MAX_STEP_MS = 1000;

/** Calls `step` with consecutive slices of `dtMs` (in seconds), none longer than MAX_STEP_MS. */
export function forEachStep(dtMs: number, step: (seconds: number) => void): void {
  if (!Number.isFinite(dtMs) || dtMs <= 0) return;
  for (let left = dtMs; left > 0; left -= MAX_STEP_MS) step(Math.min(left, MAX_STEP_MS) / 1000);
}

export const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
