import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { Profile } from '../../config/profile-schema.js';
import type { ReadBlock } from '../../device-drivers/modbus/read-plan.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry } from '../helpers/processes.js';
import { loadTestProfile } from '../simulators/modbus/load-test-profile.js';
import { reportBench } from './bench-report.js';

// The compiled dist/ that ships to the box (`npm run bench` builds it first): vitest's on-the-fly
// transform of the sources slows the hot path of a poll cycle by more than the 10% this measures.
const { ModbusBus } = (await import(distEntry('device-drivers', 'modbus', 'modbus-bus.js'))) as typeof import('../../device-drivers/modbus/modbus-bus.js');
const { ModbusProfileDriver } = (await import(distEntry('device-drivers', 'modbus', 'modbus-profile-driver.js'))) as typeof import('../../device-drivers/modbus/modbus-profile-driver.js');
const { placePoints } = (await import(distEntry('device-drivers', 'modbus', 'profile-layout.js'))) as typeof import('../../device-drivers/modbus/profile-layout.js');
const { planReads } = (await import(distEntry('device-drivers', 'modbus', 'read-plan.js'))) as typeof import('../../device-drivers/modbus/read-plan.js');
const { silentLogger } = (await import(distEntry('gateway', 'runtime', 'logger.js'))) as typeof import('../../gateway/runtime/logger.js');
const { frameSilenceMs, transmissionMs, MODBUS_RTU_BITS_PER_CHAR } = (await import(distEntry('simulators', 'bus', 'line-timing.js'))) as typeof import('../../simulators/bus/line-timing.js');
const { startSimulators } = (await import(distEntry('simulators', 'simulator-set.js'))) as typeof import('../../simulators/simulator-set.js');
type ModbusBus = InstanceType<typeof ModbusBus>;
type ModbusProfileDriver = InstanceType<typeof ModbusProfileDriver>;
type StationSimulator = Awaited<ReturnType<typeof startSimulators>>;

/*
 * The device layer's cost on the bus and on the CPU, for the demo station's Modbus devices
 * (cabinet-ref with 8 slots, dispenser-ref, occupancy-ref):
 *  1. transactions per poll cycle, block-merged against one request per point (printed once);
 *  2. a poll cycle through ModbusProfileDriver + ModbusBus against raw modbus-serial reads of the
 *     same blocks, both over the same simulators on loopback TCP (MBAP and RTU-over-TCP);
 *  3. on a simulated 9600-baud RS-485 line (RTU over TCP, line timing on, no device think time)
 *     shared by the cabinet and the dispenser: cycles/s against the limit from frame sizes and t3.5.
 *     The simulated line charges what the real one would: each request's bytes, t3.5, the answer's
 *     bytes, t3.5 before the next request; so the ratio is the gateway's, not the simulator's.
 */

