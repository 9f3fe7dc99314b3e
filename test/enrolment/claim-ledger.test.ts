import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimLedger } from '../../fleet/enrolment/claim-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let path: string;
beforeEach(() => {
  dir = tempDir('enrol-ledger-');
  path = join(dir.path, 'state.json');
});
afterEach(() => dir.remove());

const use = (requestId: string, extra: { code?: string; claimId?: string } = {}) => ({
  claimId: extra.claimId ?? 'batch-1',
  stationId: `hz-${requestId}`,
  hardwareId: `hw-${requestId}`,
  requestId,
  code: extra.code,
  at: new Date('2026-12-01T10:00:00Z'),
});

describe('the claims\' use counts', () => {
  it('allows a claim of one use once, and says so the second time, also after a restart of the service', () => {
    const ledger = ClaimLedger.open(path);
    ledger.reserve(use('req-0001'), 1);
    expect(() => ledger.reserve(use('req-0002'), 1)).toThrow(expect.objectContaining({ code: 'ENROL_CLAIM_SPENT', message: 'claim batch-1 has been used 1 time of 1' }));
    const reopened = ClaimLedger.open(path);
    expect(reopened.usesOf('batch-1')).toBe(1);
    expect(() => reopened.reserve(use('req-0003'), 1)).toThrow(expect.objectContaining({ code: 'ENROL_CLAIM_SPENT' }));
    // Another claim has its own count.
    reopened.reserve(use('req-0004', { claimId: 'batch-2' }), 1);
  });

  it('counts N uses, and spends a one-time code once whatever the use count', () => {
    const ledger = ClaimLedger.open(path);
    ledger.reserve(use('req-0001', { code: 'K7-22QP' }), 3);
    expect(() => ledger.reserve(use('req-0002', { code: 'K7-22QP' }), 3)).toThrow(expect.objectContaining({ code: 'ENROL_CODE_USED' }));
    ledger.reserve(use('req-0003'), 3);
    ledger.reserve(use('req-0004'), 3);
    expect(() => ledger.reserve(use('req-0005'), 3)).toThrow(expect.objectContaining({ code: 'ENROL_CLAIM_SPENT', message: 'claim batch-1 has been used 3 times of 3' }));
    // The file keeps what was issued, not the codes themselves.
    ledger.issued('batch-1', 'req-0003', 'ABCD', new Date('2027-12-01T00:00:00Z'));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('K7-22QP');
    expect(ClaimLedger.open(path).enrolmentsOf('batch-1').find((e) => e.requestId === 'req-0003')).toMatchObject({ serial: 'ABCD', notAfter: '2027-12-01T00:00:00.000Z' });
  });

  it('is rewritten atomically: no temporary file left, readable by its owner only', () => {
    const ledger = ClaimLedger.open(path);
    for (let i = 0; i < 5; i++) ledger.reserve(use(`req-000${i}`), 10);
    expect(readdirSync(dir.path)).toEqual(['state.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to start on a damaged state file rather than forget the counts', () => {
    writeFileSync(path, '{"version":1,"claims":{"batch-1":{"used":');
    expect(() => ClaimLedger.open(path)).toThrow(expect.objectContaining({ code: 'ENROL_STATE' }));
    writeFileSync(path, '{"version":2}');
    expect(() => ClaimLedger.open(path)).toThrow(expect.objectContaining({ code: 'ENROL_STATE' }));
  });
});
