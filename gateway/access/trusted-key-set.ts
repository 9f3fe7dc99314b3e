import { KeyObject } from 'node:crypto';
import type { TrustedKeys } from '../../config/trusted-keys.js';

/** How one set of trusted keys differs from another, by kid. */
export interface KeyChanges {
  added: string[];
  removed: string[];
  /** The same kid with other key material. */
  replaced: string[];
}

export function keyChanges(before: TrustedKeys, after: TrustedKeys): KeyChanges {
  const material = (key: Parameters<typeof KeyObject.from>[0]): string => String(KeyObject.from(key).export({ format: 'jwk' }).x);
  return {
    added: [...after.keys()].filter((k) => !before.has(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
    replaced: [...after].filter(([k, key]) => before.has(k) && material(before.get(k)!) !== material(key)).map(([k]) => k),
  };
}

/**
 * The fleet's access keys as the station trusts them now, shared by everything that checks their
 * signatures (tokens, passes, the revocation list). A rotation is one assignment here, so no
 * credential is ever checked against a mix of the old set and the new, and no checker is left
 * holding the old set after a reload.
 */
export class TrustedKeySet {
  constructor(private keys: TrustedKeys) {}

  get current(): TrustedKeys {
    return this.keys;
  }

  /** What trusting `next` instead would change. */
  compare(next: TrustedKeys): KeyChanges {
    return keyChanges(this.keys, next);
  }

  /** Trusts exactly `next` from now on; returns what changed. */
  replace(next: TrustedKeys): KeyChanges {
    const changes = keyChanges(this.keys, next);
    this.keys = next;
    return changes;
  }
}

/** A checker's keys: a set shared with the station's other checkers, or a fixed map (tests, tools). */
export const keySetOf = (keys: TrustedKeys | TrustedKeySet): TrustedKeySet => (keys instanceof TrustedKeySet ? keys : new TrustedKeySet(keys));
