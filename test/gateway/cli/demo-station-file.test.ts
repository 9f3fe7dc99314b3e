import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { packageRoot } from '../../../config/package-root.js';
import { deriveDemoStation } from '../../../gateway/cli/demo-station-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

/* The station file one demo run derives: its own ports and folder, nothing else changed. */

describe('deriveDemoStation', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  it('moves loopback ports (shared ones stay shared) and files into the run folder; the copy loads', async () => {
    dir = tempDir();
    const original = join(packageRoot(), 'config', 'demo-station.yaml');
    const before = readFileSync(original, 'utf8');
    let next = 30_000;
    const { file, ports } = await deriveDemoStation(original, join(dir.path, 'run'), async () => next++);
    expect(readFileSync(original, 'utf8')).toBe(before);
    expect(file).toBe(join(dir.path, 'run', 'station.yaml'));
    const station = loadStationConfig(file, { checkFiles: false });
    const byId = new Map(station.config.devices.map((d) => [d.id, d.transport]));
    expect(byId.get('lock-1')).toMatchObject({ type: 'serial-tcp', host: '127.0.0.1' });
    const portOf = (id: string): number => (byId.get(id) as { port: number }).port;
    // The dispenser and the occupancy sensor share one converter in the original: still one here.
    expect(portOf('water-1')).toBe(portOf('occupancy-1'));
    expect(new Set(['lock-1', 'scanner-1', 'cabinet-1', 'water-1'].map(portOf)).size).toBe(4);
    expect([...ports.values()].sort()).toEqual([30_000, 30_001, 30_002, 30_003]);
    expect(station.config.storage.path).toBe(join(dir.path, 'run', 'gateway.db'));
    expect(station.config.access?.trustedKeys).toBe(join(dir.path, 'run', 'keys', 'trusted-keys.jwks.json'));
    expect(station.profiles.get('cabinet-1')?.id).toBe('cabinet-ref');
  });

  it('keeps a profile beside the original file, and puts pty paths in the run folder', async () => {
    dir = tempDir();
    const site = join(dir.path, 'site');
    mkdirSync(join(site, 'profiles'), { recursive: true });
    writeFileSync(join(site, 'profiles', 'my-cabinet.yaml'), readFileSync(join(packageRoot(), 'config', 'profiles', 'cabinet-ref.yaml')));
    writeFileSync(
      join(site, 'station.yaml'),
      `station: { id: drv-0001 }
cloud: { url: mqtt://127.0.0.1:1883, protocolVersion: 4 }
storage: { path: data/gateway.db }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 } }
  - { id: cabinet-1, kind: battery-cabinet, profile: my-cabinet, transport: { type: modbus-tcp, host: 10.0.0.7, port: 502 } }
`,
    );
    const { file } = await deriveDemoStation(join(site, 'station.yaml'), join(dir.path, 'run'), async () => 40_000);
    const raw = parse(readFileSync(file, 'utf8')) as { devices: Array<{ transport: Record<string, unknown> }> };
    expect(raw.devices[0]?.transport['path']).toBe(join(dir.path, 'run', 'tty', 'lock-1'));
    // Not on this machine: a real converter's address is left alone.
    expect(raw.devices[1]?.transport['port']).toBe(502);
    expect(loadStationConfig(file, { checkFiles: false }).profiles.get('cabinet-1')?.kind).toBe('battery-cabinet');
  });
});
