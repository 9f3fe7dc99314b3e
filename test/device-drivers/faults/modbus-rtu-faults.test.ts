import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { SWEPT_SLOTS, describeModbusFaultSweep, stopSweptStations, sweptStation } from './modbus-fault-sweep.js';

describeModbusFaultSweep('modbus-rtu', 'Modbus RTU on a pty (socat)');

describe('Modbus RTU on a pty: noise bursts on the line', () => {
  afterEach(stopSweptStations);

  it('is counted as damage, never as a lost link or an exception; the cabinet is read again after each burst', async () => {
    const { sim, watched } = await sweptStation('modbus-rtu');
    for (let burst = 0; burst < 3; burst++) {
      await sim.command('cabinet-1 noise 32');
      const seen = watched.monitor.state().health.lastSeen;
      await waitFor(() => watched.monitor.state().health.lastSeen !== seen, 10_000, 'a good poll after the burst');
    }
    const errors = watched.monitor.state().health.errors;
    // Noise is damage on the wire, never a lost link nor an answer from the device.
    expect(errors.DISCONNECTED + errors.EXCEPTION).toBe(0);
    const points = await watched.monitor.driver.read();
    expect(points['slotCount']).toBe(SWEPT_SLOTS);
  });
});
