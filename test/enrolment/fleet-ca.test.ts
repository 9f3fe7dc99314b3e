import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateExpiry, checkIssuedCertificate, daysToExpiry } from '../../gateway/enrolment/certificate.js';
import { makeKeyAndCsr } from '../../gateway/enrolment/csr.js';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';
import { FleetCa, initFleetCa } from '../../fleet/enrolment/fleet-ca.js';
import { tempDir } from '../helpers/temp-dir.js';

/* The fleet CA made and used through OpenSSL, and the box's checks of what it is sent. */

let dir: ReturnType<typeof tempDir>;
let ca: FleetCa;
beforeAll(async () => {
  dir = tempDir('enrol-ca-');
  ca = new FleetCa(await initFleetCa(join(dir.path, 'ca'), { name: 'test-fleet-ca', days: 30 }), 90);
});
afterAll(() => dir.remove());

describe('station-fleet enrol ca init', () => {
  it('makes a self-signed EC P-256 CA whose key only its owner can read', () => {
    const cert = new X509Certificate(ca.caPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=test-fleet-ca');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(statSync(join(dir.path, 'ca', 'ca.key')).mode & 0o777).toBe(0o600);
  });

  it('never overwrites a CA', async () => {
    await expect(initFleetCa(join(dir.path, 'ca'))).rejects.toMatchObject({ code: 'ENROL_CA' });
  });

  it('refuses a certificate that is not a CA as the fleet CA', async () => {
    const issued = await ca.sign((await makeKeyAndCsr('x')).csrPem, 'hz-leaf');
    writeFileSync(join(dir.path, 'leaf.crt'), issued.certificatePem);
    expect(() => new FleetCa({ cert: join(dir.path, 'leaf.crt'), key: join(dir.path, 'ca', 'ca.key') }, 1)).toThrow(/is not a CA certificate/);
  });
});

describe('signing a station certificate', () => {
  it('forces the CN to the station id, for TLS client authentication, valid for the configured days; openssl verify accepts it', async () => {
    const { csrPem } = await makeKeyAndCsr('i-would-like-to-be-hz-9999');
    const issued = await ca.sign(csrPem, 'hz-0001');
    writeFileSync(join(dir.path, 'hz-0001.crt'), issued.certificatePem);
    const text = execFileSync('openssl', ['x509', '-in', join(dir.path, 'hz-0001.crt'), '-noout', '-subject', '-ext', 'extendedKeyUsage,basicConstraints'], { encoding: 'utf8' });
    expect(text).toContain('subject=CN = hz-0001');
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).toContain('CA:FALSE');
    const v = spawnSync('openssl', ['verify', '-CAfile', join(dir.path, 'ca', 'ca.crt'), '-purpose', 'sslclient', join(dir.path, 'hz-0001.crt')], { encoding: 'utf8' });
    expect(v.stdout.trim()).toBe(`${join(dir.path, 'hz-0001.crt')}: OK`);
    const days = daysToExpiry(issued.notAfter.getTime(), Date.now());
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    // Serials are random: two certificates never share one.
    expect((await ca.sign(csrPem, 'hz-0001')).serial).not.toBe(issued.serial);
  });

  it('signs for station ids only (nothing can be slipped into -subj)', async () => {
    const { csrPem } = await makeKeyAndCsr('x');
    await expect(ca.sign(csrPem, 'hz-1/O=evil')).rejects.toMatchObject({ code: 'ENROL_SIGN_FAILED' });
  });
});

describe('days to expiry', () => {
  it('is a fraction of days, negative once expired', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(daysToExpiry(Date.parse('2026-12-31T00:00:00Z'), now)).toBe(30);
    expect(daysToExpiry(Date.parse('2026-12-01T12:00:00Z'), now)).toBe(0.5);
    expect(daysToExpiry(Date.parse('2026-11-30T00:00:00Z'), now)).toBe(-1);
  });

  it('reads the certificate a station connects with, or says it cannot', async () => {
    const issued = await ca.sign((await makeKeyAndCsr('x')).csrPem, 'hz-0002');
    expect(certificateExpiry(issued.certificatePem)).toMatchObject({ notAfter: issued.notAfter, commonName: 'hz-0002', serial: issued.serial });
    expect(certificateExpiry('not a certificate')).toBeUndefined();
  });
});

describe('the box\'s checks of the certificate it is sent', () => {
  const check = async (f: (mine: { privateKeyPem: string; csrPem: string }) => Promise<{ cert: string; caPem?: string; stationId?: string; nowMs?: number }>): Promise<string> => {
    const mine = await makeKeyAndCsr('hz-0003');
    const { cert, caPem, stationId, nowMs } = await f(mine);
    try {
      checkIssuedCertificate({ certificatePem: cert, caPem: caPem ?? ca.caPem, privateKeyPem: mine.privateKeyPem, stationId: stationId ?? 'hz-0003', nowMs: nowMs ?? Date.now() });
      return 'kept';
    } catch (err) {
      expect(err).toBeInstanceOf(EnrolmentError);
      return `${(err as EnrolmentError).code}: ${(err as Error).message}`;
    }
  };

  it('keeps a certificate for its key, with its station id, from the CA sent', async () => {
    expect(await check(async (m) => ({ cert: (await ca.sign(m.csrPem, 'hz-0003')).certificatePem }))).toBe('kept');
  });

  it('refuses a certificate for another key, another station id, from another CA, or not valid now', async () => {
    const other = await makeKeyAndCsr('hz-0003');
    expect(await check(async () => ({ cert: (await ca.sign(other.csrPem, 'hz-0003')).certificatePem }))).toBe('ENROL_BAD_REPLY: certificate refused: it is not for the key this box made');
    expect(await check(async (m) => ({ cert: (await ca.sign(m.csrPem, 'hz-0004')).certificatePem }))).toBe('ENROL_BAD_REPLY: certificate refused: its CN is "hz-0004", not the station id "hz-0003"');
    const stranger = new FleetCa(await initFleetCa(join(dir.path, 'stranger')), 30);
    expect(await check(async (m) => ({ cert: (await stranger.sign(m.csrPem, 'hz-0003')).certificatePem }))).toBe('ENROL_BAD_REPLY: certificate refused: it is not signed by the CA sent with it');
    expect(await check(async (m) => ({ cert: (await ca.sign(m.csrPem, 'hz-0003')).certificatePem, nowMs: Date.now() + 91 * 86_400_000 }))).toMatch(/^ENROL_BAD_REPLY: certificate refused: it is not valid now/);
    expect(await check(async () => ({ cert: 'garbage' }))).toBe('ENROL_BAD_REPLY: certificate refused: no certificate in the reply');
  });
});
