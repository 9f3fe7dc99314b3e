import type { Profile } from '../../config/profile-schema.js';
import type { DeviceDriver, DeviceEvent } from '../device.js';
import type { Points } from '../device-state.js';
import type { DeviceKind } from '../../config/device-kinds.js';
import type { Capability } from '../capabilities/capabilities.js';
import { profileCapability } from '../capabilities/modbus-capabilities.js';
import { DeviceError } from '../device-error.js';
import { classify, type ModbusBus, type ModbusSession, type ProbeTarget } from './modbus-bus.js';
import { compileBlocksDecoder, type BlockData, type BlocksDecoder } from './blocks-decoder.js';
import { groupCounts, placePoints, profileDeadbands } from './profile-layout.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandTarget, type CommandTarget } from '../../config/command-target.js';
import { encodeCommandPulse, type CommandWrite, type EncodedCommand } from './command-encoder.js';
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
  readonly capability: Capability | undefined;
  private layout: ReadLayout;
  private readonly targets = new Map<string, CommandTarget | undefined>();
  private readonly commandTails = new Map<string, Promise<void>>();

  constructor(private readonly options: ModbusProfileDriverOptions) {
    this.kind = options.profile.kind;
    this.model = options.profile.model;
    this.capability = profileCapability(options.profile, this);
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
    }, { retryable: true, probe: this.probeTarget() });
  }

  /** The first register or bit of the plan's first block: the smallest read the unit surely answers. */
  private probeTarget(): ProbeTarget | undefined {
    const first = this.layout.plan[0];
    return first && { table: first.table, address: first.start };
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

  /**
   * Executes a profile command (`openSlotDoor`, `setCharging`, ...) with the bus's queue: `value`
   * is the caller's (true/false or a number), `index` the 0-based instance (slot 1 is index 0).
   * Everything it will write is encoded first, so a value that does not fit rejects with
   * ENCODING and nothing reaches the wire.
   *
   * A pulse up to HELD_PULSE_MS is one bus transaction: write, wait, release, with nothing of
   * any device between, so the release comes when the vendor specifies and no other write can
   * land on the register mid-pulse. Holding a shared RS-485 line longer would leave its
   * neighbours (a smoke detector among them) unread for as long; a longer pulse therefore
   * releases the bus between its two writes (the queue may delay its release by a transaction
   * per neighbour, small against such a pulse), and only commands on the same address wait.
   */
  command(name: string, value?: boolean | number, index?: number): Promise<void> {
    const { profile, bus, unitId, timeoutMs } = this.options;
    let encoded: EncodedCommand;
    try {
      const target = this.target(name);
      if (!target) return Promise.reject(new DeviceError('PROTOCOL', `profile ${profile.id} has no command "${name}"`));
      encoded = encodeCommandPulse(target, profile, { value, index });
    } catch (err) {
      // A profile built in code, past the schema, may carry an expression that does not parse.
      return Promise.reject(err instanceof DeviceError ? err : new DeviceError('ENCODING', `command "${name}": ${String(err)}; nothing was written`, { command: name }, { cause: err }));
    }
    const { write, release } = encoded;
    return this.inTurnOn(`${write.table}:${write.address}`, async () => {
      if (!release) return bus.transact(unitId, timeoutMs, (session) => put(session, write));
      if (release.afterMs <= HELD_PULSE_MS) {
        return bus.transact(unitId, timeoutMs, async (session) => {
          await put(session, write);
          await sleep(release.afterMs);
          await putRelease(session, release.write, name);
        });
      }
      await bus.transact(unitId, timeoutMs, (session) => put(session, write));
      await sleep(release.afterMs);
      // Writing the release again is harmless, and an output left on is not: it may be retried.
      await bus.transact(unitId, timeoutMs, (session) => putRelease(session, release.write, name), { retryable: true });
    });
  }

  private target(name: string): CommandTarget | undefined {
    if (!this.targets.has(name)) this.targets.set(name, commandTarget(this.options.profile, name));
    return this.targets.get(name);
  }

  /** Runs `work` after the commands before it on the same address (a long pulse must end first). */
  private inTurnOn(key: string, work: () => Promise<void>): Promise<void> {
    const result = (this.commandTails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    this.commandTails.set(key, tail);
    void tail.then(() => {
      if (this.commandTails.get(key) === tail) this.commandTails.delete(key);
    });
    return result;
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

/** The longest pulse held as one bus transaction (see `command`). */
export const HELD_PULSE_MS = 1000;

async function put(session: ModbusSession, write: CommandWrite): Promise<void> {
  if (write.table === 'coil') await session.writeCoil(write.address, write.bit);
  else if (write.words.length === 1) await session.writeRegister(write.address, write.words[0] ?? 0);
  else await session.writeRegisters(write.address, write.words);
}

async function putRelease(session: ModbusSession, write: CommandWrite, name: string): Promise<void> {
  try {
    await put(session, write);
  } catch (err) {
    const e = classify(err);
    // Said plainly: the output the pulse switched on may still be on.
    throw new DeviceError(e.code, `command "${name}": the pulse was written but its release was not (${e.message})`, { ...e.detail, releaseNotWritten: true }, { cause: err });
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
