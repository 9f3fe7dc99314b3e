import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { checkDevices } from '../../../gateway/ops/doctor/device-checks.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';

/* doctor on line devices behind a serial device server (`serial-tcp`): the server first, then the device. */

describe('doctor: serial-tcp devices', () => {
  let dir: ReturnType<typeof tempDir>;
  let sim: StationSimulator;

  beforeAll(async () => {
    dir = tempDir();
    sim = await startSimulators([{ id: 'lock-1', kind: 'door-lock', transport: { type: 'serial-tcp', port: 0 } }]);
  });

  afterAll(async () => {
    await sim?.stop();
    dir?.remove();
  });

  it('passes a reachable server and its device; names a refused one and does not try its device', async () => {
    const lock = sim.device('lock-1').endpoint;
    if (lock.transport !== 'serial-tcp') throw new Error('lock not on serial-tcp');
    const dead = await freePort();
    const file = join(dir.path, 'station.yaml');
    writeFileSync(
      file,
      `
station: { id: doc-tcp-0001 }
cloud: { url: mqtt://127.0.0.1:1, protocolVersion: 4 }
storage: { path: data/gateway.db }
devices:
  - { id: lock-1, kind: door-lock, timeoutMs: 2000, transport: { type: serial-tcp, host: 127.0.0.1, port: ${lock.port} } }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial-tcp, host: 127.0.0.1, port: ${dead} } }
`,
    );
    const rows = await checkDevices(loadStationConfig(file));
    const row = (check: string) => rows.find((r) => r.check === check);
    expect(row(`server 127.0.0.1:${lock.port}`)).toMatchObject({ status: 'pass' });
    expect(row('device lock-1')).toMatchObject({ status: 'pass' });
    expect(row(`server 127.0.0.1:${dead}`)).toMatchObject({ status: 'fail', detail: expect.stringContaining('connection refused') });
    expect(row('device scanner-1')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not tried') });
  });
});
