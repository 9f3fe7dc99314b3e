import { afterEach, describe, expect, it } from 'vitest';
import { ModbusBus, type ModbusBusOptions } from '../../../device-drivers/modbus/modbus-bus.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryModbusPort } from './memory-modbus-port.js';
import { failure } from './device-failure.js';

/*
 * The bus logic (queue, retries, per-unit and link backoff) against a line in memory: modbus-serial
 * still builds and checks every frame, only the wire is gone. Backoff runs on fake time; the
 * library's transaction timeout is real, so silent units are given a short one.
 * The real-socket and real-pty suites (modbus-bus-fairness, faults/*) stay the contract.
 */

const TIMEOUT_MS = 25;
const buses: ModbusBus[] = [];
afterEach(async () => {
  while (buses.length) await buses.pop()?.close();
});

function line(options: ModbusBusOptions = {}) {
  const port = new MemoryModbusPort();
  const clock = new FakeClock();
  const bus = new ModbusBus({ type: 'modbus-rtu', path: '/dev/memory', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }, silentLogger(), {
    unitBackoffMinMs: 1000,
    unitBackoffMaxMs: 4000,
    reconnectMinMs: 500,
    reconnectMaxMs: 2000,
    ...options,
    port,
    clock,
  });
  buses.push(bus);
  const read = (unitId: number, retryable = true): Promise<number[]> => bus.transact(unitId, TIMEOUT_MS, (s) => s.readRegisters('holding', 0, 2), { retryable });
  return { port, clock, bus, read };
}

