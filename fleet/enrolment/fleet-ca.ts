import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';
import { STATION_ID } from '../../gateway/enrolment/enrolment-protocol.js';

const run = promisify(execFile);

/** openssl is quick; a minute means it hangs (a key with a passphrase waiting on a terminal). */
const OPENSSL_TIMEOUT_MS = 60_000;

/** What every station certificate says beyond its CN: an end entity for TLS client authentication. */
const STATION_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

export interface CaFiles {
  cert: string;
  key: string;
}

/**
 * `station-fleet enrol ca init`: a fleet CA (EC P-256, self-signed, CA:TRUE) for a test or a small
 * fleet, made by openssl. It never overwrites a CA: a second init over a CA key would orphan every
 * certificate the first one signed.
 */
export async function initFleetCa(dir: string, options: { name?: string; days?: number } = {}): Promise<CaFiles> {
  const files = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  if (existsSync(files.key) || existsSync(files.cert)) throw new EnrolmentError('ENROL_CA', `${dir} holds a CA already (ca.crt or ca.key): a CA is never overwritten`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = options.name ?? 'station-fleet-ca';
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(name)) throw new EnrolmentError('ENROL_CA', `CA name "${name}": letters, digits, spaces, . _ -, at most 64`);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', String(options.days ?? 3650), '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', files.key, '-out', files.cert,
  ]).catch((err: unknown) => {
    throw new EnrolmentError('ENROL_CA', `openssl could not make the CA: ${(err as Error).message}`);
  });
  chmodSync(files.key, 0o600);
  return files;
}

export interface Issued {
  certificatePem: string;
  notAfter: Date;
  serial: string;
}

/**
 * The fleet's CA as the enrolment service uses it: OpenSSL signs (`openssl x509 -req -CA`), with
 * the CN forced to the station id whatever the request asked for, a random 128-bit serial, client
 * authentication only, and the configured validity.
 */
export class FleetCa {
  readonly caPem: string;

  constructor(
    readonly files: CaFiles,
    readonly validityDays: number,
  ) {
    let ca: X509Certificate;
    try {
      this.caPem = readFileSync(files.cert, 'utf8');
      ca = new X509Certificate(this.caPem);
      readFileSync(files.key);
    } catch (err) {
      throw new EnrolmentError('ENROL_CA', `the CA files cannot be read: ${(err as Error).message}`);
    }
    if (!ca.ca) throw new EnrolmentError('ENROL_CA', `${files.cert} is not a CA certificate (basicConstraints CA:TRUE)`);
  }

  /** Signs a CSR whose self-signature the caller has verified. */
  async sign(csrPem: string, stationId: string): Promise<Issued> {
    // -subj takes /CN=value: a station id is [a-z0-9-], so nothing in it can add an attribute.
    if (!STATION_ID.test(stationId)) throw new EnrolmentError('ENROL_SIGN_FAILED', `"${stationId}" is not a station id`);
    const work = mkdtempSync(join(tmpdir(), 'station-fleet-sign-'));
    try {
      writeFileSync(join(work, 'req.csr'), csrPem);
      writeFileSync(join(work, 'ext.cnf'), STATION_EXTENSIONS);
      // A positive 128-bit serial (RFC 5280: at most 20 octets, not negative).
      const bytes = randomBytes(16);
      bytes[0] = (bytes[0] ?? 0) & 0x7f;
      const serial = `0x${bytes.toString('hex')}`;
      await openssl([
        'x509', '-req', '-in', join(work, 'req.csr'), '-CA', this.files.cert, '-CAkey', this.files.key,
        '-set_serial', serial, '-days', String(this.validityDays), '-subj', `/CN=${stationId}`,
        '-extfile', join(work, 'ext.cnf'), '-sha256', '-out', join(work, 'station.crt'),
      ]).catch((err: unknown) => {
        throw new EnrolmentError('ENROL_SIGN_FAILED', `openssl could not sign: ${(err as Error).message}`);
      });
      const certificatePem = readFileSync(join(work, 'station.crt'), 'utf8');
      const cert = new X509Certificate(certificatePem);
      return { certificatePem, notAfter: new Date(cert.validTo), serial: cert.serialNumber };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: OPENSSL_TIMEOUT_MS });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error((e.stderr ?? '').trim().split('\n').slice(-2).join(' ') || e.message);
  }
}
