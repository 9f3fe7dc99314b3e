import { join } from 'node:path';
import type { CloudBridge } from '../cloud-bridge/cloud-bridge.js';
import { systemClock } from '../config/clock.js';
import type { TrustedKeys } from '../config/trusted-keys.js';
import { HealthGate } from '../gateway/remote-config/health-gate.js';
import { RemoteConfigAgent } from '../gateway/remote-config/remote-config-agent.js';
import { RevisionStore } from '../gateway/remote-config/revision-store.js';

export interface FleetRemoteConfig {
  /** The fleet configuration key's public half (the stations' configuration-key file). */
  keys: TrustedKeys;
  /** Each simulated station keeps its revisions in a folder of its own below this one. */
  stateDir: string;
  gateSeconds: number;
}

export interface SimulatedConfigAgentOptions extends FleetRemoteConfig {
  stationId: string;
  /** The station's synthetic devices: what the gate waits for. */
  devices: readonly string[];
  /** A station planned to fail its gate: after an apply its devices never answer again. */
  failsGate: boolean;
}

/**
 * A simulated station's side of remote configuration: the gateway's own agent (verify, validate
 * as `validate` does, the revision store on disk, the health gate, rollback, the retained report),
 * fed by the simulated station instead of a running one. Its devices are synthetic, so applying a
 * revision changes nothing they do; a station planned to fail the gate loses its devices for the
 * gate's time, and the agent rolls it back, as a station whose revision broke its bus would be.
 */
export class SimulatedConfigAgent {
  private detach: Array<() => void> = [];

  constructor(private readonly options: SimulatedConfigAgentOptions) {}

  attach(bridge: CloudBridge): void {
    const { stationId, devices, failsGate, keys, gateSeconds } = this.options;
    const dir = join(this.options.stateDir, stationId);
    const agent = new RemoteConfigAgent({
      stationId,
      store: new RevisionStore(dir),
      configKeys: keys,
      clock: systemClock,
      gateSeconds,
      // No station file on site: nothing there can drift.
      onSiteFile: join(dir, 'on-site.yaml'),
      publish: (report) => bridge.report('config', report),
      onlineDevices: () => [...devices],
      runningDevices: () => [...devices],
      apply: async () => 'live',
      openGate: (expectOnline) => {
        const gate = new HealthGate({ clock: systemClock, gateSeconds, expectOnline, probeStore: async () => undefined });
        setImmediate(() => {
          gate.brokerConnected(bridge.connected);
          if (!failsGate) for (const id of expectOnline) gate.deviceOnline(id, true);
        });
        const off = bridge.onConnection((up) => gate.brokerConnected(up));
        this.detach.push(off);
        gate.onSettled(off);
        return gate;
      },
      revert: async () => undefined,
    });
    this.detach.push(bridge.follow('desired/config', (m) => void agent.handleDesired(m.payload).catch(() => undefined)));
    bridge.report('config', agent.currentReport());
  }

  stop(): void {
    for (const off of this.detach.splice(0)) off();
  }
}
