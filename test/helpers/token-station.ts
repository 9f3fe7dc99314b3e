import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStationConfig } from '../../config/load-station-config.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from './free-port.js';
import { MqttRecorder } from './mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from './processes.js';

export interface TokenStation {
  gateway: RunningProcess;
  sim: StationSimulator;
  stop(): Promise<void>;
}

/**
 * A real `station-gateway run` of one simulated cabinet with an access section, running once its
 * cabinet reads online: what the token tool's tests send their commands to.
 */
export async function startTokenStation(o: { dir: string; brokerUrl: string; station: string; trustedKeysFile: string; seed: number }): Promise<TokenStation> {
  const configFile = join(o.dir, 'station.yaml');
  writeFileSync(
    configFile,
    `station: { id: ${o.station} }
cloud: { url: ${o.brokerUrl}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: data/gateway.db }
access: { trustedKeys: ${o.trustedKeysFile}, clockTrust: system }
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 1 }, pollMs: 300 }
`,
  );
  const sim = await startStationSimulator(loadStationConfig(configFile, { checkFiles: false }), { seed: o.seed });
  const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  const recorder = await MqttRecorder.connect(o.brokerUrl);
  try {
    await recorder.waitFor(`stations/${o.station}/devices/cabinet-1`, (m) => m.body['online'] === true, 15_000);
  } finally {
    await recorder.close();
  }
  return {
    gateway,
    sim,
    async stop() {
      await gateway.stop();
      await sim.stop();
    },
  };
}
