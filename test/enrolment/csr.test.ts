import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeyAndCsr, verifyCsr } from '../../gateway/enrolment/csr.js';
import { pemBlocks, toPem } from '../../gateway/enrolment/pem.js';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The box's CSR, checked by two implementations that are not ours (OpenSSL's `req -verify` and
 * python's `cryptography`), and the service's check of a CSR's self-signature against requests
 * made by OpenSSL, good and broken.
 */

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('enrol-csr-');
});
afterAll(() => dir.remove());

const openssl = (args: string[]): { status: number | null; out: string } => {
  const r = spawnSync('openssl', args, { cwd: dir.path, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

async function refusal(pem: string): Promise<string> {
  try {
    await verifyCsr(pem);
  } catch (err) {
    expect(err).toBeInstanceOf(EnrolmentError);
    return `${(err as EnrolmentError).code}: ${(err as Error).message}`;
  }
  throw new Error('verifyCsr accepted it');
}

/** The same request with one byte of its signature changed (the last byte of the DER is the signature's). */
function withBadSignature(pem: string): string {
  const der = pemBlocks(pem, 'CERTIFICATE REQUEST')[0]!;
  der[der.length - 1] = (der[der.length - 1]! ^ 0x01) & 0xff;
  return toPem('CERTIFICATE REQUEST', der);
}

describe('the box\'s key and CSR', () => {
  it('is an EC P-256 key in PKCS#8 and a PKCS#10 request whose self-signature OpenSSL verifies, CN as asked', async () => {
    const { privateKeyPem, csrPem } = await makeKeyAndCsr('hz-0001');
    const key = createPrivateKey(privateKeyPem);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve]).toEqual(['ec', 'prime256v1']);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    writeFileSync(join(dir.path, 'ours.csr'), csrPem);
    const r = openssl(['req', '-in', 'ours.csr', '-verify', '-noout', '-subject']);
    expect(r.out).toContain('self-signature verify OK');
    expect(r.out).toContain('subject=CN = hz-0001');
    expect(r.status).toBe(0);
    // The public key in the request is the key's own.
    writeFileSync(join(dir.path, 'ours.key'), privateKeyPem);
    expect(execFileSync('openssl', ['req', '-in', 'ours.csr', '-noout', '-pubkey'], { cwd: dir.path, encoding: 'utf8' })).toBe(
      execFileSync('openssl', ['pkey', '-in', 'ours.key', '-pubout'], { cwd: dir.path, encoding: 'utf8' }),
    );
  });

  it('is verified by python\'s cryptography (Debian\'s python3-cryptography), an implementation independent of pkijs', async () => {
    const { csrPem } = await makeKeyAndCsr('hz-0002');
    const script = [
      'import sys',
      'from cryptography import x509',
      'from cryptography.x509.oid import NameOID',
      'from cryptography.hazmat.primitives.asymmetric import ec',
      'csr = x509.load_pem_x509_csr(sys.stdin.buffer.read())',
      'print(csr.is_signature_valid, isinstance(csr.public_key(), ec.EllipticCurvePublicKey), csr.public_key().curve.name, csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)',
    ].join('\n');
    const run = (pem: string): string => spawnSync('/usr/bin/python3', ['-c', script], { input: pem, encoding: 'utf8' }).stdout.trim();
    expect(run(csrPem)).toBe('True True secp256r1 hz-0002');
    // And it fails where it should: the same request with its signature changed.
    expect(run(withBadSignature(csrPem))).toBe('False True secp256r1 hz-0002');
  });
});

describe('the service\'s check of a CSR (proof of possession)', () => {
  it('accepts the box\'s own request and one OpenSSL made for an EC P-256 key', async () => {
    const ours = await makeKeyAndCsr('hz-0003');
    expect((await verifyCsr(ours.csrPem)).commonName).toBe('hz-0003');
    expect(openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=made-by-openssl', '-keyout', 'o.key', '-out', 'o.csr']).status).toBe(0);
    expect((await verifyCsr(readFileSync(join(dir.path, 'o.csr'), 'utf8'))).commonName).toBe('made-by-openssl');
  });

  it('refuses a request whose signature does not verify, which OpenSSL refuses too', async () => {
    const bad = withBadSignature((await makeKeyAndCsr('hz-0004')).csrPem);
    writeFileSync(join(dir.path, 'bad.csr'), bad);
    // OpenSSL 3.0's `req -verify` says so and still exits 0.
    expect(openssl(['req', '-in', 'bad.csr', '-verify', '-noout']).out).toContain('self-signature verify failure');
    expect(await refusal(bad)).toBe('ENROL_BAD_CSR: the request\'s self-signature does not verify with its public key');
  });

  it('refuses a request whose subject was changed after signing (the signature covers it)', async () => {
    const { csrPem } = await makeKeyAndCsr('hz-0005');
    const der = pemBlocks(csrPem, 'CERTIFICATE REQUEST')[0]!;
    const at = der.indexOf(Buffer.from('hz-0005'));
    der.set(Buffer.from('hz-0009'), at);
    expect(await refusal(toPem('CERTIFICATE REQUEST', der))).toMatch(/^ENROL_BAD_CSR: the request's self-signature does not verify/);
  });

  it('refuses an RSA key, garbage, and anything but one request', async () => {
    expect(openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa', '-keyout', 'r.key', '-out', 'r.csr']).status).toBe(0);
    expect(await refusal(readFileSync(join(dir.path, 'r.csr'), 'utf8'))).toBe('ENROL_BAD_CSR: the key must be EC P-256, not rsa');
    expect(await refusal('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')).toMatch(/^ENROL_BAD_CSR: not a PKCS#10 request/);
    expect(await refusal('hello')).toBe('ENROL_BAD_CSR: expected exactly one PEM block "CERTIFICATE REQUEST"');
    const one = (await makeKeyAndCsr('a-1')).csrPem;
    expect(await refusal(one + one)).toBe('ENROL_BAD_CSR: expected exactly one PEM block "CERTIFICATE REQUEST"');
  });
});
