/**
 * The numbers of the pass and rolling-code format (docs/passes.md), in one place, so the verifier
 * and its doc cannot drift apart. The cloud's issuer (simulators/cloud/pass-issuer.ts) writes the
 * same numbers on its own, from the doc: two implementations that must agree, as the phone's page
 * and an independent verifier will have to.
 */

/** The text a scanner reads starts with this: a compact JWS never does (it starts `eyJ`), nor holds a colon. */
export const ROLLING_CODE_PREFIX = 'RC1:';

/** A rolling code over this many characters is refused unread: the largest real one is under 500. */
export const MAX_ROLLING_CODE_CHARS = 1200;
/** The same bound on the bytes inside, and on the pass within them. */
export const MAX_ROLLING_CODE_BYTES = 800;

/** The time step of a rolling code: what the phone shows changes this often (docs/passes.md says why 5). */
export const STEP_SECONDS = 5;
/** How many steps either side of the station's own a code may be from, for the phone's clock. */
export const SKEW_STEPS = 1;
/** The longest a pass may live (exp − iat), unless a station sets a shorter bound. */
export const MAX_PASS_SECONDS = 7 * 24 * 3600;

/** COSE algorithm ids for Ed25519: EdDSA (RFC 9053) and the fully specified Ed25519 (RFC 9864). */
export const COSE_ALG_EDDSA = -8;
export const COSE_ALG_ED25519 = -19;
export const COSE_HEADER_ALG = 1;
export const COSE_HEADER_KID = 4;

/** CWT claim keys (RFC 8392 §3.1, RFC 8747 §3.1). */
export const CLAIM = { iss: 1, sub: 2, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8 } as const;
/**
 * The station-access claim: one private-use key (RFC 8392 §9.1: below −65536), whose value is a
 * map with small keys of our own, so the private claims cost five bytes of key once, not each.
 */
export const CLAIM_ACCESS = -65537;
export const ACCESS = { role: 1, stations: 2, groups: 3, grants: 4 } as const;

/** cnf: a COSE_Key (RFC 8747 §3.2), OKP (1) on Ed25519 (6), public `x` only. */
export const CNF_COSE_KEY = 1;
export const COSE_KEY = { kty: 1, crv: -1, x: -2 } as const;
export const KTY_OKP = 1;
export const CRV_ED25519 = 6;

/** Actions as integers in a pass and a code; the index is the number (docs/passes.md). */
export const PASS_ACTIONS = ['unlock', 'swap', 'dispense', 'operate', 'diagnose'] as const;
export const PASS_ROLES = ['worker', 'operator'] as const;

/** The first element of what the phone signs, so its signature means nothing anywhere else. */
export const PHONE_SIGNATURE_CONTEXT = 'station-gateway rolling code v1';

/** Bounds on text claims, as the token's (gateway/access/token-verifier.ts). */
export const MAX_SUB_CHARS = 128;
export const MAX_NAME_CHARS = 64;
export const MAX_LIST_ITEMS = 32;
export const CTI_BYTES = { min: 8, max: 32 } as const;
