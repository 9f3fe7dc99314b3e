import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { pushConfig } from '../../fleet/config/push-config.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeFleetKey, stationYaml, type FleetKey } from '../remote-config/remote-config-fixtures.js';
import { StationResponder } from './config-station-responder.js';

/*
 * A push to a fleet, a share of which fails its gate: every station's outcome is reported and
 * none is lost. CONFIG_PUSH_STATIONS=2000 measures a large push (docs/remote-config.md has the
 * figure); the default keeps the suite fast.
 */

const COUNT = Number(process.env.CONFIG_PUSH_STATIONS ?? 120);
const FAILING_EVERY = 10;
const ids = Array.from({ length: COUNT }, (_, i) => `fl-${String(i + 1).padStart(5, '0')}`);
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let key: FleetKey;
const responders: StationResponder[] = [];

beforeAll(async () => {
  dir = tempDir('fleet-config-many-');
  broker = await startEmbeddedBroker({ port: 0 });
  key = await makeFleetKey(join(dir.path, 'keys'));
  for (const [i, id] of ids.entries()) {
    const r = new StationResponder({ id, url: broker.url, dir: join(dir.path, 'stations'), keys: key.stationKeys, gateSeconds: 2, devicesAnswer: i % FAILING_EVERY !== 0 });
    await r.start();
    responders.push(r);
  }
}, 300_000);
afterAll(async () => {
  await Promise.all(responders.map((r) => r.stop()));
  await broker?.close();
  dir?.remove();
});

describe(`station-fleet config push to ${COUNT} stations`, () => {
  it(`reports every station's outcome, one in ${FAILING_EVERY} rolled back by its gate`, async () => {
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(join(dir.path, 'fleet.yaml'), stationYaml({ id: '{{station}}', dataDir: join(dir.path, 'data', '{{station}}') }));
    const lines: string[] = [];
    const summary = await pushConfig({
      broker: { url: broker.url },
      prefix: 'stations',
      stations: ids,
      stationFile: join(dir.path, 'fleet.yaml'),
      revision: 1,
      key: key.signing,
      progressFile: join(dir.path, 'push.jsonl'),
      timeoutSeconds: 120,
      concurrency: 200,
      out: (l) => lines.push(l),
      summaryEverySeconds: 0,
    });
    const failing = ids.filter((_, i) => i % FAILING_EVERY === 0);
    expect(summary.rolledBack.sort()).toEqual(failing);
    expect(summary.applied.length).toBe(COUNT - failing.length);
    expect(summary.rejected).toEqual([]);
    expect(summary.timedOut).toEqual([]);
    expect(lines.at(-1)).toMatch(new RegExp(`^${COUNT}/${COUNT} done: ${COUNT - failing.length} applied, 0 rejected, ${failing.length} rolled back, 0 no report`));
    process.stdout.write(`config push to ${COUNT} stations: ${(summary.elapsedMs / 1000).toFixed(1)} s\n`);
  }, 600_000);
});
