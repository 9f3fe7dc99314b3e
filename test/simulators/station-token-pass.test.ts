import { sign, verify, createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustedKeys, type TrustedKeys } from '../../config/trusted-keys.js';
import type { ClockReading } from '../../gateway/access/clock-trust.js';
import { verifyRollingCode, type RollingCodeOptions } from '../../gateway/access/pass/rolling-code-verifier.js';
import { describePass, stepAt } from '../../simulators/cloud/pass-issuer.js';
import { readPhoneKeyFile, readPhonePublicKey } from '../../simulators/cloud/phone-key-file.js';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * `station-token phone-key`, `pass` and `code`, run as the built CLI a bench crew runs, and their
 * output checked by the station's own verifier and by a QR decoder reading the PNG's pixels: what
 * a scanner at the door would see.
 */

// pngjs comes with qrcode and has no types of its own; only its sync reader is used.
// jsqr is CommonJS whose types say `export default`: under NodeNext the function is `.default`.
const jsQR = jsQRModule.default;
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(b: Buffer): { width: number; height: number; data: Buffer } } } };

const STATION = 'demo-hz-0001';
const CLI = distEntry('simulators', 'cli', 'station-token.js');
let dir: ReturnType<typeof tempDir>;
let issuer: IssuerKeyFiles;
let keys: TrustedKeys;
let phoneFile: string;
let phonePublic: string;
let passFile: string;
/** Inside the pass (issued now for 12 h), two seconds into a step so no step is a matter of rounding. */
let AT: Date;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with stdout and stderr apart: the code or pass goes to one, the facts to the other. */
async function cli(...args: string[]): Promise<Run> {
  const p = runNode(CLI, args, { cwd: dir.path });
  let stdout = '';
  let stderr = '';
  p.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  p.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const timer = setTimeout(() => void p.kill(), 20_000);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const clock = (now: Date): ClockReading => ({ now, trusted: true, reason: 'synchronised', floor: now });
const options = (over: Partial<RollingCodeOptions> = {}): RollingCodeOptions => ({
  keys, stationId: STATION, skewSeconds: 60, untrustedClock: 'floor', seen: () => false, ...over,
});
const iso = (d: Date): string => d.toISOString();

beforeAll(async () => {
  dir = tempDir('station-token-pass-');
  issuer = await writeIssuerKeyFiles(join(dir.path, 'keys'), 'fleet-bench');
  keys = await loadTrustedKeys(issuer.trustedKeysFile);
  phoneFile = join(dir.path, 'phone.jwk.json');
  const made = await cli('phone-key', '--out', phoneFile);
  expect(made.code).toBe(0);
  phonePublic = made.stdout.trim();
  passFile = join(dir.path, 'pass.txt');
  const issued = await cli(
    'pass', '--key', issuer.privateKeyFile, '--phone-key', phonePublic, '--sub', 'w-5f3c9a1e', '--station', STATION,
    '--grant', 'unlock:main-door', '--grant', 'swap:cabinet-1', '--grant', 'dispense', '--out', passFile,
  );
  expect(issued.stderr).toMatch(/^pass: sub w-5f3c9a1e \(worker\), stations demo-hz-0001, grants unlock:main-door swap:cabinet-1 dispense:\*, valid .* \(12 h\), \d+ bytes, kid fleet-bench/);
  expect(issued.code).toBe(0);
  AT = new Date((stepAt(new Date(Date.now() + 60_000)) * 5 + 2) * 1000);
});

afterAll(() => dir?.remove());

describe('station-token phone-key', () => {
  it('writes a private JWK only its owner reads, whose public half is what it printed and what signs codes', () => {
    expect(phonePublic).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(phoneFile).mode & 0o777).toBe(0o600);
    const key = readPhoneKeyFile(phoneFile);
    expect(Buffer.from(key.publicKey).toString('base64url')).toBe(phonePublic);
    // The file serves as --phone-key too, and the key signs what the public half verifies.
    expect(Buffer.from(readPhonePublicKey(phoneFile)).toString('base64url')).toBe(phonePublic);
    const message = Buffer.from('rolling code');
    expect(verify(null, message, createPublicKey(key.privateKey), sign(null, message, key.privateKey))).toBe(true);
  });
});

