import { Ajv2020 } from 'ajv/dist/2020.js';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bundleRefSchema, desiredVersionSchema, releaseDocumentPayloadSchema, updateReportSchema, updateTopics } from '../../cloud-bridge/update-contract.js';

/*
 * The software-update payloads as JSON Schema (draft 2020-12, generated from the zod schemas as
 * the contract reference generates every other one), checked with ajv, an implementation
 * independent of zod: what a fleet back end written in another language would validate with.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
const jsonSchema = (schema: z.ZodType): object => z.toJSONSchema(schema, { target: 'draft-2020-12' }) as object;
const report = ajv.compile(jsonSchema(updateReportSchema));
const desired = ajv.compile(jsonSchema(desiredVersionSchema));
const payload = ajv.compile(jsonSchema(releaseDocumentPayloadSchema));

// A real detached signature, as `station-fleet release build` writes it in the .sig file.
const { privateKey } = generateKeyPairSync('ed25519');
const SIGNATURE = sign(null, Buffer.from('bundle bytes'), privateKey).toString('base64');

const BUNDLE = { url: 'https://releases.example.net/station-gateway-0.2.0-linux-arm64.tar.gz', bytes: 19_000_000, sha256: 'a'.repeat(64), signature: SIGNATURE };
const DOCUMENT = { typ: 'station-release', station: 'hz-0001', revision: 1_764_600_000, issuedAt: '2026-12-01T18:00:00.000Z', version: '0.2.0', bundles: { arm64: BUNDLE }, rollout: 'r-0.2.0' };
const REPORT = { revision: 1_764_600_000, version: '0.2.0', running: '0.1.0', state: 'downloading', problems: [], progress: { bytes: 1024, total: 19_000_000 }, rollout: 'r-0.2.0', ts: '2026-12-01T18:00:03.120Z' };

function agree(schema: z.ZodType, check: (v: unknown) => boolean, cases: Array<[unknown, boolean]>): void {
  for (const [value, ok] of cases) {
    const clean = JSON.parse(JSON.stringify(value)) as unknown;
    expect(schema.safeParse(clean).success, JSON.stringify(value)).toBe(ok);
    expect(check(clean), JSON.stringify(value)).toBe(ok);
  }
}

describe('the software update contract', () => {
  it('names S/desired/version and S/update under the station\'s root', () => {
    expect(updateTopics('stations', 'hz-0001')).toEqual({ desired: 'stations/hz-0001/desired/version', report: 'stations/hz-0001/update' });
  });

  it('a release document: zod and the JSON Schema agree on good and bad ones', () => {
    agree(releaseDocumentPayloadSchema, payload, [
      [DOCUMENT, true],
      [{ ...DOCUMENT, rollout: undefined, bundles: { x64: BUNDLE, arm64: { ...BUNDLE, unpackedBytes: 61_000_000 } } }, true],
      [{ ...DOCUMENT, typ: 'station-config' }, false],
      [{ ...DOCUMENT, version: 'latest' }, false],
      [{ ...DOCUMENT, bundles: { mips: BUNDLE } }, false],
      [{ ...DOCUMENT, bundles: { arm64: { ...BUNDLE, url: 'http://releases.example.net/b.tar.gz' } } }, false],
      [{ ...DOCUMENT, bundles: { arm64: { ...BUNDLE, signature: 'not base64' } } }, false],
      [{ ...DOCUMENT, bundles: { arm64: { ...BUNDLE, bytes: 0 } } }, false],
      [{ ...DOCUMENT, revision: 0 }, false],
      [{ ...DOCUMENT, extra: true }, false],
    ]);
    expect(bundleRefSchema.safeParse(BUNDLE).success).toBe(true);
  });

  it('a report: zod and the JSON Schema agree on good and bad ones', () => {
    agree(updateReportSchema, report, [
      [REPORT, true],
      [{ ...REPORT, state: 'rolled-back', code: 'UPDATE_GATE_FAILED', problems: ['device water-1 did not come online within 120 s'], progress: undefined }, true],
      [{ ...REPORT, revision: null, version: null, rollout: null, state: 'committed', progress: undefined }, true],
      [{ ...REPORT, state: 'rolled back' }, false],
      [{ ...REPORT, running: undefined }, false],
      [{ ...REPORT, problems: Array.from({ length: 21 }, () => 'x') }, false],
      [{ ...REPORT, extra: 1 }, false],
    ]);
  });

  it('the desired message carries one compact JWS of bounded size', () => {
    expect(desired({ document: 'eyJ.eyJ.sig' })).toBe(true);
    expect(desired({ document: '' })).toBe(false);
    expect(desired({ document: 'x'.repeat(16 * 1024 + 1) })).toBe(false);
  });
});
