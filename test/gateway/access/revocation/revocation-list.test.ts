import { describe, expect, it } from 'vitest';
import { RevocationList } from '../../../../gateway/access/revocation/revocation-list.js';
import { HOUR, iso, listOf, T0 } from './revocation-fixture.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

describe('RevocationList', () => {
  const list = new RevocationList(
    listOf(5, {
      passes: [{ id: 'ASNFZ4mrze8BI0VniavN7w', until: iso(T0 + 24 * HOUR) }],
      workers: [{ sub: 'w-gone', before: iso(T0), until: iso(T0 + 24 * HOUR) }],
    }),
  );

  it('revokes a pass by id, and every pass of a worker issued before the revocation', () => {
    expect(list.revoked({ passId: 'ASNFZ4mrze8BI0VniavN7w', sub: 'w-other', iat: seconds(T0 - HOUR) }, T0)).toMatch(/pass ASNFZ4mrze8BI0VniavN7w was revoked/);
    expect(list.revoked({ passId: 'BBBBBBBBBBBBBBBBBBBBBB', sub: 'w-gone', iat: seconds(T0 - HOUR) }, T0 + HOUR)).toMatch(/worker w-gone was revoked/);
    expect(list.revoked({ passId: 'BBBBBBBBBBBBBBBBBBBBBB', sub: 'w-other', iat: seconds(T0 - HOUR) }, T0)).toBeUndefined();
  });

  it('reinstates a worker by a pass issued after the revocation', () => {
    expect(list.revoked({ passId: 'CCCCCCCCCCCCCCCCCCCCCC', sub: 'w-gone', iat: seconds(T0 + 1000) }, T0 + HOUR)).toBeUndefined();
  });

  it('ignores entries past their until: what they revoke has expired', () => {
    const after = T0 + 24 * HOUR + 1;
    expect(list.revoked({ passId: 'ASNFZ4mrze8BI0VniavN7w', sub: 'w-other', iat: seconds(T0 - HOUR) }, after)).toBeUndefined();
    expect(list.revoked({ passId: 'BBBBBBBBBBBBBBBBBBBBBB', sub: 'w-gone', iat: seconds(T0 - HOUR) }, after)).toBeUndefined();
  });

  it('of two entries for one worker takes the later revocation', () => {
    const twice = new RevocationList(
      listOf(6, { workers: [{ sub: 'w', before: iso(T0 + HOUR), until: iso(T0 + 48 * HOUR) }, { sub: 'w', before: iso(T0), until: iso(T0 + 24 * HOUR) }] }),
    );
    expect(twice.revoked({ passId: 'BBBBBBBBBBBBBBBBBBBBBB', sub: 'w', iat: seconds(T0 + 1000) }, T0 + 2 * HOUR)).toMatch(/revoked/);
  });
});
