import type { DeviceModel } from './device-model.js';
import { startModbusTcpServer, type ModbusFraming, type ModbusTcpServer } from './modbus-tcp-server.js';
import type { RegisterBank } from './register-bank.js';

export interface ModbusSimulatorOptions {
  host?: string;
  port: number;
  framing: ModbusFraming;
  devices: ReadonlyArray<{ unitId: number; model: DeviceModel }>;
  /** How often the models advance; each tick passes the time really elapsed since the last. */
  tickMs?: number;
}

/** Several simulated devices behind one listener (one bus, or one converter), with their clock running. */
export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusTcpServer> {
  const units = new Map<number, RegisterBank>();
  for (const { unitId, model } of options.devices) {
    if (units.has(unitId)) throw new Error(`unit id ${unitId} is used twice`);
    units.set(unitId, model.bank);
  }
  const server = await startModbusTcpServer({ port: options.port, units, framing: options.framing, ...(options.host ? { host: options.host } : {}) });
  let last = performance.now();
  // Elapsed time, not the nominal period: a busy event loop delays timers, and the devices' physics should not slow down with it.
  const timer = setInterval(() => {
    const now = performance.now();
    for (const { model } of options.devices) model.tick(now - last);
    last = now;
  }, options.tickMs ?? 1000);
  return {
    port: server.port,
    stop: async () => {
      clearInterval(timer);
      await server.stop();
    },
  };
}
