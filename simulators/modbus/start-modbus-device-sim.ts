import type { LineTiming } from '../bus/line-timing.js';
import type { TransportFaults } from '../faults/transport-faults.js';
import type { DeviceModel } from './device-model.js';
import { startModbusTcpServer, type ModbusFraming, type ModbusTcpServer } from './modbus-tcp-server.js';
import type { RegisterBank } from './register-bank.js';

export interface ModbusSimulatorOptions {
  host?: string | undefined;
  port: number;
  framing: ModbusFraming;
  devices: ReadonlyArray<{ unitId: number; model: DeviceModel; faults?: TransportFaults }>;
  /** How often the models advance; each tick passes the time really elapsed since the last. */
  tickMs?: number;
  /** rtu framing: pace answers as the serial line behind the converter. */
  timing?: LineTiming | undefined;
  seed?: number | undefined;
}

/** Several simulated devices behind one listener (one bus, or one converter), with their clock running. */
export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusTcpServer> {
  const units = new Map<number, RegisterBank>();
  const faults = new Map<number, TransportFaults>();
  for (const { unitId, model, faults: f } of options.devices) {
    if (units.has(unitId)) throw new Error(`unit id ${unitId} is used twice`);
    units.set(unitId, model.bank);
    if (f) faults.set(unitId, f);
  }
  const server = await startModbusTcpServer({ port: options.port, units, faults, framing: options.framing, host: options.host, timing: options.timing, seed: options.seed });
  const stopClock = runModelClock(options.devices.map((d) => d.model), options.tickMs);
  return {
    ...server,
    stop: async () => {
      stopClock();
      await server.stop();
    },
  };
}

/**
 * Advances models by the time really elapsed, not the nominal period: a busy event loop delays
 * timers, and the devices' physics should not slow down with it. Returns the stop function.
 */
export function runModelClock(models: readonly DeviceModel[], tickMs = 1000): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    for (const model of models) model.tick(now - last);
    last = now;
  }, tickMs);
  return () => clearInterval(timer);
}
