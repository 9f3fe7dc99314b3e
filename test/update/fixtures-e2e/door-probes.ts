import { issueToken } from '../../../simulators/cloud/token-issuer.js';
import type { Recorded } from '../../helpers/mqtt-recorder.js';
import { simCommand, type UpdateBench } from './update-bench.js';

/**
 * Workers at the door all through an update, on both paths a door opens by: a signed unlock
 * command from the cloud on S/cmd/unlock, and a token shown to the station's own scanner. One of
 * each every `everyMs`; what the station answered and when, to measure how long each path was
 * unavailable.
 */
export class DoorProbes {
  /** When an OK reply to a cloud unlock arrived (test clock). */
  readonly cloudOk: number[] = [];
  readonly cloudRefused: unknown[] = [];
  private sent = 0;
  private scanned = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly onMessage = (topic: string, payload: Buffer): void => {
    if (!topic.startsWith(`cloud/replies/${this.tag}-`)) return;
    const body = JSON.parse(payload.toString('utf8')) as { ok?: boolean };
    if (body.ok === true) this.cloudOk.push(Date.now());
    else this.cloudRefused.push(body);
  };

  constructor(
    private readonly bench: UpdateBench,
    private readonly station: string,
    private readonly tag = 'probe',
    private readonly everyMs = 200,
  ) {}

  get counts(): { cloudSent: number; scansSent: number } {
    return { cloudSent: this.sent, scansSent: this.scanned };
  }

  start(): void {
    this.bench.cloud.on('message', this.onMessage);
    this.timer = setInterval(() => {
      this.track(this.unlock());
      this.track(this.scan());
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    // Replies to the last commands.
    await new Promise((r) => setTimeout(r, 1000));
    this.bench.cloud.off('message', this.onMessage);
  }

  /** When the station decided each scan it granted (the event's own time: delivery may come later). */
  scannerOk(from = 0): number[] {
    const topic = `stations/${this.station}/events`;
    return this.bench.recorder.messages
      .slice(from)
      .filter((m: Recorded) => m.topic === topic && m.body['type'] === 'access.granted')
      .filter((m) => {
        const data = m.body['data'] as Record<string, unknown> | undefined;
        return data?.['via'] === 'scanner-1' && String(data['sub']).startsWith(`${this.tag}-scan-`);
      })
      .map((m) => Date.parse(String(m.body['ts'])))
      .sort((a, b) => a - b);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async unlock(): Promise<void> {
    const n = ++this.sent;
    const token = await issueToken(this.bench.issuer, { station: this.station, res: 'main-door', act: 'unlock', sub: `${this.tag}-cloud-${n}` });
    await this.bench.cloud.publishAsync(`stations/${this.station}/cmd/unlock`, JSON.stringify({ token, replyTo: `cloud/replies/${this.tag}-${n}`, correlationId: `${this.tag}-${n}` }), { qos: 1 });
  }

  private async scan(): Promise<void> {
    const n = ++this.scanned;
    const token = await issueToken(this.bench.issuer, { station: this.station, res: 'main-door', act: 'unlock', sub: `${this.tag}-scan-${n}` });
    // While the gateway is down the scanner's bytes go nowhere, as at a real door.
    await simCommand(this.bench, `scanner-1 scan ${token}`);
  }
}

/** The longest time between two answers in a row: how long the path was unavailable. */
export function longestGap(times: readonly number[]): { ms: number; from: number; to: number } {
  let best = { ms: 0, from: 0, to: 0 };
  for (let i = 1; i < times.length; i++) {
    const ms = (times[i] as number) - (times[i - 1] as number);
    if (ms > best.ms) best = { ms, from: times[i - 1] as number, to: times[i] as number };
  }
  return best;
}
