import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EnrolmentError } from './enrolment-error.js';
import { pemBlocks } from './pem.js';

const DAY_MS = 86_400_000;

/**
 * Days until a certificate expires, as a fraction (29.5 is twenty-nine and a half days; below 0
 * it has expired). Pure, so doctor, `/metrics` and `S/status` show the same number for the same
 * certificate and time; each rounds it for display as it likes.
 */
export function daysToExpiry(notAfterMs: number, nowMs: number): number {
  return (notAfterMs - nowMs) / DAY_MS;
}

export interface CertificateDates {
  notBefore: Date;
  notAfter: Date;
  serial: string;
  commonName: string | undefined;
}

/**
 * The dates of the first certificate in PEM text (the station's own, before any intermediates);
 * undefined when there is none or it cannot be read.
 */
export function certificateExpiry(certPem: string): CertificateDates | undefined {
  const der = pemBlocks(certPem, 'CERTIFICATE')[0];
  if (!der) return undefined;
  try {
    const leaf = new X509Certificate(der);
    return { notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), serial: leaf.serialNumber, commonName: commonNameOf(leaf) };
  } catch {
    return undefined;
  }
}

/** `certificateExpiry` of a file (cloud.cert), for doctor and the metrics: what the station connects with now. A file that cannot be read throws its fs error. */
export function certificateFileExpiry(file: string): CertificateDates | undefined {
  return certificateExpiry(readFileSync(file, 'utf8'));
}

export interface IssuedCheck {
  /** The certificate chain as received: the station's certificate first. */
  certificatePem: string;
  /** The CA bundle sent with it. */
  caPem: string;
  privateKeyPem: string;
  stationId: string;
  nowMs: number;
}

/**
 * What the box checks before it keeps a certificate it was sent: it is for the key the box made
 * (so the service cannot hand it someone else's identity), its CN is the station id it is to be,
 * it is signed by a CA in the chain or the bundle sent, it is valid now, and it is for TLS client
 * authentication. Any failure is `ENROL_BAD_REPLY`, with the check named.
 */
export function checkIssuedCertificate(c: IssuedCheck): { notAfter: Date } {
  const bad = (why: string): EnrolmentError => new EnrolmentError('ENROL_BAD_REPLY', `certificate refused: ${why}`);
  let chain: X509Certificate[];
  let cas: X509Certificate[];
  try {
    chain = pemBlocks(c.certificatePem, 'CERTIFICATE').map((der) => new X509Certificate(der));
    cas = pemBlocks(c.caPem, 'CERTIFICATE').map((der) => new X509Certificate(der));
  } catch (err) {
    throw bad(`not readable X.509 (${(err as Error).message})`);
  }
  const leaf = chain[0];
  if (!leaf) throw bad('no certificate in the reply');
  if (cas.length === 0) throw bad('no CA certificate in the reply');
  if (!leaf.checkPrivateKey(createPrivateKey(c.privateKeyPem))) throw bad('it is not for the key this box made');
  const cn = commonNameOf(leaf);
  if (cn !== c.stationId) throw bad(`its CN is "${cn ?? ''}", not the station id "${c.stationId}"`);
  const issuers = [...chain.slice(1), ...cas];
  if (!verifiesUpTo(leaf, issuers, cas)) throw bad('it is not signed by the CA sent with it');
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (!(notBefore <= c.nowMs + 5 * 60_000) || !(notAfter > c.nowMs)) throw bad(`it is not valid now (${leaf.validFrom} to ${leaf.validTo})`);
  if (leaf.keyUsage && !leaf.keyUsage.includes('1.3.6.1.5.5.7.3.2')) throw bad('it is not for TLS client authentication');
  return { notAfter: new Date(notAfter) };
}

/** The chain from `cert` reaches one of `roots`, each link's signature checked. */
function verifiesUpTo(cert: X509Certificate, issuers: X509Certificate[], roots: X509Certificate[], depth = 0): boolean {
  if (depth > 4) return false;
  for (const issuer of issuers) {
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) continue;
    if (roots.some((r) => r.fingerprint256 === issuer.fingerprint256)) return true;
    if (verifiesUpTo(issuer, issuers.filter((i) => i !== issuer), roots, depth + 1)) return true;
  }
  return false;
}

export function commonNameOf(cert: X509Certificate): string | undefined {
  // Node prints the subject one attribute a line: "CN=hz-0001".
  return cert.subject
    .split('\n')
    .find((line) => line.startsWith('CN='))
    ?.slice(3);
}
