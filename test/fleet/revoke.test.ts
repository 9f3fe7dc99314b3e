import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { revocationsMessageSchema } from '../../cloud-bridge/revocation-contract.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import { UsageError } from '../../config/usage-error.js';
import { nextRevocationList, readRevocationListFile } from '../../fleet/revoke/revocation-list-file.js';
import { publishRevocations } from '../../fleet/revoke/publish-revocations.js';
import { runRevokeCommand } from '../../fleet/revoke/revoke-command.js';
import { verifyRevocationDocument } from '../../gateway/access/revocation/revocation-document.js';
import { writeIssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { tempDir } from '../helpers/temp-dir.js';

const T0 = new Date('2026-12-01T20:00:00.000Z');
const HOUR = 3_600_000;

describe('nextRevocationList', () => {
  it('adds entries, drops the expired, extends a repeated one and bumps seq', () => {
    const first = nextRevocationList(undefined, { passes: ['ASNFZ4mrze8BI0VniavN7w'], workers: ['w-a'], now: T0, maxPassHours: 24 });
    expect(first).toEqual({
      seq: 1,
      issuedAt: T0.toISOString(),
      passes: [{ id: 'ASNFZ4mrze8BI0VniavN7w', until: new Date(T0.getTime() + 24 * HOUR).toISOString() }],
      workers: [{ sub: 'w-a', before: T0.toISOString(), until: new Date(T0.getTime() + 24 * HOUR).toISOString() }],
    });
    const later = new Date(T0.getTime() + 12 * HOUR);
    const second = nextRevocationList(first, { workers: ['w-b', 'w-a'], now: later, maxPassHours: 24 });
    expect(second.seq).toBe(2);
    expect(second.passes).toEqual(first.passes);
    expect(second.workers).toEqual([
      { sub: 'w-a', before: later.toISOString(), until: new Date(later.getTime() + 24 * HOUR).toISOString() },
      { sub: 'w-b', before: later.toISOString(), until: new Date(later.getTime() + 24 * HOUR).toISOString() },
    ]);
    const third = nextRevocationList(second, { now: new Date(T0.getTime() + 30 * HOUR), maxPassHours: 24 });
    expect(third).toMatchObject({ seq: 3, passes: [], workers: [{ sub: 'w-a' }, { sub: 'w-b' }] });
    expect(nextRevocationList(third, { now: new Date(T0.getTime() + 40 * HOUR), maxPassHours: 24 })).toMatchObject({ seq: 4, passes: [], workers: [] });
  });

  it('refuses what is not a pass id or a worker id', () => {
    expect(() => nextRevocationList(undefined, { passes: ['not base64url!'], now: T0, maxPassHours: 24 })).toThrow(UsageError);
    expect(() => nextRevocationList(undefined, { workers: [''], now: T0, maxPassHours: 24 })).toThrow(UsageError);
  });
});

describe('station-fleet revoke', () => {
  let dir: ReturnType<typeof tempDir>;
  let broker: EmbeddedBroker;
  beforeEach(async () => {
    dir = tempDir('fleet-revoke-');
    broker = await startEmbeddedBroker({ port: 0 });
  });
  afterEach(async () => {
    await broker.close();
    dir.remove();
  });

  it('signs the list with the pass issuer key, keeps it in the list file and publishes it retained for every station', async () => {
    const keyFiles = await writeIssuerKeyFiles(dir.path, 'fleet-2026-12');
    const listFile = join(dir.path, 'revocations.json');
    const out = join(dir.path, 'revocations.jws');
    expect(await runRevokeCommand(['--key', keyFiles.privateKeyFile, '--list', listFile, '--worker', 'w-gone', '--pass', 'ASNFZ4mrze8BI0VniavN7w', '--max-pass-hours', '48', '--out', out, '--broker', broker.url], T0)).toBe(0);
    expect(readRevocationListFile(listFile)).toMatchObject({ seq: 1, workers: [{ sub: 'w-gone', before: T0.toISOString() }], passes: [{ id: 'ASNFZ4mrze8BI0VniavN7w' }] });
    expect(await runRevokeCommand(['--key', keyFiles.privateKeyFile, '--list', listFile, '--worker', 'w-two', '--broker', broker.url], new Date(T0.getTime() + HOUR))).toBe(0);
    expect(readRevocationListFile(listFile)?.seq).toBe(2);

    // A station subscribing later gets the retained list, and its own verifier takes it.
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    try {
      const got = new Promise<{ payload: Buffer; retain: boolean }>((resolve) => client.on('message', (_t, payload, packet) => resolve({ payload, retain: packet.retain })));
      await client.subscribeAsync('stations/_fleet/revocations', { qos: 1 });
      const { payload, retain } = await got;
      expect(retain).toBe(true);
      const { document } = revocationsMessageSchema.parse(JSON.parse(payload.toString('utf8')));
      const list = await verifyRevocationDocument(document, await loadTrustedKeys(keyFiles.trustedKeysFile));
      expect(list).toMatchObject({ seq: 2, workers: [{ sub: 'w-gone' }, { sub: 'w-two' }] });
    } finally {
      await client.endAsync(true);
    }
    expect(existsSync(out)).toBe(true);
    expect(await verifyRevocationDocument(readFileSync(out, 'utf8').trim(), await loadTrustedKeys(keyFiles.trustedKeysFile))).toMatchObject({ seq: 1 });
  });

  it('refuses a missing key, a bad list file, and a list over the stations\' packet limit', async () => {
    const keyFiles = await writeIssuerKeyFiles(dir.path, 'fleet-2026-12');
    const listFile = join(dir.path, 'revocations.json');
    expect(await runRevokeCommand(['--list', listFile], T0)).toBe(2);
    writeFileSync(listFile, '{"seq": "one"}');
    expect(await runRevokeCommand(['--key', keyFiles.privateKeyFile, '--list', listFile], T0)).toBe(2);
    await expect(publishRevocations({ url: broker.url }, 'stations', 'e'.repeat(70_000))).rejects.toThrow(/packets of at most 65536/);
  });
});
