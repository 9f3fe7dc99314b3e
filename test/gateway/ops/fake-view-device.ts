import type { DeviceState } from '../../../device-drivers/device-state.js';
import type { ViewDevice } from '../../../gateway/ops/station-view.js';

/** A device whose poll bookkeeping a test sets by hand. */
export class FakeViewDevice implements ViewDevice {
  readonly kind = 'battery-cabinet' as const;
  readonly model = 'fake';
  polls = 0;
  lastSettledAt: number | null = null;

  constructor(
    readonly id: string,
    public pollMs = 1000,
  ) {}

  state(): DeviceState {
    return { online: true, points: {}, health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } };
  }
  pollStats(): { polls: number; lastSettledAt: number | null; pollMs: number } {
    return { polls: this.polls, lastSettledAt: this.lastSettledAt, pollMs: this.pollMs };
  }
  setPollMs(pollMs: number): void {
    this.pollMs = pollMs;
  }
  settle(at: number): void {
    this.polls++;
    this.lastSettledAt = at;
  }
}
