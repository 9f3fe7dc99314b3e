import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAYLOADS, renderContractFiles } from '../../cloud-bridge/contract-reference.js';
import { packageRoot } from '../../config/package-root.js';
import { assertContract, contractSchemaNames } from './contract-validator.js';

describe('the contract reference (docs/contract/*.schema.json, docs/mqtt-topics.md)', () => {
  it('is what the zod schemas render (npm run build && node dist/cloud-bridge/write-contract-reference.js)', () => {
    for (const [rel, content] of renderContractFiles()) {
      expect(readFileSync(join(packageRoot(), 'docs', rel), 'utf8'), `docs/${rel} is stale`).toBe(content);
    }
  });

  it('has a schema for every payload, and every documented example passes it', () => {
    expect(contractSchemaNames().sort()).toEqual(Object.keys(PAYLOADS).sort());
    for (const [name, doc] of Object.entries(PAYLOADS)) assertContract(name, doc.example);
  });

  it('rejects payloads that break the contract', () => {
    expect(() => assertContract('event', { id: 'x', ts: '2025-01-01T00:00:00Z', type: 'door.opened', data: {} })).toThrow(/id|ts/);
    expect(() => assertContract('status-offline', { online: false })).toThrow(/bootId/);
    expect(() => assertContract('reply', { ok: false, error: { code: 'NOPE', message: 'x' } })).toThrow();
    const birth = PAYLOADS['status-birth']?.example as Record<string, unknown>;
    expect(() => assertContract('status-birth', { ...birth, location: { lat: 91, lon: 120 } })).toThrow(/lat|location/);
    expect(() => assertContract('status-birth', { ...birth, location: { lat: 30 } })).toThrow(/lon|location/);
    expect(() => assertContract('cmd-slot', { token: 't', device: 'cabinet-1', slot: 0, enabled: true })).toThrow(/slot/);
  });
});
