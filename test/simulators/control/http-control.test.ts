import { afterEach, describe, expect, it } from 'vitest';
import { startHttpControl } from '../../../simulators/control/http-control.js';
import { startSimulators } from '../../../simulators/simulator-set.js';

/* The control API over real HTTP on 127.0.0.1, in front of real simulators. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<string> {
  const sim = await startSimulators(
    [
      { id: 'cabinet-1', kind: 'battery-cabinet', transport: { type: 'modbus-tcp', port: 0 }, slots: 4 },
      { id: 'water-1', kind: 'water-dispenser', transport: { type: 'modbus-tcp', port: 0 } },
    ],
    { seed: 2 },
  );
  cleanups.push(() => sim.stop());
  const control = await startHttpControl(sim);
  cleanups.push(() => control.stop());
  expect(control.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return control.url;
}

const post = async (url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('HTTP control API', () => {
  it('GET /devices lists every device with its address and state', async () => {
    const url = await setup();
    const devices = (await (await fetch(`${url}/devices`)).json()) as Array<Record<string, unknown>>;
    expect(devices.map((d) => [d['id'], d['kind'], d['link']])).toEqual([
      ['cabinet-1', 'battery-cabinet', 'up'],
      ['water-1', 'water-dispenser', 'up'],
    ]);
    expect(devices[0]?.['address']).toMatch(/^modbus-tcp 127\.0\.0\.1:\d+ unit 1$/);
    expect((devices[0]?.['slots'] as unknown[]).length).toBe(4);
  });

  it('POST /devices/<id>/commands runs the control language and the state shows it', async () => {
    const url = await setup();
    expect(await post(`${url}/devices/cabinet-1/commands`, { command: 'slot 3 temperature 62' })).toEqual({ status: 200, json: { ok: true, result: 'slot 3 battery at 62 °C' } });
    expect(await post(`${url}/devices/cabinet-1/commands`, { command: 'cabinet-1 fault delay 300' })).toMatchObject({ status: 200 });
    const state = (await (await fetch(`${url}/devices/cabinet-1`)).json()) as Record<string, unknown>;
    // `slot 3` is the door number: slots[2].
    expect((state['slots'] as Array<{ batteryTemp: number; faults: string[] }>)[2]).toMatchObject({ slot: 3, batteryTemp: 62 });
    expect(state['faults']).toEqual(['delay 300ms']);
    expect(await post(`${url}/commands`, { command: 'water-1 leak on' })).toEqual({ status: 200, json: { ok: true, result: 'leak on' } });
  });

  it('answers mistakes with 400 or 404 and a code', async () => {
    const url = await setup();
    expect(await post(`${url}/devices/cabinet-1/commands`, { command: 'slot 9 remove' })).toMatchObject({ status: 400, json: { ok: false, error: { code: 'SIM_COMMAND' } } });
    expect(await post(`${url}/devices/nope/commands`, { command: 'state' })).toMatchObject({ status: 404, json: { ok: false, error: { code: 'SIM_COMMAND' } } });
    expect(await post(`${url}/devices/cabinet-1/commands`, 'not json')).toMatchObject({ status: 400 });
    expect(await post(`${url}/devices/water-1/commands`, { command: 'fault exception 99999' })).toMatchObject({ status: 400 });
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });
});
