import { afterEach, describe, expect, it } from 'vitest';
import { startDemoRider, type DemoRider } from '../../../gateway/cli/demo-rider.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';
import { waitFor } from '../../helpers/wait-for.js';

/* The demo's simulated rider: what makes a swap in the demo finish instead of `insert-timeout`. */

interface Slot {
  slot: number;
  state: string;
  door: string;
  packType: number;
}

const slots = (sim: StationSimulator): Slot[] => sim.device('cabinet-1').state()['slots'] as Slot[];

describe('demo rider', () => {
  let sim: StationSimulator | undefined;
  let rider: DemoRider | undefined;

  afterEach(async () => {
    rider?.stop();
    await sim?.stop();
    rider = sim = undefined;
  });

  it('puts a battery into an empty slot whose door opens and takes the battery out of a full one', async () => {
    sim = await startSimulators([{ id: 'cabinet-1', kind: 'battery-cabinet', transport: { type: 'modbus-tcp', port: 0 }, slots: 8 }], { seed: 3, tickMs: 100 });
    const said: string[] = [];
    const empty = slots(sim).find((s) => s.state === 'empty');
    const full = slots(sim).find((s) => s.state !== 'empty');
    if (!empty || !full) throw new Error('seed 3 should give empty and full slots');
    // A door already open when the rider arrives is not for them.
    await sim.command(`cabinet-1 slot ${full.slot} door open`);
    rider = startDemoRider({ sim, cabinets: ['cabinet-1'], reachMs: 50, watchMs: 20, say: (t) => said.push(t) });
    await new Promise((r) => setTimeout(r, 150));
    expect(said).toEqual([]);
    await sim.command(`cabinet-1 slot ${full.slot} door close`);

    await sim.command(`cabinet-1 slot ${empty.slot} door open`);
    await waitFor(() => slots(sim!).find((s) => s.slot === empty.slot)?.state !== 'empty', 5000, 'a battery in the empty slot');
    expect(said[0]).toMatch(new RegExp(`^rider: cabinet-1 slot ${empty.slot} insert 20 (48|60): ok$`));

    await sim.command(`cabinet-1 slot ${full.slot} door open`);
    await waitFor(() => slots(sim!).find((s) => s.slot === full.slot)?.state === 'empty', 5000, 'the full slot emptied');
    expect(said[1]).toBe(`rider: cabinet-1 slot ${full.slot} remove: ok`);
  });
});
