import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../../config/load-profile.js';
import type { Profile } from '../../../config/profile-schema.js';
import type { Capability } from '../../../device-drivers/capabilities/capabilities.js';
import type { DeviceState, ErrorCounters } from '../../../device-drivers/device-state.js';
import { DEVICE_ERROR_CODES } from '../../../device-drivers/device-error.js';
import { ModbusBus } from '../../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../../device-drivers/modbus/modbus-profile-driver.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import type { DeviceModel } from '../../../simulators/modbus/device-model.js';
import type { MasterWrite } from '../../../simulators/modbus/register-bank.js';
import { startModbusSimulator } from '../../../simulators/modbus/start-modbus-device-sim.js';
import { loadTestProfile } from '../../simulators/modbus/load-test-profile.js';

/**
 * One simulated device served over a real Modbus TCP socket on 127.0.0.1, read and commanded by
 * the real ModbusProfileDriver. The model's clock is held still: the suite moves it (model.tick)
 * where a test needs time to pass, so no assertion races the physics.
 */
export interface ModbusBench<M extends DeviceModel, C extends Capability> {
  profile: Profile;
  model: M;
  driver: ModbusProfileDriver;
  capability: C;
  /** One poll, as the DeviceMonitor would hand it to the station logic. */
  state(): Promise<DeviceState>;
  /** Every write the simulator received from the gateway, in order. */
  writes: MasterWrite[];
  stop(): Promise<void>;
}

export const UNIT_ID = 1;

/** A profile shipped in config/profiles by name (`cabinet-ref`), or a fixture of these suites (`fixtures/x.yaml`). */
export function profileOf(ref: string): Profile {
  if (!ref.endsWith('.yaml')) return loadTestProfile(ref);
  const file = join(fileURLToPath(new URL('.', import.meta.url)), ref);
  const { profile, problems } = loadProfileFile(file);
  if (!profile) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
  return profile;
}

export async function startModbusBench<M extends DeviceModel, C extends Capability>(
  profile: Profile,
  model: M,
  kind: C['kind'],
): Promise<ModbusBench<M, C>> {
  const writes: MasterWrite[] = [];
  model.bank.onMasterWrite((w) => writes.push(w));
  const sim = await startModbusSimulator({ host: '127.0.0.1', port: 0, framing: 'mbap', tickMs: 3_600_000, devices: [{ unitId: UNIT_ID, model }] });
  const bus = new ModbusBus({ type: 'modbus-tcp', host: '127.0.0.1', port: sim.port }, silentLogger());
  const driver = new ModbusProfileDriver({ profile, bus, unitId: UNIT_ID, timeoutMs: 2000 });
  await driver.open();
  const capability = driver.capability;
  if (capability?.kind !== kind) throw new Error(`profile ${profile.id} gave a ${capability?.kind ?? 'missing'} capability, not ${kind}`);
  return {
    profile,
    model,
    driver,
    capability: capability as C,
    writes,
    state: async () => ({ online: true, points: await driver.read(), health: { lastSeen: new Date().toISOString(), errors: noErrors(), latencyMs: 1 } }),
    stop: async () => {
      await driver.close();
      await bus.close();
      await sim.stop();
    },
  };
}

function noErrors(): ErrorCounters {
  return Object.fromEntries(Object.keys(DEVICE_ERROR_CODES).map((k) => [k, 0])) as ErrorCounters;
}
