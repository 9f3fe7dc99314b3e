import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { freePort } from '../../helpers/free-port.js';
import { distEntry } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * `station-gateway run` loads only what its station file uses (issue 22): no prom-client without
 * `metrics` (until a scrape asks for it), no johnny-five without a GPIO device, and no MQTT.js
 * write cache (65,536 pre-built Buffers) once it has connected and published. The gateway runs
 * as a process from dist/, with a preload that records what was loaded when it exits.
 */

const RECORDER = fileURLToPath(new URL('./fixtures/record-loaded-modules.cjs', import.meta.url));

let dir: ReturnType<typeof tempDir> | undefined;
let broker: EmbeddedBroker | undefined;

afterEach(async () => {
  await broker?.close();
  dir?.remove();
  broker = undefined;
  dir = undefined;
});

interface Loaded {
  packages: string[];
  cachedNumbers: number | null;
}

/** Runs the gateway until `untilUp` has seen it up (and done what it asks), stops it in order, returns what it had loaded. */
async function runGateway(extraConfig: string, untilUp: (output: () => string) => Promise<void>): Promise<Loaded> {
  dir = tempDir('lazy-load-');
  broker = await startEmbeddedBroker({ port: 0 });
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `station: { id: lazy-1 }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
${extraConfig}
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 1 }, pollMs: 500 }
`,
  );
  const recorded = join(dir.path, 'loaded.json');
  // The compiled module graph, not the bundle a box runs: the recorder sees packages by the files
  // they load from node_modules, and the bundle holds them inside its chunks, loaded on the same demand.
  const child = spawn(process.execPath, ['--require', RECORDER, distEntry('gateway', 'cli', 'station-gateway-main.js'), 'run', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RECORD_MODULES_FILE: recorded },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('"msg":"cloud connected"') && out.includes('"msg":"station running"'), 20_000, 'the gateway running and connected');
    await untilUp(() => out);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited, out).toBe(0);
  return JSON.parse(readFileSync(recorded, 'utf8')) as Loaded;
}

describe('what station-gateway run loads', () => {
  it('a station without metrics or GPIO devices loads neither prom-client nor johnny-five, and keeps no MQTT write cache', async () => {
    const loaded = await runGateway('', async () => {
      // Its birth and the cabinet's first state have been written to the broker by now.
      await new Promise((r) => setTimeout(r, 500));
    });
    expect(loaded.packages).toContain('mqtt-packet');
    expect(loaded.packages).toContain('modbus-serial');
    expect(loaded.packages).not.toContain('prom-client');
    expect(loaded.packages).not.toContain('johnny-five');
    expect(loaded.packages).not.toContain('firmata-io');
    expect(loaded.cachedNumbers).toBe(0);
  });

  it('a station with metrics loads prom-client at the first scrape and answers it', async () => {
    const port = await freePort();
    let body = '';
    const loaded = await runGateway(`metrics: { listen: "127.0.0.1:${port}" }`, async (output) => {
      await waitFor(() => output().includes('metrics and /healthz listening'), 10_000, 'the metrics server');
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      body = await res.text();
    });
    expect(loaded.packages).toContain('prom-client');
    expect(body).toMatch(/^station_device_online\{device="cabinet-1",kind="battery-cabinet",station="lazy-1"\} [01]$/m);
    expect(body).toMatch(/^station_events_total\{type="gateway\.started",station="lazy-1"\} 1$/m);
    expect(body).toMatch(/^process_resident_memory_bytes\{station="lazy-1"\} \d+/m);
  });
});
