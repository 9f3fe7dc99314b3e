import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { Profile } from '../../config/profile-schema.js';
import type { ReadBlock } from '../../device-drivers/modbus/read-plan.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry } from '../helpers/processes.js';
import { loadTestProfile } from '../simulators/modbus/load-test-profile.js';
import { reportBench } from './bench-report.js';

// The compiled dist/ that ships to the box, as the other device benches use.
const { ModbusBus } = (await import(distEntry('device-drivers', 'modbus', 'modbus-bus.js'))) as typeof import('../../device-drivers/modbus/modbus-bus.js');
const { ModbusProfileDriver } = (await import(distEntry('device-drivers', 'modbus', 'modbus-profile-driver.js'))) as typeof import('../../device-drivers/modbus/modbus-profile-driver.js');
const { DeviceMonitor } = (await import(distEntry('device-drivers', 'health', 'device-monitor.js'))) as typeof import('../../device-drivers/health/device-monitor.js');
const { fullTryRetryMaxMs } = (await import(distEntry('device-drivers', 'health', 'retry-ceiling.js'))) as typeof import('../../device-drivers/health/retry-ceiling.js');
const { placePoints } = (await import(distEntry('device-drivers', 'modbus', 'profile-layout.js'))) as typeof import('../../device-drivers/modbus/profile-layout.js');
const { planReads } = (await import(distEntry('device-drivers', 'modbus', 'read-plan.js'))) as typeof import('../../device-drivers/modbus/read-plan.js');
const { silentLogger } = (await import(distEntry('gateway', 'runtime', 'logger.js'))) as typeof import('../../gateway/runtime/logger.js');
const { startSimulators } = (await import(distEntry('simulators', 'simulator-set.js'))) as typeof import('../../simulators/simulator-set.js');
type StationSimulator = Awaited<ReturnType<typeof startSimulators>>;
type DeviceMonitor = InstanceType<typeof DeviceMonitor>;

/*
 * Back to reading a device after it was silent (issue 22): three Modbus units on one
 * RTU-over-TCP line (one converter), each polled every second with a 500 ms timeout, the
 * dispenser silenced for 10 s, 20 s and 60 s. Measured: the time from the moment it answers
 * again to its first fresh state, and its neighbours' poll rate while it was silent against their
 * rate before. Four sides, each on its own simulators, all run at once through the same schedule:
 *   - the gateway (DeviceMonitor, ModbusProfileDriver, ModbusBus) as a station file builds it by
 *     default: a silent unit probed on every poll with one register and a short timeout;
 *   - the same with `retryMaxMs` set to the ceiling health/retry-ceiling.ts gives (the larger of
 *     pollMs and 2 × timeoutMs): full reads with the full timeout, no probe;
 *   - the same with `retryMaxMs` 30 s (what the issue measured, the default before the probe);
 *   - the baseline: a bare modbus-serial loop reading every unit's blocks every second, no
 *     backoff at all: the soonest any poller can see a device that is back.
 */

