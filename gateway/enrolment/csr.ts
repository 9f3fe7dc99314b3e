import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { Utf8String } from 'asn1js';
import { AttributeTypeAndValue, CertificationRequest, CryptoEngine } from 'pkijs';
import { EnrolmentError } from './enrolment-error.js';
import { pemBlocks, toPem } from './pem.js';

/*
 * The box's key pair and its PKCS#10 certificate signing request (RFC 2986), made with pkijs on
 * Node's WebCrypto, and the service's check of a request's self-signature (its proof that the
 * sender holds the private key). The private key leaves this module only as PKCS#8 PEM for the
 * box's own disk; the request carries the public key alone.
 */

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const COMMON_NAME = '2.5.4.3';

// pkijs is typed against the DOM's WebCrypto, Node's is the same API under its own types.
type DomCrypto = ConstructorParameters<typeof CryptoEngine>[0]['crypto'];
type DomCryptoKey = Parameters<CertificationRequest['sign']>[0];

// An engine of its own rather than pkijs's global one: nothing else in the process changes it.
const engine = new CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as DomCrypto });

export interface KeyAndCsr {
  /** PKCS#8 PEM: written 0600 on the box, never sent. */
  privateKeyPem: string;
  csrPem: string;
}

/** A fresh EC P-256 key pair and a CSR for it whose subject is CN=`commonName`, signed with ECDSA SHA-256. */
export async function makeKeyAndCsr(commonName: string): Promise<KeyAndCsr> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const csr = new CertificationRequest();
  csr.subject.typesAndValues.push(new AttributeTypeAndValue({ type: COMMON_NAME, value: new Utf8String({ value: commonName }) }));
  // RFC 2986 makes `attributes` mandatory, if empty; pkijs leaves an empty list out unless it is set,
  // and strict parsers (python's cryptography) then refuse the request.
  csr.attributes = [];
  await csr.subjectPublicKeyInfo.importKey(keys.publicKey as unknown as DomCryptoKey, engine);
  await csr.sign(keys.privateKey as unknown as DomCryptoKey, 'SHA-256', engine);
  const der = Buffer.from(csr.toSchema(true).toBER(false));
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { privateKeyPem: toPem('PRIVATE KEY', pkcs8), csrPem: toPem('CERTIFICATE REQUEST', der) };
}

export interface VerifiedCsr {
  /** The CN the box asked for (the service forces its own). */
  commonName: string | undefined;
  publicKey: KeyObject;
}

/**
 * Reads a CSR and checks it the way a CA must before it signs: a PKCS#10 request, for an EC P-256
 * key, whose signature verifies with that key. Anything else is `ENROL_BAD_CSR`.
 */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  const blocks = pemBlocks(csrPem, 'CERTIFICATE REQUEST');
  if (blocks.length !== 1 || !blocks[0]) throw new EnrolmentError('ENROL_BAD_CSR', 'expected exactly one PEM block "CERTIFICATE REQUEST"');
  let csr: CertificationRequest;
  try {
    csr = CertificationRequest.fromBER(blocks[0]);
  } catch (err) {
    throw new EnrolmentError('ENROL_BAD_CSR', `not a PKCS#10 request: ${(err as Error).message}`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' });
  } catch (err) {
    throw new EnrolmentError('ENROL_BAD_CSR', `the request's public key cannot be read: ${(err as Error).message}`);
  }
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new EnrolmentError('ENROL_BAD_CSR', `the key must be EC P-256, not ${publicKey.asymmetricKeyType ?? 'unknown'} ${publicKey.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
  }
  let ok: boolean;
  try {
    ok = await csr.verify(engine);
  } catch (err) {
    throw new EnrolmentError('ENROL_BAD_CSR', `the request's signature cannot be checked: ${(err as Error).message}`);
  }
  if (!ok) throw new EnrolmentError('ENROL_BAD_CSR', 'the request\'s self-signature does not verify with its public key');
  const cn = csr.subject.typesAndValues.find((t) => t.type === COMMON_NAME)?.value.valueBlock.value;
  return { commonName: typeof cn === 'string' ? cn : undefined, publicKey };
}
