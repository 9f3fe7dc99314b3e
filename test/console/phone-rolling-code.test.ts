import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { encodeBase45 } from '../../console/src/phone/base45.js';
import { readLinkText } from '../../console/src/phone/pass-link.js';
import { checkPassForPhone, PassRefused } from '../../console/src/phone/pass-reader.js';
import { phoneMessage, rollingCodeText, stepAt } from '../../console/src/phone/rolling-code.js';

/*
 * The phone page's encoder (console/src/phone/), written from docs/passes.md apart from the
 * station's verifier and the bench issuer, against the page's own worked example: from the
 * doc's pass and the phone's RFC 8032 key, the page must make exactly the doc's rolling code.
 * WebCrypto here is Node's, the same API the page calls in the browser.
 */

const doc = readFileSync(join(packageRoot(), 'docs', 'passes.md'), 'utf8');
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const PHONE_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const PHONE_X = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';

/** The doc's pass: the hex block after "The pass, 225 bytes:". */
function docPass(): Uint8Array {
  const block = /The pass, \d+ bytes:\s*```\s*([0-9a-f\s]+)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/passes.md: no pass hex');
  return hex(block.replace(/\s+/g, ''));
}
const docCode = (): string => /^RC1:.*$/m.exec(doc)?.[0] ?? '';

async function phoneSigner(): Promise<(m: Uint8Array) => Promise<Uint8Array>> {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(PHONE_SEED, 'hex')]);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  return async (m) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, m));
}

describe('the phone page encoder', () => {
  const request = { step: stepAt(1796155202 * 1000), station: 'demo-hz-0001', act: 0, res: 'main-door' };

  it('signs the phone message of the worked example', async () => {
    expect(request.step).toBe(359231040);
    const message = await phoneMessage(docPass(), request);
    const shown = /The phone signs \(97 bytes\):\s*```\s*([0-9a-f\s]+)```/.exec(doc)?.[1]?.replace(/\s+/g, '');
    expect(Buffer.from(message).toString('hex')).toBe(shown);
  });

  it('makes exactly the rolling code the doc shows', async () => {
    const text = await rollingCodeText(docPass(), request, await phoneSigner());
    expect(text).toHaveLength(489);
    expect(text).toBe(docCode());
  });

  it('refuses to make a code it could not send: a long resource, a bad action, a signature of the wrong size', async () => {
    const sign = await phoneSigner();
    await expect(rollingCodeText(docPass(), { ...request, res: 'x'.repeat(65) }, sign)).rejects.toThrow(/1 to 64/);
    await expect(rollingCodeText(docPass(), { ...request, res: '' }, sign)).rejects.toThrow(/1 to 64/);
    await expect(rollingCodeText(docPass(), { ...request, act: 5 }, sign)).rejects.toThrow(/no action/);
    await expect(rollingCodeText(docPass(), request, async () => new Uint8Array(63))).rejects.toThrow(/64 bytes/);
  });

  it('encodes base45 as RFC 9285 §4.2 shows, the largest triple and pair included', () => {
    const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(encodeBase45(ascii('AB'))).toBe('BB8');
    expect(encodeBase45(ascii('Hello!!'))).toBe('%69 VD92EX0');
    expect(encodeBase45(ascii('base-45'))).toBe('UJCLQE7W581');
    expect(encodeBase45(ascii('ietf!'))).toBe('QED8WEX0');
    expect(encodeBase45(new Uint8Array([0xff, 0xff, 0xff]))).toBe('FGWU5');
  });
});

describe('the phone page reading its pass', () => {
  it('reads the worked example and takes it only for its own key', () => {
    const pass = checkPassForPhone(docPass(), hex(PHONE_X), 1796155202);
    expect(pass).toMatchObject({ sub: 'w-5f3c9a1e', stations: ['demo-hz-0001'], groups: [], iat: 1796151600, nbf: 1796151600, exp: 1796238000, kid: 'fleet-2026-12', role: 'worker' });
    expect(pass.grants).toEqual([{ act: 0, res: 'main-door' }, { act: 1, res: 'cabinet-1' }, { act: 2, res: null }]);
    const other = hex(PHONE_X);
    other[0] = other[0]! ^ 1;
    expect(() => checkPassForPhone(docPass(), other, 1796155202)).toThrow(expect.objectContaining({ problem: 'other-phone' }));
    expect(() => checkPassForPhone(docPass(), hex(PHONE_X), 1796238000)).toThrow(expect.objectContaining({ problem: 'expired' }));
  });

  it('calls anything else unreadable, never a pass', () => {
    const pass = docPass();
    for (const bad of [new Uint8Array(0), pass.subarray(0, 100), new Uint8Array([...pass, 0]), new TextEncoder().encode('eyJhbGciOiJFZERTQSJ9')]) {
      let caught: unknown;
      try {
        checkPassForPhone(bad, hex(PHONE_X), 0);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PassRefused);
      expect((caught as PassRefused).problem).toBe('unreadable');
    }
    expect(() => checkPassForPhone(new Uint8Array(801), hex(PHONE_X), 0)).toThrow(expect.objectContaining({ problem: 'too-large' }));
  });

  it('takes a pass from a link, a fragment, or bare text', () => {
    const b64 = Buffer.from(docPass()).toString('base64url');
    expect(readLinkText(`https://example.net/phone.html#pass=${b64}&station=hz-0001`)).toEqual({ pass: docPass(), station: 'hz-0001' });
    expect(readLinkText(`#station=hz-0002`)).toEqual({ station: 'hz-0002' });
    expect(readLinkText(` ${b64}\n`)).toEqual({ pass: docPass() });
    expect(readLinkText('#pass=not*base64')).toEqual({ passUnreadable: true });
  });
});
