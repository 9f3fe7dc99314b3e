import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CommandHandler } from '../../cloud-bridge/command-handler.js';
import { CommandRouter, MAX_COMMAND_PAYLOAD_BYTES, SNAPSHOTS_PER_MINUTE } from '../../cloud-bridge/command-router.js';
import type { SnapshotResult } from '../../cloud-bridge/contract-schemas.js';

/*
 * Issue 15, limits on what comes in on S/cmd/*: a size cap per command, a budget for snapshots,
 * retained commands never run, reply topics that are no place to answer refuse the command, and a
 * flood of junk is a line a minute in the journal, not two per message.
 */

const S = 'stations/lim-1';
const SNAPSHOT: SnapshotResult = {
  station: 'lim-1',
  ts: '2026-06-01T12:00:00.000Z',
  version: '0.1.0',
  bootId: '01J00000000000000000000000',
  devices: {},
  alarms: null,
  availability: null,
  outbox: { pending: 0 },
};

function harness(): {
  router: CommandRouter;
  send(name: string, body: unknown, packet?: Partial<IPublishPacket>): Promise<void>;
  replies: Array<{ topic: string; body: { ok: boolean; error?: { code: string; message: string } } }>;
  handled: string[];
  warnings: Array<{ msg: string; obj: Record<string, unknown> }>;
  advance(ms: number): void;
} {
  let t = 0;
  const replies: Array<{ topic: string; body: { ok: boolean; error?: { code: string; message: string } } }> = [];
  const handled: string[] = [];
  const warnings: Array<{ msg: string; obj: Record<string, unknown> }> = [];
  const noop = (): void => undefined;
  const log = { info: noop, debug: noop, error: noop, warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }) } as unknown as Logger;
  const handler: CommandHandler = {
    handle: async (name) => {
      handled.push(name);
      return { done: name };
    },
  };
  const router = new CommandRouter({ commandPrefix: `${S}/cmd/`, stationRoot: S, protocolVersion: 5, snapshot: () => SNAPSHOT, handler, log, monotonic: () => t });
  const client = {
    publish(topic: string, payload: string, _o: unknown, cb: (err?: Error) => void) {
      replies.push({ topic, body: JSON.parse(payload) as never });
      cb();
    },
  };
  return {
    router,
    replies,
    handled,
    warnings,
    advance: (ms) => (t += ms),
    send: async (name, body, packet = {}) => {
      const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const p = { cmd: 'publish', qos: 1, dup: false, retain: false, topic: `${S}/cmd/${name}`, payload, ...packet } as IPublishPacket;
      await router.handle(client, `${S}/cmd/${name}`, payload, p);
    },
  };
}

describe('CommandRouter limits', () => {
  it('refuses a payload over the cap with BAD_REQUEST, unread, where it can still reply', async () => {
    const h = harness();
    const big = Buffer.from(JSON.stringify({ token: 'x'.repeat(MAX_COMMAND_PAYLOAD_BYTES) }));
    await h.send('unlock', big, { properties: { responseTopic: `${S}/replies/ops` } });
    expect(h.handled).toEqual([]);
    expect(h.replies).toEqual([{ topic: `${S}/replies/ops`, body: { ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining(`at most ${MAX_COMMAND_PAYLOAD_BYTES}`) as unknown } } }]);
    expect(h.router.counts().refused.oversize).toBe(1);
  });

  it('never carries out a retained command, says so once, and counts each', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) await h.send('unlock', { token: 'a.b.c', replyTo: `${S}/replies/ops` }, { retain: true });
    expect(h.handled).toEqual([]);
    expect(h.replies).toEqual([]);
    expect(h.router.counts().refused.retained).toBe(5);
    expect(h.warnings.filter((w) => /retained/.test(w.msg))).toHaveLength(1);
  });

  it.each([`${S}/events`, `${S}/status`, `${S}/alarms`, `${S}/devices/lock-1`, S, `${S}/replies/`, '#', `${S}/replies/#`, `${S}/replies/+/x`, ''])(
    'refuses the reply topic %j: not carried out, not answered, counted',
    async (replyTo) => {
      for (const props of [{ body: { token: 'a.b.c', replyTo }, packet: {} }, { body: { token: 'a.b.c' }, packet: { properties: { responseTopic: replyTo } } }]) {
        const h = harness();
        await h.send('unlock', props.body, props.packet);
        expect(h.handled).toEqual([]);
        expect(h.replies).toEqual([]);
        expect(h.router.counts().refused['reply-topic']).toBe(1);
        expect(h.warnings).toHaveLength(1);
      }
    },
  );

  it('still answers on S/replies/<anything> and on topics outside the station (the broker ACL decides those)', async () => {
    const h = harness();
    await h.send('unlock', { token: 'a.b.c', replyTo: `${S}/replies/app-7/x` });
    await h.send('unlock', { token: 'a.b.c', replyTo: 'backend/replies/1' });
    expect(h.handled).toEqual(['unlock', 'unlock']);
    expect(h.replies.map((r) => r.topic)).toEqual([`${S}/replies/app-7/x`, 'backend/replies/1']);
  });

  it(`answers ${SNAPSHOTS_PER_MINUTE} snapshots a minute, then BUSY until the budget refills`, async () => {
    const h = harness();
    for (let i = 0; i < SNAPSHOTS_PER_MINUTE + 5; i++) await h.send('snapshot', { replyTo: `${S}/replies/ops` });
    const codes = h.replies.map((r) => (r.body.ok ? 'ok' : r.body.error?.code));
    expect(codes).toEqual([...Array<string>(SNAPSHOTS_PER_MINUTE).fill('ok'), ...Array<string>(5).fill('BUSY')]);
    expect(h.router.counts().refused['snapshot-rate']).toBe(5);
    h.advance(6_000);
    await h.send('snapshot', { replyTo: `${S}/replies/ops` });
    expect(h.replies.at(-1)?.body.ok).toBe(true);
  });

  it('logs a flood of junk once a minute with the count, not per message', async () => {
    const h = harness();
    for (let i = 0; i < 500; i++) await h.send('unlock', Buffer.from('not json'), { properties: { responseTopic: `${S}/replies/x` } });
    for (let i = 0; i < 500; i++) await h.send('unlock', { token: 'a', replyTo: '#' });
    expect(h.replies).toHaveLength(500);
    expect(h.warnings).toHaveLength(2);
    h.advance(60_000);
    await h.send('unlock', Buffer.from('not json'), { properties: { responseTopic: `${S}/replies/x` } });
    expect(h.warnings).toHaveLength(3);
    expect(h.warnings.at(-1)?.obj).toMatchObject({ code: 'BAD_REQUEST', attempts: 500 });
  });
});