describe('station-token pass', () => {
  it('issues a pass bound to the phone key, for the stations and grants asked, for 12 hours', () => {
    const pass = describePass(new Uint8Array(Buffer.from(readFileSync(passFile, 'utf8').trim(), 'base64url')));
    expect(Buffer.from(pass.phoneKey).toString('base64url')).toBe(phonePublic);
    expect(pass).toMatchObject({ sub: 'w-5f3c9a1e', kid: 'fleet-bench', stations: [STATION], groups: [] });
    expect(pass.grants).toEqual([{ act: 'unlock', res: 'main-door' }, { act: 'swap', res: 'cabinet-1' }, { act: 'dispense', res: null }]);
    expect(pass.exp - pass.iat).toBe(12 * 3600);
  });

  it('prints the pass on stdout without --out, and a group pass opens a station of that group', async () => {
    const run = await cli('pass', '--key', issuer.privateKeyFile, '--phone-key', phoneFile, '--sub', 'w-2', '--role', 'operator', '--group', 'hz-west', '--grant', 'operate', '--hours', '2');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('groups hz-west');
    const code = await cli('code', '--pass', run.stdout.trim(), '--phone', phoneFile, '--res', 'cabinet-1', '--act', 'operate', '--at', iso(AT));
    expect(code.code).toBe(0);
    const ok = verifyRollingCode(code.stdout.trim(), clock(AT), options({ stationGroups: ['hz-west'] }));
    expect(ok.claims).toMatchObject({ sub: 'w-2', role: 'operator', act: 'operate', res: 'cabinet-1' });
    expect(() => verifyRollingCode(code.stdout.trim(), clock(AT), options())).toThrow(expect.objectContaining({ code: 'WRONG_STATION' }));
  });
});

describe('station-token code', () => {
  it('makes a code the station opens for at its step, and refuses at another station or after its step', async () => {
    const run = await cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'main-door', '--act', 'unlock', '--station-code', STATION, '--at', iso(AT));
    expect(run.code).toBe(0);
    const text = run.stdout.trim();
    expect(text).toMatch(/^RC1:[0-9A-Z $%*+\-./:]+$/);
    const ok = verifyRollingCode(text, clock(AT), options());
    expect(ok.claims).toMatchObject({ sub: 'w-5f3c9a1e', act: 'unlock', res: 'main-door', kid: 'fleet-bench' });
    expect(ok.step).toBe(stepAt(AT));
    expect(run.stderr).toContain(`code: step ${stepAt(AT)} `);
    const version = QRCode.create(text, { errorCorrectionLevel: 'M' }).version;
    // base45: three characters for two bytes, two for a last odd one.
    const body = text.length - 'RC1:'.length;
    expect(run.stderr).toContain(`${text.length} characters, ${Math.floor(body / 3) * 2 + (body % 3 === 2 ? 1 : 0)} bytes, QR version ${version} `);
    expect(run.stderr).toMatch(new RegExp(`bytes, QR version ${version} \\(${17 + 4 * version}x${17 + 4 * version} modules, level M, Alphanumeric\\)`));
    process.stdout.write(`station-token code: ${text.length} characters, QR version ${version}; ${run.stderr.trim()}\n`);
    expect(() => verifyRollingCode(text, clock(AT), options({ stationId: 'demo-hz-0002' }))).toThrow(expect.objectContaining({ code: 'WRONG_STATION' }));
    expect(() => verifyRollingCode(text, clock(new Date(AT.getTime() + 15_000)), options())).toThrow(expect.objectContaining({ code: 'EXPIRED' }));
  });

  it('gives another code for another step, each opening at its own step only', async () => {
    const later = new Date(AT.getTime() + 20_000);
    const [a, b, again] = await Promise.all([
      cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'cabinet-1', '--act', 'swap', '--at', iso(AT)),
      cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'cabinet-1', '--act', 'swap', '--at', iso(later)),
      cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'cabinet-1', '--act', 'swap', '--at', iso(new Date(AT.getTime() + 1000))),
    ]);
    expect(a.stdout).not.toBe(b.stdout);
    // Ed25519 is deterministic: the same step is the same code, which the replay key then counts once.
    expect(again.stdout).toBe(a.stdout);
    expect(verifyRollingCode(b.stdout.trim(), clock(later), options()).step).toBe(stepAt(later));
    expect(() => verifyRollingCode(a.stdout.trim(), clock(later), options())).toThrow(expect.objectContaining({ code: 'EXPIRED' }));
  });

  it('writes a PNG that a QR decoder reads back to exactly the code text', async () => {
    const png = join(dir.path, 'code.png');
    const run = await cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'main-door', '--act', 'unlock', '--at', iso(AT), '--qr', png);
    expect(run.code).toBe(0);
    const image = PNG.sync.read(readFileSync(png));
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(run.stdout.trim());
    expect(decoded?.version).toBe(QRCode.create(run.stdout.trim(), { errorCorrectionLevel: 'M' }).version);
    expect(verifyRollingCode(decoded?.data ?? '', clock(AT), options()).claims.res).toBe('main-door');
  });

  it('prints the QR code in UTF-8 blocks, module for module the code', async () => {
    const run = await cli('code', '--pass', passFile, '--phone', phoneFile, '--res', 'main-door', '--act', 'unlock', '--at', iso(AT), '--qr-terminal');
    expect(run.code).toBe(0);
    const [text, ...art] = run.stdout.split('\n');
    const qr = QRCode.create(text!, { errorCorrectionLevel: 'M' });
    const size = qr.modules.size;
    // Two module rows a line, behind a quiet zone of 4 modules (2 lines, 4 columns).
    const rows = art.slice(2, 2 + Math.ceil(size / 2)).map((line) => [...line].slice(4, 4 + size));
    const dark = (r: number, c: number): boolean => {
      const ch = rows[r >> 1]![c]!;
      return r % 2 === 0 ? ch === '█' || ch === '▀' : ch === '█' || ch === '▄';
    };
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) expect(dark(r, c)).toBe(qr.modules.get(r, c) === 1);
  });

  it('--watch prints a new code each step until interrupted, then exits 0', async () => {
    const p = runNode(CLI, ['code', '--pass', passFile, '--phone', phoneFile, '--res', 'main-door', '--act', 'unlock', '--watch'], { cwd: dir.path });
    try {
      await p.waitForOutput(/(RC1:[^\n]+\n[\s\S]*){2}/, 15_000);
      p.child.kill('SIGINT');
      const { code } = await p.exited;
      expect(code).toBe(0);
      const codes = p.output().split('\n').filter((l) => l.startsWith('RC1:'));
      expect(new Set(codes).size).toBe(codes.length);
      const steps = [...p.output().matchAll(/code: step (\d+)/g)].map((m) => Number(m[1]));
      expect(steps[1]).toBe(steps[0]! + 1);
      // Each is the phone's code for its step, as the station at that moment would take it.
      expect(verifyRollingCode(codes[1]!, clock(new Date(steps[1]! * 5000 + 1000)), options()).step).toBe(steps[1]);
    } finally {
      await p.stop();
    }
  });
});

