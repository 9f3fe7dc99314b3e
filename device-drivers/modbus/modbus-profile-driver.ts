import type { Profile } from '../../config/profile-schema.js';
import type { DeviceDriver, DeviceEvent, DeviceKind, Points } from '../device.js';
import { DeviceError } from '../device-error.js';
import type { ModbusBus, ModbusSession } from './modbus-bus.js';
import { decodeBlocks, groupCounts, placePoints, profileDeadbands, type BlockData } from './profile-layout.js';
import { planReads, type ReadBlock } from './read-plan.js';

export interface ModbusProfileDriverOptions {
  profile: Profile;
  bus: ModbusBus;
  unitId: number;
  timeoutMs: number;
}

/**
 * Any Modbus device described by a profile: cabinet, dispenser and occupancy sensor are this
 * class with different data. The read plan is rebuilt only when a group count changes (a
 * cabinet reporting another number of slots), so a steady poll costs no planning.
 */
export class ModbusProfileDriver implements DeviceDriver {
  readonly kind: DeviceKind;
  readonly model: string;
  private plan: ReadBlock[] | undefined;
  private plannedCounts = '';

  constructor(private readonly options: ModbusProfileDriverOptions) {
    this.kind = options.profile.kind;
    this.model = options.profile.model;
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
      if (!this.plan) this.replan({});
      let points = await this.readBlocks(session, this.plan ?? []);
      const counts = groupCounts(profile, points);
      if (JSON.stringify(counts) !== this.plannedCounts) {
        // First poll, or the device changed shape: read the groups now rather than one poll late.
        this.replan(counts);
        points = await this.readBlocks(session, this.plan ?? []);
      }
      return points;
    }, { retryable: true });
  }

  /** Transactions one poll costs with the current plan (benchmarks and health report this). */
  transactionsPerPoll(): number {
    return this.plan?.length ?? 0;
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
    const address = cmd.address + (cmd.group ? (index ?? 0) : 0);
    return bus.transact(unitId, timeoutMs, async (session) => {
      if (cmd.table === 'coil') await session.writeCoil(address, Boolean(v));
      else await session.writeRegisters(address, [Number(v) & 0xffff]);
    });
  }

  private replan(counts: Record<string, number>): void {
    const { profile } = this.options;
    this.plan = planReads(placePoints(profile, counts), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
    this.plannedCounts = JSON.stringify(counts);
  }

  private async readBlocks(session: ModbusSession, plan: readonly ReadBlock[]): Promise<Points> {
    const data: BlockData[] = [];
    for (const block of plan) {
      data.push(
        block.table === 'holding' || block.table === 'input'
          ? await session.readRegisters(block.table, block.start, block.count)
          : await session.readBits(block.table, block.start, block.count),
      );
    }
    return decodeBlocks(this.options.profile, plan, data);
  }
}