describe('ModbusBus over an in-memory line', () => {
  it('runs transactions strictly one at a time, in the order they were queued, a multi-step one whole', async () => {
    const { port, bus, read } = line();
    for (const u of [1, 2, 3]) port.addUnit(u);
    const results = await Promise.all([
      read(1),
      bus.transact(2, TIMEOUT_MS, async (s) => [...(await s.readRegisters('holding', 0, 1)), ...(await s.readRegisters('holding', 5, 1))]),
      read(3),
      bus.transact(1, TIMEOUT_MS, async (s) => {
        await s.writeRegister(4, 7);
        return s.readRegisters('holding', 4, 1);
      }),
      read(2),
    ]);
    expect(results).toEqual([[100, 101], [200, 205], [300, 301], [7], [200, 201]]);
    expect(port.requests.map((r) => `${r.unitId}/${r.functionCode}`)).toEqual(['1/3', '2/3', '2/3', '3/3', '1/6', '1/3', '2/3']);
    expect(port.overlaps).toBe(0);
    expect(port.opens).toBe(1);
  });

  it('retries a retryable read once after a bad CRC, and reopens the link to flush it', async () => {
    const { port, read } = line();
    port.addUnit(1);
    port.damageNext(1, 1);
    await expect(read(1)).resolves.toEqual([100, 101]);
    expect(port.wireCount(1)).toBe(2);
    expect(port.opens).toBe(2);
  });

  it('never repeats a command: a write whose answer is damaged fails with CRC after one attempt', async () => {
    const { port, bus } = line();
    port.addUnit(1);
    port.damageNext(1, 1);
    const err = await failure(bus.transact(1, TIMEOUT_MS, (s) => s.writeCoil(0, true)));
    expect(err.code).toBe('CRC');
    expect(port.wireCount(1)).toBe(1);
  });

  it('backs a silent unit off on its own: skipped at once until its probe is due, doubling, reset by an answer', async () => {
    const { port, clock, read } = line();
    port.addUnit(1);
    port.addUnit(2, 'silent');

    // First failure: retried once (the unit was healthy), then backed off for 1 s.
    expect((await failure(read(2))).code).toBe('TIMEOUT');
    expect(port.wireCount(2)).toBe(2);

    const skipped = await failure(read(2));
    expect(skipped.code).toBe('TIMEOUT');
    expect(skipped.detail).toMatchObject({ unitId: 2, skipped: true, backoffMs: 1000 });
    expect(port.wireCount(2)).toBe(2);
    // The healthy unit on the same line is not held up meanwhile.
    await expect(read(1)).resolves.toEqual([100, 101]);

    clock.advance(899);
    expect((await failure(read(2))).detail).toMatchObject({ skipped: true, backoffMs: 101 });
    // Due within a tenth of its wait: the probe goes (the poll bringing it was timed from its own start).
    clock.advance(1);
    // The probe goes to the wire once, no retry while failing; the wait doubles.
    expect((await failure(read(2))).detail?.['skipped']).toBeUndefined();
    expect(port.wireCount(2)).toBe(3);
    expect((await failure(read(2))).detail).toMatchObject({ skipped: true, backoffMs: 2000 });
    clock.advance(2000);
    await failure(read(2));
    clock.advance(4000);
    await failure(read(2));
    clock.advance(3599);
    // Capped at unitBackoffMaxMs.
    expect((await failure(read(2))).detail).toMatchObject({ skipped: true, backoffMs: 401 });

    port.behave(2, 'answer');
    clock.advance(1);
    await expect(read(2)).resolves.toEqual([200, 201]);
    await expect(read(2)).resolves.toEqual([200, 201]);
    expect(port.wireCount(2)).toBe(7);
  });

  it("holds a unit's retry wait to its device's ceiling, however long it was silent, and the link's to the lowest unit's", async () => {
    const { port, clock, bus, read } = line({ unitBackoffMaxMs: 30_000, reconnectMaxMs: 30_000 });
    port.addUnit(1, 'silent');
    port.addUnit(2);
    // A cabinet polled every second with a 500 ms timeout: its ceiling is its poll period.
    bus.configureUnit(1, { retryMaxMs: 1000 });
    bus.configureUnit(2, { retryMaxMs: 5000 });
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const err = await failure(read(1));
      if (err.detail?.['skipped'] !== true) {
        waits.push((await failure(read(1))).detail?.['backoffMs'] as number);
      }
      clock.advance(1000);
    }
    // Every try after the first waits exactly the ceiling: a minute of silence costs no longer a wait.
    expect(waits.length).toBe(12);
    expect(new Set(waits)).toEqual(new Set([1000]));
    port.behave(1, 'answer');
    await expect(read(1)).resolves.toEqual([100, 101]);

    port.failOpens = 10;
    // The link is reopened after the next fault; its backoff is capped at the lowest unit ceiling.
    port.behave(1, 'silent');
    await failure(read(1));
    const linkWaits: number[] = [];
    // Each try that is due fails to connect; the read after it is refused with the wait.
    for (let i = 0; i < 12 && linkWaits.length < 6; i++) {
      const wait = /next connect attempt in (\d+) ms/.exec((await failure(read(2))).message)?.[1];
      if (wait === undefined) continue;
      linkWaits.push(Number(wait));
      clock.advance(Number(wait));
    }
    // Without the unit ceilings the link's wait would double to 2 s, 4 s, 8 s here.
    expect(linkWaits).toEqual([500, 1000, 1000, 1000, 1000, 1000]);
  });

  it('backs the link off when it cannot open, failing at once without trying, and reconnects when due', async () => {
    const { port, clock, read } = line();
    port.addUnit(1);
    port.failOpens = 2;
    expect((await failure(read(1))).message).toMatch(/cannot connect/);
    const down = await failure(read(1));
    expect(down.code).toBe('DISCONNECTED');
    expect(down.message).toMatch(/next connect attempt in 500 ms/);
    clock.advance(500);
    expect((await failure(read(1))).message).toMatch(/cannot connect/);
    expect((await failure(read(1))).message).toMatch(/next connect attempt in 1000 ms/);
    clock.advance(1000);
    await expect(read(1)).resolves.toEqual([100, 101]);
    expect(port.opens).toBe(1);
    expect(port.requests).toHaveLength(1);
  });

  it('is fair between units: a dead unit costs a handful of timeouts while the others keep their turns', async () => {
    const { port, clock, read } = line();
    for (const u of [1, 2, 3]) port.addUnit(u);
    port.behave(3, 'silent');
    const answered = { 1: 0, 2: 0, 3: 0 };
    // 60 polling rounds 100 ms of fake time apart, each unit queuing one read per round as
    // DeviceMonitors on one bus do.
    for (let round = 0; round < 60; round++) {
      const results = await Promise.allSettled([read(1), read(2), read(3)]);
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') answered[(i + 1) as 1 | 2 | 3]++;
      });
      clock.advance(100);
    }
    expect(answered).toEqual({ 1: 60, 2: 60, 3: 0 });
    // First failure retried, then probes at 1 s and 3 s (the next is due at 7 s): 4 on the wire, not 60.
    expect(port.wireCount(3)).toBe(4);
    expect(port.wireCount(1)).toBe(60);
    expect(port.overlaps).toBe(0);
  });
});
