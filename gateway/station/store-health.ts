import type { Logger } from 'pino';
import type { StationStore } from '../store/station-store.js';
import type { StationAlarms } from './station-alarms.js';

/**
 * The alarms about the store itself: a database found damaged and moved aside, or lost (gone,
 * emptied or replaced where the anchor remembers an earlier one), and a disk that takes no more
 * writes. A crew reads these first, since every other record depends on them.
 */
export class StoreHealth {
  constructor(
    private readonly store: StationStore,
    private readonly alarms: StationAlarms,
    private readonly log: Logger,
  ) {}

  /** What the store found when it opened; raised once per boot, cleared by a crew's reset. */
  reportOpening(): void {
    const moved = this.store.movedAside;
    if (moved) this.alarms.raise({ alarm: 'store.corrupt', severity: 'major', detail: { movedTo: moved.movedTo, reason: moved.reason } });
    // As serious as a damaged one: the record of tokens used and latched safety is gone.
    const lost = this.store.lost;
    if (lost) this.alarms.raise({ alarm: 'store.lost', severity: 'major', detail: { reason: lost.reason, life: lost.life, resetAt: this.store.resetAt?.toISOString() ?? null } });
  }

  /** The event recorder's word on the disk: full, or taking writes again. */
  diskFull(full: boolean): void {
    // Volatile: an alarm about the disk cannot wait for the disk.
    if (full) return this.alarms.raiseVolatile({ alarm: 'store.disk-full', severity: 'critical' });
    this.alarms.clearVolatile('store.disk-full');
    // Room again: the boot counter and time floor held meanwhile go to disk now, not at the next upkeep.
    try {
      this.store.flushHeld();
    } catch (err) {
      this.log.error({ err }, 'held values could not be written');
    }
  }
}
