import type { Action } from '../token-verifier.js';
import { asArray, asBytes, asIndex, asIntMap, asText, asUint, ShapeError } from './cbor-shape.js';
import {
  ACCESS,
  CLAIM,
  CLAIM_ACCESS,
  CNF_COSE_KEY,
  COSE_KEY,
  CRV_ED25519,
  CTI_BYTES,
  KTY_OKP,
  MAX_LIST_ITEMS,
  MAX_NAME_CHARS,
  MAX_SUB_CHARS,
  PASS_ACTIONS,
  PASS_ROLES,
} from './pass-format.js';
import { decodeCbor } from './strict-cbor.js';

/** One thing a pass opens: an action on a named resource, or on any resource of the station that does it (`res` null). */
export interface PassGrant {
  act: Action;
  res: string | null;
}

/** A pass's claims, read from its CWT payload; times in seconds since the epoch, as on the wire. */
export interface PassClaims {
  iss?: string;
  sub: string;
  iat: number;
  nbf?: number;
  exp: number;
  cti: Uint8Array;
  /** The phone's Ed25519 public key (cnf, RFC 8747): only its holder can make rolling codes. */
  phoneKey: Uint8Array;
  role: (typeof PASS_ROLES)[number];
  stations: string[];
  groups: string[];
  grants: PassGrant[];
}

const CLAIM_KEYS = [...Object.values(CLAIM), CLAIM_ACCESS];

/**
 * The payload's shape only; what the times and stations mean to this station is the verifier's.
 * A key the format does not define is refused: a claim an old station skipped could be one that
 * narrows the pass.
 */
export function readPassClaims(payload: Uint8Array): PassClaims {
  const m = asIntMap(decodeCbor(payload), 'the claims', CLAIM_KEYS);
  const need = (map: Map<number, unknown>, key: number, name: string): unknown => {
    if (!map.has(key)) throw new ShapeError(`${name} (${key}) is missing`);
    return map.get(key);
  };
  const access = asIntMap(need(m, CLAIM_ACCESS, 'the access claim'), 'the access claim', Object.values(ACCESS));
  const names = (key: number, what: string): string[] =>
    access.has(key) ? list(access.get(key), what).map((v, i) => asText(v, `${what}[${i}]`, 1, MAX_NAME_CHARS)) : [];
  const stations = names(ACCESS.stations, 'stations');
  const groups = names(ACCESS.groups, 'groups');
  if (stations.length + groups.length === 0) throw new ShapeError('the pass names no station and no station group');
  const grants = list(need(access, ACCESS.grants, 'grants'), 'grants').map((g, i): PassGrant => {
    const [act, res] = asArray(g, `grants[${i}]`, 2);
    return { act: asIndex(act, `grants[${i}] action`, PASS_ACTIONS), res: res === null ? null : asText(res, `grants[${i}] resource`, 1, MAX_NAME_CHARS) };
  });
  if (grants.length === 0) throw new ShapeError('the pass grants nothing');

  const claims: PassClaims = {
    sub: asText(need(m, CLAIM.sub, 'claim sub'), 'sub', 1, MAX_SUB_CHARS),
    iat: asUint(need(m, CLAIM.iat, 'claim iat'), 'iat'),
    exp: asUint(need(m, CLAIM.exp, 'claim exp'), 'exp'),
    cti: asBytes(need(m, CLAIM.cti, 'claim cti'), 'cti', CTI_BYTES.min, CTI_BYTES.max),
    phoneKey: readCnf(need(m, CLAIM.cnf, 'claim cnf')),
    role: access.has(ACCESS.role) ? asIndex(access.get(ACCESS.role), 'role', PASS_ROLES) : 'worker',
    stations,
    groups,
    grants,
  };
  if (m.has(CLAIM.iss)) claims.iss = asText(m.get(CLAIM.iss), 'iss', 1, MAX_NAME_CHARS * 4);
  if (m.has(CLAIM.nbf)) claims.nbf = asUint(m.get(CLAIM.nbf), 'nbf');
  return claims;
}

function list(value: unknown, what: string): unknown[] {
  const items = asArray(value, what);
  if (items.length > MAX_LIST_ITEMS) throw new ShapeError(`${what} has ${items.length} entries, over ${MAX_LIST_ITEMS}`);
  return items;
}

function readCnf(value: unknown): Uint8Array {
  const cnf = asIntMap(value, 'cnf', [CNF_COSE_KEY]);
  const key = asIntMap(cnf.get(CNF_COSE_KEY), 'cnf COSE_Key', Object.values(COSE_KEY));
  if (key.get(COSE_KEY.kty) !== KTY_OKP || key.get(COSE_KEY.crv) !== CRV_ED25519) throw new ShapeError('cnf is not an Ed25519 key (kty 1, crv 6)');
  return asBytes(key.get(COSE_KEY.x), 'cnf x', 32, 32);
}
