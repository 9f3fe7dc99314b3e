import { writeFileSync } from 'node:fs';
import { UsageError } from '../../config/usage-error.js';
import { describePass, issuePass, PASS_ACTIONS, type PassAction, type PassRequest, type PassSummary } from '../cloud/pass-issuer.js';
import { readPhonePublicKey, writePhoneKeyFile } from '../cloud/phone-key-file.js';
import { readIssuerKey } from '../cloud/token-issuer.js';

/*
 * `station-token phone-key` and `station-token pass`: a bench phone's key, and a worker pass for it
 * signed with an issuer key from `station-token keys`. The limits are the format's
 * (docs/passes.md), checked here so that a crew gets a usage error naming the option, not a pass
 * every station refuses as BAD_TOKEN.
 */

/** The format's bounds: what a station accepts. */
const MAX_LIST = 32;
const MAX_NAME = 64;
const MAX_SUB = 128;
const MAX_HOURS = 7 * 24;
const MAX_PASS_BYTES = 800;
export const DEFAULT_PASS_HOURS = 12;

export function phoneKeyCommand(out: string | undefined): number {
  if (!out) throw new UsageError('phone-key needs --out FILE');
  const written = writePhoneKeyFile(out);
  process.stdout.write(`${written.publicKey}\n`);
  process.stderr.write(`phone key: private JWK in ${written.file} (keep it like a phone keeps its key); public key above, for pass --phone-key\n`);
  return 0;
}

export interface PassOptions {
  key?: string | undefined;
  phoneKey?: string | undefined;
  sub?: string | undefined;
  role?: string | undefined;
  station?: string[] | undefined;
  group?: string[] | undefined;
  grant?: string[] | undefined;
  hours?: string | undefined;
  out?: string | undefined;
}

export async function passCommand(o: PassOptions): Promise<number> {
  if (!o.key || !o.phoneKey || !o.sub) throw new UsageError('pass needs --key FILE, --phone-key KEY|FILE and --sub ID');
  const request = passRequest(o);
  const issuer = await readIssuerKey(o.key);
  const pass = issuePass(issuer, request);
  if (pass.length > MAX_PASS_BYTES) throw new UsageError(`the pass would be ${pass.length} bytes, over the ${MAX_PASS_BYTES} a station reads: name fewer stations or grants`);
  const text = Buffer.from(pass).toString('base64url');
  if (o.out) writeFileSync(o.out, `${text}\n`);
  else process.stdout.write(`${text}\n`);
  process.stderr.write(`${passSummaryLine(describePass(pass))}${o.out ? `, written to ${o.out}` : ''}\n`);
  return 0;
}

/** The options as a pass request, or a UsageError naming the one that is wrong. */
export function passRequest(o: PassOptions): Omit<PassRequest, 'phoneKey'> & { phoneKey: Uint8Array } {
  const sub = o.sub ?? '';
  if (sub.length < 1 || sub.length > MAX_SUB) throw new UsageError(`--sub must be 1..${MAX_SUB} characters`);
  if (o.role !== undefined && o.role !== 'worker' && o.role !== 'operator') throw new UsageError(`--role must be worker or operator, not "${o.role}"`);
  const stations = names(o.station, 'station');
  const groups = names(o.group, 'group');
  if (stations.length === 0 && groups.length === 0) throw new UsageError('pass needs at least one --station ID or --group G');
  const grantTexts = o.grant ?? [];
  if (grantTexts.length === 0 || grantTexts.length > MAX_LIST) throw new UsageError(`pass needs 1..${MAX_LIST} --grant ACT[:RES]`);
  return {
    sub,
    ...(o.role === 'operator' ? { role: 'operator' as const } : {}),
    phoneKey: readPhonePublicKey(o.phoneKey ?? ''),
    ...(stations.length ? { stations } : {}),
    ...(groups.length ? { groups } : {}),
    grants: grantTexts.map(parseGrant),
    ttlSeconds: hours(o.hours),
  };
}

function names(values: string[] | undefined, option: string): string[] {
  const list = values ?? [];
  if (list.length > MAX_LIST) throw new UsageError(`at most ${MAX_LIST} --${option}`);
  for (const v of list) if (v.length < 1 || v.length > MAX_NAME) throw new UsageError(`--${option} must be 1..${MAX_NAME} characters, not "${v}"`);
  return list;
}

/** `unlock:main-door`; `dispense` or `dispense:*` for any resource of the station that dispenses. */
export function parseGrant(text: string): { act: PassAction; res: string | null } {
  const colon = text.indexOf(':');
  const act = colon < 0 ? text : text.slice(0, colon);
  const res = colon < 0 ? '*' : text.slice(colon + 1);
  if (!PASS_ACTIONS.includes(act as PassAction)) throw new UsageError(`--grant "${text}": the action must be ${PASS_ACTIONS.join(', ')}`);
  if (res.length < 1 || res.length > MAX_NAME) throw new UsageError(`--grant "${text}": the resource must be 1..${MAX_NAME} characters (or left out for any)`);
  return { act: act as PassAction, res: res === '*' ? null : res };
}

function hours(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PASS_HOURS * 3600;
  const h = text.trim() === '' ? Number.NaN : Number(text);
  // A station refuses a pass longer than 7 days whatever it says; the cloud issues a day or less.
  if (!Number.isFinite(h) || h <= 0 || h > MAX_HOURS) throw new UsageError(`--hours must be a number over 0, at most ${MAX_HOURS}, not "${text}"`);
  return Math.max(1, Math.round(h * 3600));
}

const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const grantText = (g: { act: string; res: string | null }): string => `${g.act}:${g.res ?? '*'}`;

export function passSummaryLine(p: PassSummary): string {
  const where = [p.stations.length ? `stations ${p.stations.join(' ')}` : '', p.groups.length ? `groups ${p.groups.join(' ')}` : ''].filter(Boolean).join(', ');
  const from = p.nbf ?? p.iat;
  return `pass: sub ${p.sub} (${p.role}), ${where}, grants ${p.grants.map(grantText).join(' ')}, valid ${iso(from)} to ${iso(p.exp)} (${(p.exp - from) / 3600} h), ${p.bytes} bytes, kid ${p.kid}`;
}