const SLOTS = 8;
const BAUD = 9600;
const DEVICES = [
  { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', unitId: 1, counts: { slots: SLOTS } },
  { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', unitId: 2, counts: {} },
  { id: 'occupancy-1', kind: 'occupancy', profile: 'occupancy-ref', unitId: 3, counts: {} },
] as const;

const profiles = new Map<string, Profile>(DEVICES.map((d) => [d.id, loadTestProfile(d.profile)]));
const plans = new Map<string, ReadBlock[]>(
  DEVICES.map((d) => {
    const p = profiles.get(d.id)!;
    return [d.id, planReads(placePoints(p, d.counts), { maxGap: p.maxGap, maxRegisters: p.maxBlock })];
  }),
);

type Raw = InstanceType<typeof modbusSerial.default>;

let sims: StationSimulator;
let timedSims: StationSimulator;
let ports: { tcp: number; rtu: number; line: number };
const buses: ModbusBus[] = [];
const raws: Raw[] = [];
let gatewayDrivers: ModbusProfileDriver[];
let rawDevices: Array<{ client: Raw; unitId: number; plan: ReadBlock[] }>;
let lineDrivers: ModbusProfileDriver[];
const times: Record<string, number[]> = {};

const record = (what: string, started: number): void => {
  (times[what] ??= []).push(performance.now() - started);
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function rawClient(type: 'tcp' | 'telnet', port: number): Promise<Raw> {
  const c = new modbusSerial.default();
  if (type === 'tcp') await c.connectTCP('127.0.0.1', { port });
  else await c.connectTelnet('127.0.0.1', { port });
  c.setTimeout(2000);
  raws.push(c);
  return c;
}

function newBus(type: 'modbus-tcp' | 'modbus-rtu-over-tcp', port: number): ModbusBus {
  const bus = new ModbusBus({ type, host: '127.0.0.1', port }, silentLogger());
  buses.push(bus);
  return bus;
}

beforeAll(async () => {
  ports = { tcp: await freePort(), rtu: await freePort(), line: await freePort() };
  sims = await startSimulators(
    [
      { id: 'cabinet-1', kind: 'battery-cabinet', unitId: 1, slots: SLOTS, transport: { type: 'modbus-tcp', port: ports.tcp } },
      { id: 'water-1', kind: 'water-dispenser', unitId: 2, transport: { type: 'modbus-rtu-over-tcp', port: ports.rtu } },
      { id: 'occupancy-1', kind: 'occupancy', unitId: 3, transport: { type: 'modbus-rtu-over-tcp', port: ports.rtu } },
    ],
    { seed: 5 },
  );
  timedSims = await startSimulators(
    [
      { id: 'cabinet-1', kind: 'battery-cabinet', unitId: 1, slots: SLOTS, transport: { type: 'modbus-rtu-over-tcp', port: ports.line, baudRate: BAUD } },
      { id: 'water-1', kind: 'water-dispenser', unitId: 2, transport: { type: 'modbus-rtu-over-tcp', port: ports.line, baudRate: BAUD } },
    ],
    { seed: 5, baudTiming: { responseDelayMs: 0 } },
  );
  const tcpBus = newBus('modbus-tcp', ports.tcp);
  const rtuBus = newBus('modbus-rtu-over-tcp', ports.rtu);
  gatewayDrivers = DEVICES.map((d) => new ModbusProfileDriver({ profile: profiles.get(d.id)!, bus: d.id === 'cabinet-1' ? tcpBus : rtuBus, unitId: d.unitId, timeoutMs: 2000 }));
  const rawTcp = await rawClient('tcp', ports.tcp);
  const rawRtu = await rawClient('telnet', ports.rtu);
  rawDevices = DEVICES.map((d) => ({ client: d.id === 'cabinet-1' ? rawTcp : rawRtu, unitId: d.unitId, plan: plans.get(d.id)! }));
  const lineBus = newBus('modbus-rtu-over-tcp', ports.line);
  lineDrivers = DEVICES.slice(0, 2).map((d) => new ModbusProfileDriver({ profile: profiles.get(d.id)!, bus: lineBus, unitId: d.unitId, timeoutMs: 2000 }));
  // The first read plans (a cabinet learns its slot count); the benches measure steady polls.
  for (const d of [...gatewayDrivers, ...lineDrivers]) await d.read();

  let merged = 0;
  let perPoint = 0;
  for (const d of DEVICES) {
    const plan = plans.get(d.id)!;
    const points = plan.reduce((n, b) => n + b.points.length, 0);
    merged += plan.length;
    perPoint += points;
    console.log(`transactions per poll, ${d.id} (${d.profile}): ${plan.length} block-merged vs ${points} one-request-per-point`);
  }
  console.log(`transactions per poll cycle, demo station Modbus devices: ${merged} block-merged vs ${perPoint} one-request-per-point (${(perPoint / merged).toFixed(1)}x fewer)`);
  reportBench({ bench: 'Modbus read planning, demo station', figure: 'transactions per poll cycle', unit: 'requests', gateway: merged, baselineName: 'one request per point', baseline: perPoint, higherIsBetter: false });
});

afterAll(async () => {
  const gw = median(times['gateway'] ?? []);
  const raw = median(times['raw'] ?? []);
  if (gw && raw) {
    console.log(`poll cycle (3 devices, loopback): ModbusProfileDriver ${gw.toFixed(3)} ms vs raw modbus-serial ${raw.toFixed(3)} ms (median); gateway at ${((gw / raw - 1) * 100).toFixed(1)}% over raw (target <= 10%)`);
    reportBench({ bench: 'Modbus poll cycle, 3 devices over loopback TCP', figure: 'median cycle', unit: 'ms', gateway: gw, baselineName: 'raw modbus-serial reads of the same blocks', baseline: raw, higherIsBetter: false });
  }
  const line = times['line'] ?? [];
  if (line.length > 0) {
    const cycleMs = median(line);
    const limitMs = physicalCycleMs([plans.get('cabinet-1')!, plans.get('water-1')!]);
    console.log(
      `${BAUD}-baud RTU bus, cabinet + dispenser: gateway ${(1000 / cycleMs).toFixed(2)} cycles/s (median cycle ${cycleMs.toFixed(1)} ms) ` +
        `vs physical limit ${(1000 / limitMs).toFixed(2)} cycles/s (${limitMs.toFixed(1)} ms); gateway at ${((limitMs / cycleMs) * 100).toFixed(1)}% of the limit (target >= 90%)`,
    );
    reportBench({ bench: `${BAUD}-baud RS-485 bus, cabinet + dispenser`, figure: 'poll cycles per second', unit: 'cycles/s', gateway: 1000 / cycleMs, baselineName: 'physical limit (frames + 3.5-char gaps)', baseline: 1000 / limitMs, higherIsBetter: true });
  }
  for (const c of raws) await new Promise<void>((r) => c.close(() => r()));
  await Promise.all(buses.map((b) => b.close()));
  await sims.stop();
  await timedSims.stop();
});

/**
 * The wire time of one cycle. Per transaction: a request of 8 bytes (unit, function, address,
 * count, CRC), t3.5, an answer of 5 + data bytes (2 per register, 1 per 8 bits), t3.5.
 */
function physicalCycleMs(devicePlans: ReadBlock[][]): number {
  const timing = { baudRate: BAUD, bitsPerChar: MODBUS_RTU_BITS_PER_CHAR };
  let ms = 0;
  for (const plan of devicePlans) {
    for (const b of plan) {
      const data = b.table === 'holding' || b.table === 'input' ? 2 * b.count : Math.ceil(b.count / 8);
      ms += transmissionMs(8, timing) + frameSilenceMs(timing) + transmissionMs(5 + data, timing) + frameSilenceMs(timing);
    }
  }
  return ms;
}

async function rawCycle(): Promise<void> {
  for (const d of rawDevices) {
    d.client.setID(d.unitId);
    for (const b of d.plan) {
      if (b.table === 'holding') await d.client.readHoldingRegisters(b.start, b.count);
      else if (b.table === 'input') await d.client.readInputRegisters(b.start, b.count);
      else if (b.table === 'coil') await d.client.readCoils(b.start, b.count);
      else await d.client.readDiscreteInputs(b.start, b.count);
    }
  }
}

describe('poll cycle of the demo station Modbus devices over loopback', () => {
  bench('ModbusProfileDriver + ModbusBus (gateway)', async () => {
    const t = performance.now();
    for (const d of gatewayDrivers) await d.read();
    record('gateway', t);
  }, { time: 3000, warmupIterations: 20 });
  bench('raw modbus-serial, same blocks (baseline)', async () => {
    const t = performance.now();
    await rawCycle();
    record('raw', t);
  }, { time: 3000, warmupIterations: 20 });
});

describe(`poll cycle on a ${BAUD}-baud RS-485 line (line timing), cabinet + dispenser`, () => {
  bench('ModbusProfileDriver on the timed line', async () => {
    const t = performance.now();
    for (const d of lineDrivers) await d.read();
    record('line', t);
  }, { iterations: 15, time: 0, warmupIterations: 2 });
});
