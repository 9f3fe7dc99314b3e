import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import { verifyRevocationDocument } from '../../gateway/access/revocation/revocation-document.js';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Recorder, tlsClient, type Seen } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * The fleet's revocation list on a real Mosquitto 2 with TLS and the documented ACL
 * (docs/broker/acl): the operators' real `station-fleet revoke` publishes it retained as
 * ops-console; any station's certificate reads it (a `pattern` line, which applies to every user)
 * and none may write or clear it; the back end reads it and cannot write it either.
 */

const FLEET = distEntry('fleet', 'cli', 'station-fleet.js');
const TOPIC = 'stations/_fleet/revocations';
const NOT_AUTHORISED = 0x87;

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
let keys: IssuerKeyFiles;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir('revocation-interop-');
  mkdirSync(join(dir.path, 'pki'));
  mkdirSync(join(dir.path, 'broker'));
  pki = makePki(join(dir.path, 'pki'));
  broker = new Mosquitto(join(dir.path, 'broker'), await freePort(), pki);
  await broker.start();
  keys = await writeIssuerKeyFiles(join(dir.path, 'keys'), 'fleet-rv-interop');
});

afterAll(async () => {
  for (const p of processes) await p.stop();
  await broker?.stop();
  dir?.remove();
});

async function revoke(args: string[]): Promise<{ code: number | null; output: string }> {
  const ops = pki.client('ops-console');
  const p = runNode(FLEET, ['revoke', '--key', keys.privateKeyFile, '--list', join(dir.path, 'revocations.json'), ...args, '--broker', broker.url, '--mqtt', '5', '--ca', pki.ca, '--cert', ops.cert, '--cert-key', ops.key]);
  processes.push(p);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

async function end(c: MqttClient): Promise<void> {
  await c.endAsync(true).catch(() => undefined);
}

async function retainedAs(name: string): Promise<{ granted: number; messages: Seen[] }> {
  const c = await tlsClient(broker, pki, name, 5, { reconnectPeriod: 0 });
  const seen = new Recorder(c);
  const granted = await c.subscribeAsync(TOPIC, { qos: 1 });
  await new Promise((r) => setTimeout(r, 1500));
  await end(c);
  return { granted: granted[0]?.qos ?? -1, messages: seen.on(TOPIC) };
}

async function pubackCode(name: string, payload: string): Promise<number> {
  const c = await tlsClient(broker, pki, name, 5, { reconnectPeriod: 0 });
  try {
    const ack = (await c.publishAsync(TOPIC, payload, { qos: 1, retain: true })) as { reasonCode?: number } | undefined;
    return ack?.reasonCode ?? 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  } finally {
    await end(c);
  }
}

describe('the revocation list on Mosquitto with the fleet ACL', () => {
  it('is published by the operators, read by every station and the back end, written by neither', async () => {
    const done = await revoke(['--worker', 'w-interop-gone']);
    expect(done.code, done.output).toBe(0);

    for (const station of ['hz-rv-0001', 'hz-rv-0002']) {
      const got = await retainedAs(station);
      expect(got.granted).toBe(1);
      expect(got.messages).toHaveLength(1);
      const list = await verifyRevocationDocument(got.messages[0]!.body['document'] as string, await loadTrustedKeys(keys.trustedKeysFile));
      expect(list).toMatchObject({ seq: 1, workers: [{ sub: 'w-interop-gone' }] });
    }
    const backend = await retainedAs('cloud-backend');
    expect(backend.messages).toHaveLength(1);

    expect(await pubackCode('hz-rv-0001', JSON.stringify({ document: 'a.b.c' }))).toBe(NOT_AUTHORISED);
    expect(await pubackCode('hz-rv-0001', '')).toBe(NOT_AUTHORISED);
    expect(await pubackCode('cloud-backend', '')).toBe(NOT_AUTHORISED);
    const after = await retainedAs('hz-rv-0002');
    expect((after.messages[0]?.body['document'] as string | undefined)?.length).toBeGreaterThan(100);
    expect(after.messages.map((m) => m.body['document'])).toEqual(backend.messages.map((m) => m.body['document']));
  });
});
