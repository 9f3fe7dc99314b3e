import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { UsageError } from '../../config/usage-error.js';
import { configStatus } from '../../fleet/config/config-status.js';
import { pushConfig, type PushOptions } from '../../fleet/config/push-config.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeFleetKey, stationYaml, type FleetKey } from '../remote-config/remote-config-fixtures.js';
import { StationResponder } from './config-station-responder.js';

/*
 * station-fleet config push and status against a broker, with stations whose remote-configuration
 * side is the gateway's own agent (config-station-responder.ts): one applies, one is sent a file
 * with a schema error, one's device never comes back after the apply, one is off-line during the
 * push and gets it when it reconnects, from a run again of the same push.
 */

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let key: FleetKey;
const responders = new Map<string, StationResponder>();

beforeAll(async () => {
  dir = tempDir('fleet-config-');
  broker = await startEmbeddedBroker({ port: 0 });
  key = await makeFleetKey(join(dir.path, 'keys'));
  const dataDir = join(dir.path, 'data');
  mkdirSync(join(dir.path, 'sites'), { recursive: true });
  mkdirSync(dataDir);
  for (const id of ['st-a', 'st-b', 'st-c', 'st-d']) {
    let yaml = stationYaml({ id, dataDir: join(dataDir, id) });
    if (id === 'st-b') yaml = yaml.replace('unitId: 1 }', 'unitId: 1 }\n    pollMs: 10');
    writeFileSync(join(dir.path, 'sites', `${id}.yaml`), yaml);
    responders.set(id, new StationResponder({ id, url: broker.url, dir: join(dir.path, 'stations'), keys: key.stationKeys, devicesAnswer: id !== 'st-c' }));
  }
  for (const id of ['st-a', 'st-b', 'st-c']) await responders.get(id)!.start();
});
afterAll(async () => {
  for (const r of responders.values()) await r.stop();
  await broker?.close();
  dir?.remove();
});

function options(lines: string[], over: Partial<PushOptions> = {}): PushOptions {
  return {
    broker: { url: broker.url },
    prefix: 'stations',
    stations: ['st-a', 'st-b', 'st-c', 'st-d'],
    stationFile: join(dir.path, 'sites', '{station}.yaml'),
    revision: 1,
    key: key.signing,
    progressFile: join(dir.path, 'push-1.jsonl'),
    timeoutSeconds: 5,
    concurrency: 2,
    out: (line) => lines.push(line),
    summaryEverySeconds: 0,
    ...over,
  };
}

