import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { issueToken, type IssuerKey, type TokenRequest } from '../../simulators/cloud/token-issuer.js';
import type { StationSimulator } from '../../simulators/station-simulator.js';

/**
 * Simulated workers at a station, for the chaos tests and the soak run: door unlocks by cloud
 * command and by the station's scanner (fresh tokens each time), battery swaps carried through in
 * the cabinet simulator, water drawn, people coming and going. Every step is bounded in time and
 * never throws for an outcome the gateway chose (a refusal, no reply while it is down): those are
 * counted. The cloud client reconnects by itself while the broker comes and goes.
 */
export interface WorkloadOptions {
  stationId: string;
  brokerUrl: string;
  key: IssuerKey;
  sim: StationSimulator;
  topicPrefix?: string;
  /** How long to wait for a swap door to open; the gateway may be down meanwhile. */
  doorWaitMs?: number;
}

export type WorkloadAction = 'cloud-unlock' | 'scan-unlock' | 'swap' | 'water' | 'occupancy';
export const WORKLOAD_ACTIONS: readonly WorkloadAction[] = ['cloud-unlock', 'scan-unlock', 'swap', 'water', 'occupancy'];

interface SlotState {
  /** The door number, from 1: what the simulator's `slot <n>` commands take. */
  slot: number;
  door: string;
  state: string;
  soc: number;
  packType: number;
}

export class StationWorkload {
  /** Replies by outcome: `ok` or the error code. */
  readonly replies = new Map<string, number>();
  readonly actions = new Map<WorkloadAction, number>();
  private client: MqttClient | undefined;
  private seq = 0;
  private inside = false;
  private readonly replyTopic: string;

  constructor(private readonly options: WorkloadOptions) {
    this.replyTopic = `chaos-cloud/replies/${options.stationId}`;
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.options.brokerUrl, { protocolVersion: 4, clientId: `workload-${this.options.stationId}-${process.pid}`, reconnectPeriod: 250, connectTimeout: 2000 });
    this.client = client;
    client.on('error', () => undefined);
    client.on('connect', () => client.subscribe(`${this.replyTopic}/#`, { qos: 1 }));
    client.on('message', (_topic, payload) => {
      try {
        const body = JSON.parse(payload.toString('utf8')) as { ok?: boolean; error?: { code?: string } };
        const key = body.ok ? 'ok' : (body.error?.code ?? 'unknown');
        this.replies.set(key, (this.replies.get(key) ?? 0) + 1);
      } catch {
        this.replies.set('unparsable', (this.replies.get('unparsable') ?? 0) + 1);
      }
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
  }

  /** Runs one worker action; `n` picks it in turn. Resolves once the action's steps are done. */
  async step(n: number): Promise<WorkloadAction> {
    const action = WORKLOAD_ACTIONS[n % WORKLOAD_ACTIONS.length] as WorkloadAction;
    this.actions.set(action, (this.actions.get(action) ?? 0) + 1);
    switch (action) {
      case 'cloud-unlock':
        this.command('unlock', await this.token({ res: 'main-door', act: 'unlock' }));
        await this.walkIn();
        break;
      case 'scan-unlock':
        await this.sim(`scanner-1 scan ${await this.token({ res: 'main-door', act: 'unlock' })}`);
        await this.walkIn();
        break;
      case 'swap':
        await this.swap();
        break;
      case 'water':
        this.command('dispense', await this.token({ res: 'water-1', act: 'dispense' }));
        await sleep(500);
        await this.sim('water-1 session 250');
        break;
      case 'occupancy':
        this.inside = !this.inside;
        await this.sim(`occupancy-1 person ${this.inside ? 'enter' : 'leave'}`);
        break;
    }
    return action;
  }

  private token(request: Pick<TokenRequest, 'res' | 'act'>): Promise<string> {
    return issueToken(this.options.key, { station: this.options.stationId, sub: `rider-${this.seq % 17}`, ...request });
  }

  /** A cloud command, QoS 1, not awaited: while the broker is down MQTT.js holds it until it is back. */
  private command(name: string, token: string): void {
    const id = `c-${++this.seq}`;
    const prefix = this.options.topicPrefix ?? 'stations';
    this.client?.publish(`${prefix}/${this.options.stationId}/cmd/${name}`, JSON.stringify({ token, replyTo: `${this.replyTopic}/${id}`, correlationId: id }), { qos: 1 }, () => undefined);
  }

  /** A simulator command; a refused one (no battery in that slot any more) is no failure of the run. */
  private async sim(line: string): Promise<void> {
    await this.options.sim.command(line).catch(() => undefined);
  }

  /** Through the door once its bolt is released (a refused or lost unlock: the worker walks away). */
  private async walkIn(): Promise<void> {
    const bolt = (): string | undefined => (this.options.sim.device('lock-1').state() as { doors?: Array<{ number: number; bolt: string }> }).doors?.find((d) => d.number === 1)?.bolt;
    if (!(await this.until(() => (bolt() === 'unlocked' ? true : undefined), 2000))) return;
    await this.sim('lock-1 door 1 open');
    await sleep(400);
    await this.sim('lock-1 door 1 close');
  }

  private slots(): SlotState[] {
    return (this.options.sim.device('cabinet-1').state() as { slots?: SlotState[] }).slots ?? [];
  }

  /** A rider's swap: ask, put the flat battery in the door that opens, take the charged one. */
  private async swap(): Promise<void> {
    const wait = this.options.doorWaitMs ?? 5000;
    await this.restock();
    const before = new Set(this.slots().filter((s) => s.door === 'open').map((s) => s.slot));
    this.command('swap', await this.token({ res: 'cabinet-1', act: 'swap' }));
    const opened = (empty: boolean): SlotState | undefined =>
      this.slots().find((s) => s.door === 'open' && !before.has(s.slot) && (s.state === 'empty') === empty);
    const empty = await this.until(() => opened(true), wait);
    if (!empty) return;
    await this.sim(`cabinet-1 slot ${empty.slot} insert 20 48`);
    await this.sim(`cabinet-1 slot ${empty.slot} door close`);
    before.add(empty.slot);
    const full = await this.until(() => opened(false), wait);
    if (!full) return;
    await this.sim(`cabinet-1 slot ${full.slot} remove`);
    await this.sim(`cabinet-1 slot ${full.slot} door close`);
  }

  /**
   * A crew keeps the cabinet in use: a charged 48 V battery in when none is ready, and the
   * flattest battery out when no slot is empty (riders' flat batteries charge slowly).
   */
  private async restock(): Promise<void> {
    const closed = this.slots().filter((s) => s.door === 'closed');
    if (!closed.some((s) => s.state === 'ready' && s.packType === 48)) {
      const empty = closed.find((s) => s.state === 'empty');
      if (empty) await this.sim(`cabinet-1 slot ${empty.slot} insert 100 48`);
    }
    if (!closed.some((s) => s.state === 'empty')) {
      const flattest = closed.filter((s) => s.state === 'charging').sort((a, b) => a.soc - b.soc)[0];
      if (flattest) await this.sim(`cabinet-1 slot ${flattest.slot} remove`);
    }
  }

  private async until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = check();
      if (v !== undefined) return v;
      await sleep(100);
    }
    return undefined;
  }
}
