import { afterEach, describe, expect, it } from 'vitest';
import { ModbusBus, type ModbusEndpoint } from '../../../device-drivers/modbus/modbus-bus.js';
import { PROBE_MIN_WAIT_MS, charMs, probeTimeoutMs, rtuTransactionChars } from '../../../device-drivers/modbus/probe-timeout.js';
import { TurnaroundWindow } from '../../../device-drivers/health/turnaround.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryModbusPort } from './memory-modbus-port.js';
import { failure } from './device-failure.js';

/*
 * The probe of a silent unit (issue 22) against a line in memory: between its full tries a read
 * that offers a probe asks the unit for one register with a timeout from its own turnaround, and
 * a unit that answers it is read in the same turn. Backoff runs on fake time, the library's
 * timeouts are real.
 */

const TIMEOUT_MS = 200;
const buses: ModbusBus[] = [];
afterEach(async () => {
  while (buses.length) await buses.pop()?.close();
});

/** Behind a converter (no baud rate known): a probe's wait is the turnaround part alone. */
const CONVERTER: ModbusEndpoint = { type: 'modbus-rtu-over-tcp', host: 'memory', port: 1 };

function line(endpoint: ModbusEndpoint = CONVERTER) {
  const port = new MemoryModbusPort();
  const clock = new FakeClock();
  const bus = new ModbusBus(endpoint, silentLogger(), { unitBackoffMinMs: 1000, unitBackoffMaxMs: 4000, port, clock });
  buses.push(bus);
  const probe = { table: 'holding', address: 0 } as const;
  const read = (unitId: number, withProbe = true): Promise<number[]> =>
    bus.transact(unitId, TIMEOUT_MS, (s) => s.readRegisters('holding', 0, 2), { retryable: true, probe: withProbe ? probe : undefined });
  const counts = (unitId: number): Array<number | undefined> => port.requests.filter((r) => r.unitId === unitId).map((r) => r.count);
  return { port, clock, bus, read, counts };
}

