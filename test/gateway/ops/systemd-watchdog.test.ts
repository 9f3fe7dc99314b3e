import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../../gateway/ops/health-monitor.js';
import { Liveness } from '../../../gateway/ops/liveness.js';
import { SocatNotifySender } from '../../../gateway/ops/notify-socket.js';
import { SystemdWatchdog, notifyEnvironment, pingEveryMs } from '../../../gateway/ops/systemd-watchdog.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { freePort } from '../../helpers/free-port.js';
import { distEntry } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { FakeViewDevice } from './fake-view-device.js';

/*
 * The watchdog against a fake $NOTIFY_SOCKET: a datagram socket this test creates (with socat,
 * as Node has none) and reads, in place of systemd's. The liveness clock is driven by hand.
 */

let dir: ReturnType<typeof tempDir>;
let receiver: ChildProcess;
let received = '';
let socketPath: string;

beforeEach(async () => {
  dir = tempDir();
  socketPath = join(dir.path, 'notify.sock');
  received = '';
  receiver = spawn('socat', ['-u', `UNIX-RECV:${socketPath}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'inherit'] });
  receiver.stdout?.on('data', (d: Buffer) => (received += d.toString('utf8')));
  await waitFor(() => existsSync(socketPath), 10_000, 'the fake notify socket');
});

afterEach(async () => {
  if (receiver.exitCode === null) {
    const exited = new Promise((r) => receiver.once('exit', r));
    receiver.kill();
    await exited;
  }
  dir.remove();
});

const lines = (): string[] => received.split('\n').filter(Boolean);
const count = (line: string): number => lines().filter((l) => l === line).length;

describe('systemd watchdog over a notify socket', () => {
  it('sends READY=1, pings while the loops are alive, withholds pings while a poller is stalled, resumes after', async () => {
    let now = 0;
    const device = new FakeViewDevice('cabinet-1');
    const liveness = new Liveness({ devices: [device], timeoutMs: () => 500, loopLagMs: () => 0, now: () => now });
    const health = new HealthMonitor(liveness, 60_000);
    const sender = new SocatNotifySender(socketPath, silentLogger());
    const watchdog = new SystemdWatchdog({ sender, health, watchdogUsec: 30_000_000, log: silentLogger() });
    watchdog.start();
    await waitFor(() => lines().includes('READY=1'), 10_000, 'READY=1');

    for (let i = 1; i <= 3; i++) {
      now += 1000;
      device.settle(now);
      health.checkNow();
      await waitFor(() => count('WATCHDOG=1') === i, 10_000, `ping ${i}`);
    }

    // The poller stops settling: past its stall limit the checks fail and no ping goes out.
    now += 120_000;
    health.checkNow();
    health.checkNow();
    await waitFor(() => lines().some((l) => l.startsWith('STATUS=unhealthy: poller of cabinet-1 stalled')), 10_000, 'the unhealthy status');
    // A marker through the same socket: everything sent before it has arrived by the time it does.
    sender.send('X-MARK=1');
    await waitFor(() => lines().includes('X-MARK=1'), 10_000, 'the marker');
    expect(count('WATCHDOG=1')).toBe(3);
    expect(lines().filter((l) => l.startsWith('STATUS=unhealthy'))).toHaveLength(1);

    device.settle(now);
    health.checkNow();
    await waitFor(() => count('WATCHDOG=1') === 4, 10_000, 'pings resuming');
    expect(lines().at(-1)).toBe('STATUS=running');

    await watchdog.stop();
    await waitFor(() => lines().includes('STOPPING=1'), 10_000, 'STOPPING=1');
  });

  it('a gateway started under a NOTIFY_SOCKET says READY=1, pings, and says STOPPING=1 on SIGTERM', async () => {
    const station = join(dir.path, 'station.yaml');
    writeFileSync(
      station,
      `station: { id: wd-st-0001 }
cloud: { url: 'mqtt://127.0.0.1:${await freePort()}', protocolVersion: 4 }
storage: { path: data/gateway.db }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 1 } }
`,
    );
    // WatchdogSec=0.6 s: a check and a ping every 200 ms.
    const gateway = spawn(process.execPath, [distEntry('gateway', 'cli', 'station-gateway.js'), 'run', '--config', station], {
      env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '600000' },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => gateway.once('exit', r));
    try {
      await waitFor(() => lines().includes('READY=1'), 20_000, 'READY=1 from the gateway');
      await waitFor(() => count('WATCHDOG=1') >= 2, 20_000, 'pings from the gateway');
      gateway.kill('SIGTERM');
      await waitFor(() => lines().includes('STOPPING=1'), 20_000, 'STOPPING=1 from the gateway');
    } finally {
      gateway.kill('SIGKILL');
      await exited;
    }
  });

  it('reads the environment as sd_watchdog_enabled does and pings at a third of WatchdogSec', () => {
    expect(notifyEnvironment({}, 42)).toBeUndefined();
    expect(notifyEnvironment({ NOTIFY_SOCKET: '/run/n', WATCHDOG_USEC: '30000000' }, 42)).toEqual({ socket: '/run/n', watchdogUsec: 30_000_000 });
    expect(notifyEnvironment({ NOTIFY_SOCKET: '/run/n', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)).toEqual({ socket: '/run/n' });
    expect(notifyEnvironment({ NOTIFY_SOCKET: '@abstract', WATCHDOG_USEC: '9000000', WATCHDOG_PID: '42' }, 42)).toEqual({ socket: '@abstract', watchdogUsec: 9_000_000 });
    expect(pingEveryMs(30_000_000)).toBe(5000);
    expect(pingEveryMs(6_000_000)).toBe(2000);
    expect(pingEveryMs(undefined)).toBe(5000);
  });
});