describe('bad command lines', () => {
  const pass = (...more: string[]): string[] => ['pass', '--key', issuer.privateKeyFile, '--phone-key', phonePublic, '--sub', 'w-1', ...more];
  const code = (...more: string[]): string[] => ['code', '--pass', passFile, '--phone', phoneFile, '--res', 'main-door', ...more];
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a pass for no station', () => pass('--grant', 'unlock'), /at least one --station ID or --group G/],
    ['no grant', () => pass('--station', STATION), /1\.\.32 --grant/],
    ['an unknown action', () => pass('--station', STATION, '--grant', 'fly:main-door'), /--grant "fly:main-door": the action must be unlock, swap/],
    ['a pass longer than a station takes', () => pass('--station', STATION, '--grant', 'unlock', '--hours', '200'), /--hours must be a number over 0, at most 168/],
    ['a role that is not one', () => pass('--station', STATION, '--grant', 'unlock', '--role', 'boss'), /--role must be worker or operator/],
    ['a phone key that is neither key nor file', () => ['pass', '--key', issuer.privateKeyFile, '--phone-key', 'nope', '--sub', 'w', '--station', STATION, '--grant', 'unlock'], /--phone-key "nope": neither/],
    ['an unknown option', () => pass('--station', STATION, '--grant', 'unlock', '--colour', 'red'), /Unknown option '--colour'/],
    ['a code with no action', () => code(), /code needs --pass PASS\|FILE, --phone FILE, --res NAME and --act ACT/],
    ['a bad time', () => code('--act', 'unlock', '--at', 'tomorrow'), /--at must be an ISO-8601 time/],
    ['--watch with --at', () => code('--act', 'unlock', '--watch', '--at', iso(new Date())), /--watch makes codes for now; leave out --at/],
    ['a pass that is not base64url', () => ['code', '--pass', 'not a pass!', '--phone', phoneFile, '--res', 'main-door', '--act', 'unlock'], /--pass must be a pass/],
    ['another phone than the pass names', () => code('--act', 'unlock', '--phone', join(dir.path, 'other.jwk.json')), /is not the phone this pass was issued for/],
  ];
  it.each(cases)('refuses %s with the usage error, exit 2', async (_what, args, message) => {
    if (args().includes(join(dir.path, 'other.jwk.json'))) expect((await cli('phone-key', '--out', join(dir.path, 'other.jwk.json'))).code).toBe(0);
    const run = await cli(...args());
    expect(run.stderr).toMatch(message);
    expect(run.stderr.split('\n')[0]).toMatch(/^station-token: /);
    expect(run.code).toBe(2);
    expect(run.stdout).not.toMatch(/RC1:/);
  });
});
