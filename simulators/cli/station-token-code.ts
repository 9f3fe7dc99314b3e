import { existsSync, readFileSync, renameSync } from 'node:fs';
import { UsageError } from '../../config/usage-error.js';
import { describePass, PASS_ACTIONS, PASS_STEP_SECONDS, rollingCodeBytes, rollingCodeText, stepAt, type PassAction, type PassSummary } from '../cloud/pass-issuer.js';
import { readPhoneKeyFile } from '../cloud/phone-key-file.js';
import type { PhoneKey } from '../cloud/pass-issuer.js';
import { qrFacts, qrTerminalText, writeQrPng } from '../cloud/qr-image.js';

/*
 * `station-token code`: the phone's part at the door, for a bench. One code for now (or --at), or
 * with --watch a new one each 5 s step until Ctrl-C, which is how a crew tests a scanner: the
 * scanner should open once per code and refuse the one before.
 */

export interface CodeOptions {
  pass?: string | undefined;
  phone?: string | undefined;
  res?: string | undefined;
  act?: string | undefined;
  stationCode?: string | undefined;
  at?: string | undefined;
  qr?: string | undefined;
  qrTerminal?: boolean | undefined;
  watch?: boolean | undefined;
}

interface Prepared {
  pass: Uint8Array;
  summary: PassSummary;
  phone: PhoneKey;
  act: PassAction;
  res: string;
  station: string;
}

export async function codeCommand(o: CodeOptions): Promise<number> {
  if (!o.pass || !o.phone || !o.res || !o.act) throw new UsageError('code needs --pass PASS|FILE, --phone FILE, --res NAME and --act ACT');
  if (!PASS_ACTIONS.includes(o.act as PassAction)) throw new UsageError(`--act must be ${PASS_ACTIONS.join(', ')}, not "${o.act}"`);
  if (o.res.length < 1 || o.res.length > 64) throw new UsageError('--res must be 1..64 characters');
  const station = o.stationCode ?? '';
  if (station.length > 64) throw new UsageError('--station-code must be at most 64 characters');
  if (o.watch && o.at !== undefined) throw new UsageError('--watch makes codes for now; leave out --at');
  const at = o.at === undefined ? undefined : parseAt(o.at);
  const pass = readPassOption(o.pass);
  const summary = describePass(pass);
  const phone = readPhoneKeyFile(o.phone);
  if (!Buffer.from(phone.publicKey).equals(Buffer.from(summary.phoneKey))) {
    throw new UsageError(`${o.phone} is not the phone this pass was issued for (the pass binds key ${Buffer.from(summary.phoneKey).toString('base64url')})`);
  }
  const prepared: Prepared = { pass, summary, phone, act: o.act as PassAction, res: o.res, station };
  if (!o.watch) {
    await showCode(prepared, stepAt(at ?? new Date()), o, true);
    return 0;
  }
  return watch(prepared, o);
}

/** The pass as printed by `pass` (base64url), or a file holding that. */
function readPassOption(value: string): Uint8Array {
  const text = (existsSync(value) ? readFileSync(value, 'utf8') : value).trim();
  const bytes = Buffer.from(text, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(text) || bytes.toString('base64url') !== text) {
    throw new UsageError('--pass must be a pass as `station-token pass` prints it (base64url) or a file holding one');
  }
  return new Uint8Array(bytes);
}

function parseAt(text: string): Date {
  // Date.parse takes "1" or "May 5" too; a bench time is ISO-8601 with a date and a time.
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at must be an ISO-8601 time such as 2026-12-01T20:00:02Z, not "${text}"`);
  return at;
}

/** access.clockSkewSeconds unless a station sets it: the notes are a hint, the station decides. */
const DEFAULT_SKEW_SECONDS = 60;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

async function showCode(p: Prepared, step: number, o: CodeOptions, notes: boolean): Promise<void> {
  const bytes = rollingCodeBytes(p.pass, p.phone, { act: p.act, res: p.res, station: p.station, step });
  const text = rollingCodeText(bytes);
  const qr = qrFacts(text);
  if (o.qr) {
    // Written beside and renamed, so a viewer reloading the file never reads half an image.
    const part = `${o.qr}.part`;
    await writeQrPng(part, text);
    renameSync(part, o.qr);
  }
  let out = `${text}\n`;
  if (o.qrTerminal) out += await qrTerminalText(text, process.stdout.isTTY === true);
  process.stdout.write(out);
  const start = step * PASS_STEP_SECONDS * 1000;
  process.stderr.write(
    `code: step ${step} (${iso(start)}, ${PASS_STEP_SECONDS} s), ${p.act} ${p.res}${p.station ? ` at ${p.station}` : ''}, ` +
      `${text.length} characters, ${bytes.length} bytes, QR version ${qr.version} (${qr.modules}x${qr.modules} modules, level ${qr.errorCorrection}, ${qr.modes.join('+')})` +
      `${o.qr ? `, PNG ${o.qr}` : ''}\n`,
  );
  if (notes) for (const note of stationWillRefuse(p, start / 1000)) process.stderr.write(`note: ${note}\n`);
}

/**
 * What the station will refuse that the tool can see without the station: a crew testing a
 * refusal on purpose gets its code, and one that did not mean to is told why before the door says no.
 */
function stationWillRefuse(p: Prepared, at: number): string[] {
  const notes: string[] = [];
  const s = p.summary;
  if (!s.grants.some((g) => g.act === p.act && (g.res === null || g.res === p.res))) notes.push(`the pass does not grant ${p.act} on ${p.res} (FORBIDDEN)`);
  // The station allows its clock skew either side of the pass (check 15 of docs/passes.md).
  if (at > s.exp + DEFAULT_SKEW_SECONDS) notes.push(`the pass expired at ${iso(s.exp * 1000)} (EXPIRED)`);
  if (at < (s.nbf ?? s.iat) - DEFAULT_SKEW_SECONDS) notes.push(`the pass is valid from ${iso((s.nbf ?? s.iat) * 1000)} (NOT_YET_VALID)`);
  return notes;
}

/** A code each step until SIGINT or SIGTERM; exit 0 then, as a crew ends it with Ctrl-C. */
async function watch(p: Prepared, o: CodeOptions): Promise<number> {
  let stopped = false;
  let wake: () => void = () => undefined;
  const stop = (): void => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let first = true;
    while (!stopped) {
      const step = stepAt(new Date());
      if (o.qrTerminal && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
      await showCode(p, step, o, first);
      first = false;
      // Just after the next step begins: a code made on the boundary's last millisecond would
      // already be the previous step's by the time the scanner reads it.
      const next = (step + 1) * PASS_STEP_SECONDS * 1000 + 50;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, next - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
