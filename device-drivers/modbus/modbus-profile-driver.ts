import type { Profile } from '../../config/profile-schema.js';
import type { DeviceDriver, DeviceEvent, DeviceKind, Points } from '../device.js';
import { DeviceError } from '../device-error.js';
import type { ModbusBus, ModbusSession } from './modbus-bus.js';
import { compileBlocksDecoder, type BlockData, type BlocksDecoder } from './blocks-decoder.js';
import { groupCounts, placePoints, profileDeadbands } from './profile-layout.js';
import { commandTarget, instanceAddress } from './command-target.js';
import { planReads, type ReadBlock } from './read-plan.js';

export interface ModbusProfileDriverOptions {
  profile: Profile;
  bus: ModbusBus;
  unitId: number;
  timeoutMs: number;
}

/**
 * Any Modbus device described by a profile: cabinet, dispenser and occupancy sensor are this
 * class with different data. The read plan and its decoder are rebuilt only when a group count
 * changes (a cabinet reporting another number of slots), so a steady poll costs no planning.
 */
export class ModbusProfileDriver implements DeviceDriver {
  readonly kind: DeviceKind;
  readonly model: string;
  private layout: ReadLayout;

  constructor(private readonly options: ModbusProfileDriverOptions) {
    this.kind = options.profile.kind;
    this.model = options.profile.model;
    // Ungrouped points only, until the first poll tells how many instances each group has.
    this.layout = readLayout(options.profile, {});
  }

  async open(): Promise<void> {
    // The bus connects lazily on the first transaction; a missing device shows up as a failed read.
  }

  async close(): Promise<void> {
    // The bus is shared and closed by whoever created it.
  }

  read(): Promise<Points> {
    const { bus, unitId, timeoutMs, profile } = this.options;
    return bus.transact(unitId, timeoutMs, async (session) => {
      let points = await this.readBlocks(session);
      const counts = groupCounts(profile, points);
      if (!sameCounts(counts, this.layout.counts)) {
        // First poll, or the device changed shape: read the groups now rather than one poll late.
        this.layout = readLayout(profile, counts);
        points = await this.readBlocks(session);
      }
      return points;
    }, { retryable: true });
  }

  /** Transactions one poll costs with the current plan (benchmarks and health report this). */
  transactionsPerPoll(): number {
    return this.layout.plan.length;
  }

  deadbands(): Record<string, number> {
    return profileDeadbands(this.options.profile);
  }

  onEvent(_listener: (event: DeviceEvent) => void): () => void {
    return () => undefined;
  }

  /** Executes a profile command (`openSlotDoor`, `setCharging`, ...) with the bus's queue. */
  command(name: string, value?: boolean | number, index?: number): Promise<void> {
    const { profile, bus, unitId, timeoutMs } = this.options;
    const cmd = profile.commands[name];
    if (!cmd) return Promise.reject(new DeviceError('PROTOCOL', `profile ${profile.id} has no command "${name}"`));
    const v = cmd.value ?? value;
    if (v === undefined) return Promise.reject(new DeviceError('PROTOCOL', `command "${name}" needs a value`));
    const target = commandTarget(profile, name);
    if (!target) return Promise.reject(new DeviceError('PROTOCOL', `profile ${profile.id} has no command "${name}"`));
    const address = instanceAddress(target, index ?? 0);
    return bus.transact(unitId, timeoutMs, async (session) => {
      if (target.table === 'coil') await session.writeCoil(address, Boolean(v));
      else await session.writeRegisters(address, [Number(v) & 0xffff]);
    });
  }

  private async readBlocks(session: ModbusSession): Promise<Points> {
    const { plan, decode } = this.layout;
    const data: BlockData[] = [];
    for (const block of plan) {
      data.push(
        block.table === 'holding' || block.table === 'input'
          ? await session.readRegisters(block.table, block.start, block.count)
          : await session.readBits(block.table, block.start, block.count),
      );
    }
    return decode(data);
  }
}

/** A read plan for some group counts, and its decoder. */
interface ReadLayout {
  counts: Readonly<Record<string, number>>;
  plan: ReadBlock[];
  decode: BlocksDecoder;
}

function readLayout(profile: Profile, counts: Readonly<Record<string, number>>): ReadLayout {
  const plan = planReads(placePoints(profile, counts), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
  return { counts, plan, decode: compileBlocksDecoder(profile, plan) };
}

function sameCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
