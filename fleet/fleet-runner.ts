import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BridgeDevice } from '../cloud-bridge/cloud-bridge.js';
import { builtinProfilesDir } from '../config/package-root.js';
import { loadProfileFile } from '../config/load-profile.js';
import { stationConfigSchema, type StationConfig } from '../config/station-schema.js';
import { profileDeadbands } from '../device-drivers/modbus/profile-layout.js';
import { silentLogger } from '../gateway/runtime/logger.js';
import { planFleet, type FleetPlanOptions } from './fleet-plan.js';
import { FleetStation } from './fleet-station.js';
import { mulberry32 } from '../simulators/modbus/seeded-random.js';
import type { FleetRemoteConfig } from './simulated-config-agent.js';
import { plannedToFailUpdate, type FleetUpdates } from './simulated-update-agent.js';

export interface FleetOptions extends FleetPlanOptions {
  broker: string;
  topicPrefix?: string;
  /** Stations started per second: a whole fleet connecting at once is a thundering herd. */
  connectRate?: number;
  /** Seconds between two steps of one station's devices. */
  tickSeconds?: number;
  heartbeatSeconds?: number;
  version?: string;
  username?: string;
  passwordFile?: string;
  log?: Logger;
  /** Remote configuration through the gateway's agent, for every station. */
  remoteConfig?: FleetRemoteConfig | undefined;
  /** Share of stations, 0..100, whose devices do not come back after a pushed revision: the gate rolls it back. */
  gateFailPercent?: number | undefined;
  /** Software updates through a simulated update agent, for every station. */
  updates?: FleetUpdates | undefined;
  /** Share of stations, 0..100, that roll an update back at the end of its trial. */
  updateFailPercent?: number | undefined;
}

export interface FleetStatus {
  stations: number;
  started: number;
  connected: number;
  crashed: number;
}

/** The devices a fleet station has, described by the same profiles the gateway's drivers read. */
function fleetDevices(): BridgeDevice[] {
  const profile = (name: string): { model: string; deadbands: Record<string, number> } => {
    const { profile: p } = loadProfileFile(join(builtinProfilesDir(), `${name}.yaml`));
    if (!p) throw new Error(`built-in profile ${name} does not load`);
    return { model: p.model, deadbands: profileDeadbands(p) };
  };
  const cabinet = profile('cabinet-ref');
  const water = profile('dispenser-ref');
  const occupancy = profile('occupancy-ref');
  return [
    { id: 'lock-1', kind: 'door-lock', model: 'LK-REF', deadbands: () => ({}) },
    { id: 'cabinet-1', kind: 'battery-cabinet', model: cabinet.model, deadbands: () => cabinet.deadbands },
    { id: 'water-1', kind: 'water-dispenser', model: water.model, deadbands: () => water.deadbands },
    { id: 'occupancy-1', kind: 'occupancy', model: occupancy.model, deadbands: () => occupancy.deadbands },
  ];
}

function fleetConfig(o: FleetOptions): StationConfig {
  return stationConfigSchema.parse({
    station: { id: 'fleet-template' },
    cloud: { url: o.broker, topicPrefix: o.topicPrefix ?? 'stations', protocolVersion: 4, heartbeatSeconds: o.heartbeatSeconds ?? 60, ...(o.username ? { username: o.username } : {}), ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}) },
    storage: { path: ':memory:' },
    devices: [
      { id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', path: '/dev/null' } },
      { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 1 } },
      { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 2 } },
      { id: 'occupancy-1', kind: 'occupancy', profile: 'occupancy-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 3 } },
    ],
  });
}

/**
 * Many simulated stations in one process: connects staggered at `connectRate` per second, and
 * one shared timer that steps a slice of the fleet each second (12,000 stations do not get
 * 12,000 timers of ours; each CloudBridge keeps its own heartbeat timer, as on a box).
 */
export class FleetRunner {
  readonly stations: FleetStation[];
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private slice = 0;
  private readonly log: Logger;

  constructor(private readonly options: FleetOptions) {
    const template = fleetConfig(options);
    const devices = fleetDevices();
    const log = options.log ?? silentLogger();
    this.log = log;
    this.stations = planFleet(options).map(
      (plan) =>
        new FleetStation({
          plan,
          config: { ...template, station: { ...template.station, id: plan.id, location: plan.location } },
          devices,
          version: options.version ?? '0.1.0-fleet',
          log,
          remoteConfig: options.remoteConfig,
          // From the station's own seed: the same fleet fails the same gates.
          failsGate: mulberry32(plan.seed ^ 0x9e3779b9)() * 100 < (options.gateFailPercent ?? 0),
          updates: options.updates,
          failsUpdate: plannedToFailUpdate(plan.seed, options.updateFailPercent ?? 0),
        }),
    );
  }

  start(): void {
    const rate = this.options.connectRate ?? 500;
    const tick = this.options.tickSeconds ?? 10;
    // Ten slices a second: a smooth ramp, and each station steps once every `tick` seconds.
    const perSlice = Math.max(1, Math.ceil(rate / 10));
    this.timer = setInterval(() => {
      const end = Math.min(this.stations.length, this.started + perSlice);
      for (; this.started < end; this.started++) {
        const station = this.stations[this.started];
        station?.start().catch((err: unknown) => this.log.error({ err, station: station.id }, 'a simulated station did not start'));
      }
      const slot = this.slice++ % (tick * 10);
      for (let i = slot; i < this.started; i += tick * 10) this.stations[i]?.tick(tick);
    }, 100);
  }

  status(): FleetStatus {
    let connected = 0;
    let crashed = 0;
    for (const s of this.stations) {
      if (s.connected) connected++;
      if (s.isCrashed) crashed++;
    }
    return { stations: this.stations.length, started: this.started, connected, crashed };
  }

  /** Stops every station cleanly (an `online:false` with ts each), a few hundred at a time. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (let i = 0; i < this.stations.length; i += 500) await Promise.all(this.stations.slice(i, i + 500).map((s) => s.stop()));
  }
}