describe('ModbusBus: the probe of a silent unit', () => {
  it('asks a unit that answered before for one register on every read between its full tries, and reads it in the same turn once it answers', async () => {
    const { port, clock, read, counts } = line();
    port.addUnit(1);
    port.addUnit(2);
    await expect(read(2)).resolves.toEqual([200, 201]);
    port.behave(2, 'silent');
    // The first failure of a healthy unit: the full read, retried once, then its backoff.
    expect((await failure(read(2))).code).toBe('TIMEOUT');
    expect(counts(2)).toEqual([2, 2, 2]);

    for (let i = 0; i < 5; i++) {
      const probe = await failure(read(2));
      expect(probe.code).toBe('TIMEOUT');
      // The wait is the floor here: on a line in memory the unit answered at once.
      expect(probe.detail).toMatchObject({ unitId: 2, probe: true, probeTimeoutMs: PROBE_MIN_WAIT_MS });
      // The neighbour keeps its turns.
      await expect(read(1)).resolves.toEqual([100, 101]);
    }
    expect(counts(2)).toEqual([2, 2, 2, 1, 1, 1, 1, 1]);

    // A full try, with the full timeout, only at the ceiling (4 s here): it would find a unit back
    // slower than its probes wait, and each costs the line a whole timeout.
    clock.advance(3599);
    expect((await failure(read(2))).detail).toMatchObject({ probe: true });
    clock.advance(1);
    const full = await failure(read(2));
    expect(full.detail?.['probe']).toBeUndefined();
    expect(counts(2).slice(8)).toEqual([1, 2]);
    // The next one the ceiling later again, probes between.
    clock.advance(3599);
    expect((await failure(read(2))).detail).toMatchObject({ probe: true });

    port.behave(2, 'answer');
    await expect(read(2)).resolves.toEqual([200, 201]);
    // Probe, then the read in the same turn: the first fresh state comes with the first answer.
    expect(counts(2).slice(11)).toEqual([1, 2]);
    await expect(read(2)).resolves.toEqual([200, 201]);
    expect(counts(2).slice(13)).toEqual([2]);
    expect(port.overlaps).toBe(0);
  });

  it('gives no probe, only the backoff, to a unit never heard, one whose ceiling the station file set, a read offering none, and one answering damaged frames', async () => {
    const { port, bus, read, counts } = line();
    port.addUnit(1, 'silent');
    await failure(read(1));
    expect((await failure(read(1))).detail).toMatchObject({ skipped: true });

    port.addUnit(2);
    bus.configureUnit(2, { retryMaxMs: 1000 });
    await read(2);
    port.behave(2, 'silent');
    await failure(read(2));
    expect((await failure(read(2))).detail).toMatchObject({ skipped: true });

    port.addUnit(3);
    await read(3);
    port.behave(3, 'silent');
    await failure(read(3));
    expect((await failure(read(3, false))).detail).toMatchObject({ skipped: true });

    port.addUnit(4);
    await read(4);
    port.behave(4, 'bad-crc');
    expect((await failure(read(4))).code).toBe('CRC');
    expect((await failure(read(4))).detail).toMatchObject({ skipped: true });
    // Nothing but the first tries reached the wire.
    expect([counts(1).length, counts(2).length, counts(3).length, counts(4).length]).toEqual([2, 3, 3, 3]);
  });

  it('puts a unit that answers its probe but not the read after it back on its backoff alone', async () => {
    const { port, read, counts } = line();
    port.addUnit(1);
    await read(1);
    port.behave(1, 'silent');
    await failure(read(1));
    port.behave(1, 'one-register-only');
    expect((await failure(read(1))).code).toBe('TIMEOUT');
    expect(counts(1).slice(3)).toEqual([1, 2]);
    // Probe and read would both cost the line on every poll: skipped until the full try is due,
    // on the doubling backoff again (the second failure in a row: 2 s).
    expect((await failure(read(1))).detail).toMatchObject({ skipped: true, backoffMs: 2000 });
    expect(counts(1)).toHaveLength(5);
  });

  it('waits on an RTU line for the probe frames at its speed plus the unit turnaround, never more than the timeout', async () => {
    const rtu: ModbusEndpoint = { type: 'modbus-rtu', path: '/dev/memory', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
    const { port, read } = line(rtu);
    port.addUnit(1);
    await read(1);
    port.behave(1, 'silent');
    await failure(read(1));
    // 8-byte request, 7-byte answer, two 3.5-character silences at 10 bits per character.
    const frameMs = (22 * 10 * 1000) / 9600;
    expect((await failure(read(1))).detail).toMatchObject({ probe: true, probeTimeoutMs: Math.ceil(frameMs + PROBE_MIN_WAIT_MS) });
  });
});

describe('probe timeout and turnaround', () => {
  it('counts the characters of one transaction and their time at the line speed', () => {
    expect(rtuTransactionChars({ kind: 'read-registers', count: 1 })).toBe(22);
    expect(rtuTransactionChars({ kind: 'read-registers', count: 10 })).toBe(40);
    expect(rtuTransactionChars({ kind: 'read-bits', count: 9 })).toBe(22);
    expect(rtuTransactionChars({ kind: 'write-single' })).toBe(23);
    expect(rtuTransactionChars({ kind: 'write-registers', count: 2 })).toBe(28);
    expect(charMs({ baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 })).toBeCloseTo(11000 / 9600, 6);
    expect(charMs(undefined)).toBe(0);
  });

  it('waits the frames plus twice the high turnaround, at least the floor, at most the timeout; none for a unit never heard', () => {
    expect(probeTimeoutMs({ frameMs: 23, turnaroundMs: 5, timeoutMs: 500 })).toBe(23 + PROBE_MIN_WAIT_MS);
    expect(probeTimeoutMs({ frameMs: 23, turnaroundMs: 40, timeoutMs: 500 })).toBe(103);
    expect(probeTimeoutMs({ frameMs: 23, turnaroundMs: 400, timeoutMs: 500 })).toBe(500);
    expect(probeTimeoutMs({ frameMs: 0, turnaroundMs: undefined, timeoutMs: 500 })).toBeUndefined();
  });

  it('keeps the last samples and gives their quantile by nearest rank', () => {
    const w = new TurnaroundWindow(4);
    expect(w.quantile(0.95)).toBeUndefined();
    for (const ms of [100, 1, 2, 3, 4]) w.add(ms);
    // 100 has been pushed out by the fifth sample.
    expect(w.count).toBe(4);
    expect(w.quantile(0.95)).toBe(4);
    expect(w.quantile(0.5)).toBe(2);
    w.add(-3);
    expect(w.quantile(0)).toBe(0);
  });
});