describe('station-fleet config push', () => {
  it('reports every station\'s outcome; a station off-line gets it from a run again, which skips the stations done', async () => {
    const lines: string[] = [];
    const first = await pushConfig(options(lines));
    expect(first).toMatchObject({ total: 4, skipped: 0, applied: ['st-a'], rejected: ['st-b'], rolledBack: ['st-c'], timedOut: ['st-d'] });
    const stB = join(dir.path, 'stations', 'st-b', 'state', 'revisions', '1', 'station.yaml');
    expect(lines).toContain('st-a  applied, runs revision 1');
    expect(lines).toContain('st-b  rejected (CONFIG_INVALID), runs its on-site file');
    expect(lines).toContain(`    ${stB}:14: devices[0] (cabinet-1).pollMs: must be at least 50`);
    expect(lines).toContain('st-c  rolled back (CONFIG_GATE_FAILED), runs its on-site file');
    expect(lines).toContain('    device cabinet-1 did not come online within 1 s');
    expect(lines).toContain('st-d  no report within 5 s (the document stays retained; run the push again to follow it)');
    expect(lines.at(-1)).toMatch(/^3\/4 done: 1 applied, 1 rejected, 1 rolled back, 1 no report \(\d+\.\d s\)$/);

    // st-d comes on line: the retained document is there for it; the push run again follows it.
    const stD = responders.get('st-d')!;
    await stD.start();
    const again: string[] = [];
    const second = await pushConfig(options(again));
    expect(again[0]).toBe(`resuming ${join(dir.path, 'push-1.jsonl')}: 3 of 4 stations done already, 1 to go`);
    expect(second).toMatchObject({ skipped: 3, applied: ['st-d'], rejected: [], rolledBack: [], timedOut: [] });
    // The run again signed the very same document: st-d saw one document, not two revisions 1.
    expect(stD.documents.size).toBe(1);
    expect(responders.get('st-a')!.documents.size).toBe(1);
    expect(stD.store.read()).toMatchObject({ state: 'committed', current: { revision: 1 } });

    // A third run has nothing to do.
    const third = await pushConfig(options([]));
    expect(third).toMatchObject({ skipped: 4, applied: [] });

    const status: string[] = [];
    const rows = await configStatus({ broker: { url: broker.url }, prefix: 'stations', stations: ['st-a', 'st-b', 'st-c', 'st-d', 'st-e'], waitSeconds: 2, out: (l) => status.push(l) });
    expect(rows.map((r) => [r.station, r.report?.state, r.report?.running])).toEqual([
      ['st-a', 'applied', 1],
      ['st-b', 'rejected', null],
      ['st-c', 'rolled-back', null],
      ['st-d', 'applied', 1],
      ['st-e', undefined, undefined],
    ]);
    expect(status[0]).toMatch(/^station\s+runs\s+last\s+state\s+code\s+why$/);
    expect(status.find((l) => l.startsWith('st-c'))).toMatch(/^st-c\s+on-site\s+1\s+rolled-back\s+CONFIG_GATE_FAILED\s+device cabinet-1 did not come online/);
    expect(status.at(-2)).toBe('runs: revision 1: 2, on-site file: 2, no report: 1');
    expect(status.at(-1)).toBe('rejected: 1, rolled back: 1, applying: 0, drift: 0');

    const all = await configStatus({ broker: { url: broker.url }, prefix: 'stations', waitSeconds: 1, out: () => undefined });
    expect(all.map((r) => r.station)).toEqual(['st-a', 'st-b', 'st-c', 'st-d']);
  });

  it('a newer revision to a station that drifted is refused with the file named; --replace-drift replaces it', async () => {
    const running = join(dir.path, 'stations', 'st-a', 'state', 'revisions', '1', 'station.yaml');
    writeFileSync(running, `${readFileSync(running, 'utf8')}# edited on site\n`);
    const lines: string[] = [];
    const refused = await pushConfig(options(lines, { stations: ['st-a'], revision: 2, progressFile: join(dir.path, 'push-2.jsonl') }));
    expect(refused.rejected).toEqual(['st-a']);
    expect(lines).toContain('st-a  rejected (CONFIG_DRIFT), runs revision 1');
    expect(lines).toContain(`    ${running} was changed on site since revision 1 was applied; push with --replace-drift to replace it`);
    const replaced = await pushConfig(options([], { stations: ['st-a'], revision: 3, progressFile: join(dir.path, 'push-3.jsonl'), replaceDrift: true }));
    expect(replaced.applied).toEqual(['st-a']);
  });

  it('stops launching stations once --stop-after of them failed the revision; the rest never see it', async () => {
    const ids = ['sa-1', 'sa-2', 'sa-3', 'sa-4', 'sa-5'];
    const failing = ids.map((id) => new StationResponder({ id, url: broker.url, dir: join(dir.path, 'stations'), keys: key.stationKeys, devicesAnswer: false }));
    for (const r of failing) await r.start();
    writeFileSync(join(dir.path, 'alike.yaml'), stationYaml({ id: '{{station}}', dataDir: join(dir.path, 'data', '{{station}}') }));
    const lines: string[] = [];
    const summary = await pushConfig(options(lines, { stations: ids, stationFile: join(dir.path, 'alike.yaml'), progressFile: join(dir.path, 'push-alike.jsonl'), concurrency: 1, stopAfterFailures: 2 }));
    expect(summary).toMatchObject({ rolledBack: ['sa-1', 'sa-2'], applied: [], notPushed: 3 });
    expect(lines).toContain('stopping: 2 stations rejected or rolled back revision 1; 3 not pushed (run again to carry on)');
    expect(lines.at(-1)).toMatch(/^2\/5 done: 0 applied, 0 rejected, 2 rolled back, 0 no report, 3 not pushed/);
    expect(failing.map((r) => r.documents.size)).toEqual([1, 1, 0, 0, 0]);
    for (const r of failing) await r.stop();
  });

  it('refuses a progress file of another push, and files it cannot read, before publishing anything', async () => {
    await expect(pushConfig(options([], { revision: 9 }))).rejects.toThrow(UsageError);
    await expect(pushConfig(options([], { revision: 9 }))).rejects.toThrow(/is the progress of pushing .* as revision 1/);
    await expect(pushConfig(options([], { stationFile: join(dir.path, 'nope.yaml'), progressFile: join(dir.path, 'p.jsonl') }))).rejects.toThrow(/cannot read .*nope\.yaml: ENOENT/);
  });
});