const POLL_MS = 1000;
const TIMEOUT_MS = 500;
const SLOTS = 8;
const SILENT = 'water-1';
const UNITS = [
  { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', unitId: 1, counts: { slots: SLOTS } },
  { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', unitId: 2, counts: {} },
  { id: 'occupancy-1', kind: 'occupancy', profile: 'occupancy-ref', unitId: 3, counts: {} },
] as const;
/**
 * The 10 s and 60 s, and 20 s between: with a doubling backoff, how late a device is read
 * again depends on where its return falls in the schedule (10 s happens to fall just before the
 * default schedule's fourth try; 20 s falls in its 8 s wait), so one figure alone would flatter it.
 * RECOVERY_SILENCES=10,60 picks others.
 */
const SILENCES_S = process.env['RECOVERY_SILENCES'] ? process.env['RECOVERY_SILENCES'].split(',').map(Number) : [10, 20, 60];

const profiles = new Map<string, Profile>(UNITS.map((d) => [d.id, loadTestProfile(d.profile)]));

/** What each side saw: when each unit last read fresh, and how many fresh reads it had. */
interface Side {
  name: string;
  sims: StationSimulator;
  freshAt: Map<string, number[]>;
  /** The timeouts the silent unit's probes waited (ms), as the bus reported them. */
  probeWaits: number[];
  stop(): Promise<void>;
}

async function simulators(): Promise<{ sims: StationSimulator; port: number }> {
  const port = await freePort();
  const sims = await startSimulators(
    UNITS.map((u) => ({ id: u.id, kind: u.kind, unitId: u.unitId, ...(u.kind === 'battery-cabinet' ? { slots: SLOTS } : {}), transport: { type: 'modbus-rtu-over-tcp' as const, port } })),
    { seed: 9 },
  );
  return { sims, port };
}

/** A gateway side; `retryMaxMs` as a station file would set it, none for the default. */
async function gatewaySide(name: string, retryMaxMs: ((pollMs: number, timeoutMs: number) => number) | undefined): Promise<Side> {
  const { sims, port } = await simulators();
  const bus = new ModbusBus({ type: 'modbus-rtu-over-tcp', host: '127.0.0.1', port }, silentLogger());
  const freshAt = new Map<string, number[]>(UNITS.map((u) => [u.id, []]));
  const probeWaits: number[] = [];
  const monitors: DeviceMonitor[] = UNITS.map((u) => {
    if (retryMaxMs) bus.configureUnit(u.unitId, { retryMaxMs: retryMaxMs(POLL_MS, TIMEOUT_MS) });
    const driver = new ModbusProfileDriver({ profile: profiles.get(u.id)!, bus, unitId: u.unitId, timeoutMs: TIMEOUT_MS });
    const read = driver.read.bind(driver);
    driver.read = () =>
      read().catch((err: unknown) => {
        const wait = (err as { detail?: Record<string, unknown> }).detail?.['probeTimeoutMs'];
        if (typeof wait === 'number') probeWaits.push(wait);
        throw err;
      });
    const m = new DeviceMonitor({ id: u.id, driver, pollMs: POLL_MS, offlineAfter: 3, log: silentLogger() });
    // Every successful poll emits its state: that is a fresh reading.
    m.on('state', (s) => s.online && freshAt.get(u.id)!.push(performance.now()));
    return m;
  });
  for (const m of monitors) await m.start();
  return {
    name,
    sims,
    freshAt,
    probeWaits,
    async stop() {
      for (const m of monitors) await m.stop();
      await bus.close();
      await sims.stop();
    },
  };
}

async function rawSide(): Promise<Side> {
  const { sims, port } = await simulators();
  const client = new modbusSerial.default();
  await client.connectTelnet('127.0.0.1', { port });
  client.setTimeout(TIMEOUT_MS);
  const plans = new Map<string, ReadBlock[]>(
    UNITS.map((u) => {
      const p = profiles.get(u.id)!;
      return [u.id, planReads(placePoints(p, u.counts), { maxGap: p.maxGap, maxRegisters: p.maxBlock })];
    }),
  );
  const freshAt = new Map<string, number[]>(UNITS.map((u) => [u.id, []]));
  let running = true;
  const loop = (async () => {
    while (running) {
      const cycle = performance.now();
      for (const u of UNITS) {
        client.setID(u.unitId);
        try {
          for (const b of plans.get(u.id)!) {
            if (b.table === 'holding') await client.readHoldingRegisters(b.start, b.count);
            else if (b.table === 'input') await client.readInputRegisters(b.start, b.count);
            else if (b.table === 'coil') await client.readCoils(b.start, b.count);
            else await client.readDiscreteInputs(b.start, b.count);
          }
          freshAt.get(u.id)!.push(performance.now());
        } catch {
          // A silent unit: tried again next cycle, no backoff.
        }
      }
      await sleep(Math.max(0, POLL_MS - (performance.now() - cycle)));
    }
  })();
  return {
    name: 'raw',
    sims,
    freshAt,
    probeWaits: [],
    async stop() {
      running = false;
      await loop;
      await new Promise<void>((r) => client.close(() => r()));
      await sims.stop();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Readings per second inside [from, to), from the intervals between them (a count over the window is off by one at its edges). */
function rate(xs: number[], from: number, to: number): number {
  const inside = xs.filter((t) => t >= from && t < to);
  if (inside.length < 2) return 0;
  return (inside.length - 1) / ((inside[inside.length - 1]! - inside[0]!) / 1000);
}

let sides: Side[] = [];
const results: Array<{ side: string; silentS: number; recoveryMs: number; neighbours: Record<string, { before: number; during: number }> }> = [];

const PROBE = 'gateway';
const FULL_TRIES = 'gateway, retryMaxMs 1 s';
const OLD = 'gateway, retryMaxMs 30 s';

beforeAll(async () => {
  sides = [await gatewaySide(PROBE, undefined), await gatewaySide(FULL_TRIES, fullTryRetryMaxMs), await gatewaySide(OLD, () => 30_000), await rawSide()];
});

afterAll(async () => {
  for (const s of sides) await s.stop();
  const of = (side: string, silentS: number) => results.filter((r) => r.side === side && r.silentS === silentS);
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  const waits = sides.find((s) => s.name === PROBE)?.probeWaits ?? [];
  if (waits.length > 0) console.log(`probes of ${SILENT} that went unanswered: ${waits.length}, each waiting ${Math.min(...waits)}–${Math.max(...waits)} ms (timeout ${TIMEOUT_MS} ms)`);
  for (const silentS of [...new Set(SILENCES_S)]) {
    const [gw, full, old, raw] = [PROBE, FULL_TRIES, OLD, 'raw'].map((side) => of(side, silentS));
    if (!gw?.length || !full?.length || !old?.length || !raw?.length) continue;
    const [g, f, o, r] = [gw, full, old, raw].map((xs) => xs.map((x) => x.recoveryMs));
    console.log(
      `recovery after ${silentS} s of silence (poll ${POLL_MS} ms, timeout ${TIMEOUT_MS} ms), ms per run: gateway (probe) ${list(g!)}, ` +
        `retryMaxMs 1 s ${list(f!)}, retryMaxMs 30 s ${list(o!)}, bare poll loop ${list(r!)} (target: within ${POLL_MS + TIMEOUT_MS} ms)`,
    );
    const runs = gw.length > 1 ? `, median of ${gw.length}` : '';
    reportBench({ bench: `Device back after ${silentS} s silent (poll 1 s, timeout 0.5 s, default: probe)${runs}`, figure: 'time to first fresh state', unit: 'ms', gateway: med(g!), baselineName: 'bare poll loop, no backoff', baseline: med(r!), higherIsBetter: false });
    reportBench({ bench: `The same with retryMaxMs 1 s (full reads, no probe)${runs}`, figure: 'time to first fresh state', unit: 'ms', gateway: med(f!), baselineName: 'bare poll loop, no backoff', baseline: med(r!), higherIsBetter: false });
    reportBench({ bench: `The same with retryMaxMs 30 s (the old default)${runs}`, figure: 'time to first fresh state', unit: 'ms', gateway: med(o!), baselineName: 'bare poll loop, no backoff', baseline: med(r!), higherIsBetter: false });
    for (const [side, label] of [
      [gw, 'default: probe'],
      [full, 'retryMaxMs 1 s'],
    ] as const) {
      for (const id of Object.keys(side[0]!.neighbours)) {
        const during = med(side.map((x) => x.neighbours[id]!.during));
        const before = med(side.map((x) => x.neighbours[id]!.before));
        console.log(`  ${label}: ${id} on the same line while ${SILENT} was silent ${silentS} s: ${during.toFixed(3)} polls/s vs ${before.toFixed(3)} before (${(during / before).toFixed(3)})`);
        reportBench({ bench: `Neighbour ${id} while ${SILENT} silent ${silentS} s (${label})`, figure: 'fresh readings per second', unit: 'polls/s', gateway: during, baselineName: 'same unit before the silence', baseline: before, higherIsBetter: true });
      }
    }
  }
});

describe('back to reading a device after it was silent', () => {
  bench(
    `${SILENT} silent ${SILENCES_S.join(' s, ')} s; the gateway (probe), retryMaxMs 1 s and 30 s, and a bare poll loop side by side`,
    async () => {
      // Everyone reads everything for a while first: the neighbours' rate before.
      await sleep(8000);
      for (const silentS of SILENCES_S) {
        const before = performance.now();
        const quietFrom = before - 6000;
        await Promise.all(sides.map((s) => s.sims.command(`${SILENT} fault silent on`)));
        await sleep(silentS * 1000);
        const back = performance.now();
        await Promise.all(sides.map((s) => s.sims.command(`${SILENT} fault silent off`)));
        // Long enough for the slowest side (the 30 s ceiling: 16 s after 20 s, 30 s after a minute).
        await sleep(silentS > 30 ? 32_000 : 17_000);
        for (const s of sides) {
          const first = s.freshAt.get(SILENT)!.find((t) => t >= back);
          const neighbours: Record<string, { before: number; during: number }> = {};
          for (const u of UNITS) {
            if (u.id === SILENT) continue;
            const xs = s.freshAt.get(u.id)!;
            // The rate during: from a second into the silence (the first timeouts) to its end.
            neighbours[u.id] = { before: rate(xs, quietFrom, before), during: rate(xs, before + 1000, back) };
          }
          results.push({ side: s.name, silentS, recoveryMs: first === undefined ? NaN : first - back, neighbours });
        }
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
