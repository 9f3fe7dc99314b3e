import type { Logger } from 'pino';
import { CloudBridge, type BridgeDevice, type CloudBridgeOptions } from '../../../cloud-bridge/cloud-bridge.js';
import { CommandError, type CommandHandler } from '../../../cloud-bridge/command-handler.js';
import { MAX_BIRTH_RESOURCES } from '../../../cloud-bridge/contract-schemas.js';
import type { StationConfig } from '../../../config/station-schema.js';
import type { Part } from '../../lifecycle/part.js';
import { Subscriptions } from '../../lifecycle/subscriptions.js';
import type { DevicesPart } from './devices-part.js';
import type { RecordsPart } from './records-part.js';
import type { StoragePart } from './storage-part.js';
import { started } from './started.js';
import { birthResources } from '../birth-resources.js';

export interface BridgePartOptions {
  config: StationConfig;
  version: string;
  bootId: string;
  storage: StoragePart;
  records: RecordsPart;
  devices: DevicesPart;
  /** Whether the station carries out access commands (it has an `access` section); the access part serves them. */
  takesCommands: boolean;
  /** Devices the bridge reports instead of the monitors' (the fleet simulator's synthetic ones). */
  reported?: readonly BridgeDevice[] | undefined;
  connect?: CloudBridgeOptions['connect'] | undefined;
  /** How long a stop waits for the broker (default the bridge's). */
  stopDeadlineMs?: number | undefined;
  /** When the client certificate in use expires, for the birth message. */
  certificateNotAfter?: (() => Date | undefined) | undefined;
  log: Logger;
}

/**
 * The link to the cloud: the event outbox relayed, device states, alarms and availability
 * published retained, commands taken. It connects once every part has started, so the first
 * command already finds the access logic running.
 */
export class BridgePart implements Part {
  readonly name = 'bridge';
  readonly needs = ['store', 'records', 'devices'];
  private current: CloudBridge | undefined;
  private readonly subscriptions = new Subscriptions();
  private commands: CommandHandler | undefined;
  /** Set when the station starts to stop: no command is carried out by parts about to stop. */
  private closing = false;

  constructor(private readonly options: BridgePartOptions) {}

  /** The part that carries out unlock, swap, dispense and slot registers here when it starts. */
  serveCommands(handler: CommandHandler | undefined): void {
    this.commands = handler;
  }

  get bridge(): CloudBridge {
    return started(this.current, this.name, 'the cloud bridge');
  }

  async start(): Promise<void> {
    const { config, version, bootId, storage, records, devices, takesCommands, reported, connect, log } = this.options;
    // Asked only once the station runs, by then the access part has registered; a stopped one refuses.
    const commands: CommandHandler = {
      // Between the access part stopping and the bridge (a stop, or a restart into a new revision).
      handle: (name, request, context) => {
        const commands = this.closing ? undefined : this.commands;
        return commands ? commands.handle(name, request, context) : Promise.reject(new CommandError('BUSY', 'the station is restarting; try again in a few seconds'));
      },
    };
    const bridge = new CloudBridge({
      config,
      version,
      bootId,
      devices: reported ?? devices.monitors,
      outbox: storage.store.outbox,
      commands: takesCommands ? commands : undefined,
      alarms: records.alarms,
      log: log.child({ part: 'cloud' }),
      connect,
      certificateNotAfter: this.options.certificateNotAfter,
      resources: this.resources(config, log),
    });
    this.current = bridge;
    const alarms = records.alarms;
    this.subscriptions.on(alarms, 'changed', (list) => bridge.setAlarms(list));
    bridge.setAlarms(alarms.active());
    if (!reported) for (const m of devices.monitors) this.subscriptions.on(m, 'state', (s) => bridge.deviceState(m.id, s));
  }

  private resources(config: StationConfig, log: Logger): ReturnType<typeof birthResources> {
    const listed = birthResources(config);
    if (!listed) log.warn({ resources: Object.keys(config.resources).length, max: MAX_BIRTH_RESOURCES }, 'more resources than a birth lists: the birth names none, consoles ask operators for names');
    return listed;
  }

  async run(): Promise<void> {
    this.closing = false;
    this.bridge.start();
  }

  /**
   * Before the devices halt: a command from now on is answered BUSY, never half carried out by a
   * lock driver that is closing (its token stays unspent, and the worker's retry meets the next start).
   */
  async halt(): Promise<void> {
    this.closing = true;
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    await this.current?.stop(this.options.stopDeadlineMs);
  }
}
