import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeMbapFrame } from '../../../simulators/modbus/mbap-frame.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { openRawClient, type RawClient } from './raw-client.js';

/* Wire faults of the Modbus TCP simulators, as a raw TCP master sees them. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const QUIET_MS = 400;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const read = (tid: number, unit: number, address: number, count: number): Buffer =>
  encodeMbapFrame({ transactionId: tid, unitId: unit, pdu: Buffer.from([3, address >> 8, address & 0xff, 0, count]) });

async function station(): Promise<{ sim: StationSimulator; port: number; client: RawClient }> {
  const sim = await startSimulators([{ id: 'cabinet-1', kind: 'battery-cabinet', unitId: 1, transport: { type: 'modbus-tcp', port: 0 } }], { seed: 3 });
  cleanups.push(() => sim.stop());
  const endpoint = sim.device('cabinet-1').endpoint;
  if (endpoint.transport !== 'modbus-tcp') throw new Error('expected TCP');
  const client = await openRawClient(endpoint.port);
  cleanups.push(() => client.close());
  return { sim, port: endpoint.port, client };
}

describe('Modbus TCP wire faults', () => {
  it('silent: the request is heard, no answer comes; clearing it brings answers back', async () => {
    const { sim, client } = await station();
    await sim.command('cabinet-1 fault silent on');
    client.send(read(1, 1, 0, 4));
    let got = 0;
    client.socket.on('data', (d: Buffer) => (got += d.length));
    await sleep(QUIET_MS);
    expect(got).toBe(0);
    await sim.command('cabinet-1 fault silent off');
    client.send(read(2, 1, 0, 4));
    const answer = await client.receive(9 + 8);
    expect(answer.readUInt16BE(0)).toBe(2);
  });

  it('delay: the answer comes late but whole', async () => {
    const { sim, client } = await station();
    await sim.command('cabinet-1 fault delay 500ms');
    const start = performance.now();
    client.send(read(7, 1, 0, 4));
    const answer = await client.receive(17);
    expect(performance.now() - start).toBeGreaterThanOrEqual(499);
    expect(answer.readUInt16BE(0)).toBe(7);
  });

  it('exception: the exception code given', async () => {
    const { sim, client } = await station();
    await sim.command('cabinet-1 fault exception busy');
    client.send(read(3, 1, 0, 4));
    expect((await client.receive(9)).subarray(7)).toEqual(Buffer.from([0x83, 0x06]));
  });

  it('corrupt: an answer with another transaction id', async () => {
    const { sim, client } = await station();
    await sim.command('cabinet-1 fault corrupt on');
    client.send(read(0x1234, 1, 0, 4));
    expect((await client.receive(17)).readUInt16BE(0)).toBe(0x1235);
  });

  it('partial: half a frame, then nothing', async () => {
    const { sim, client } = await station();
    await sim.command('cabinet-1 fault partial on');
    client.send(read(5, 1, 0, 4));
    await sleep(QUIET_MS);
    await expect(client.receive(9)).resolves.toHaveLength(9);
    const more = await Promise.race([client.receive(1).then(() => 'more'), sleep(200).then(() => 'none')]);
    expect(more).toBe('none');
  });

  it('drop: connections are closed, new ones refused for the time given, then it listens again', async () => {
    const { sim, port, client } = await station();
    const result = await sim.command('cabinet-1 drop 1500ms');
    expect(result).toBe('dropped for 1500 ms');
    await client.closed;
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(sim.device('cabinet-1').state()['link']).toBe('down');
    const again = await vi.waitFor(() => openRawClient(port), { timeout: 10_000, interval: 100 });
    cleanups.push(() => again.close());
    again.send(read(9, 1, 2, 1));
    expect((await again.receive(11)).readUInt16BE(9)).toBe(8);
  });
});
