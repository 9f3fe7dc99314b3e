import type { IPublishPacket } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { CommandRouter } from '../../../cloud-bridge/command-router.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { rollingCode, stepAt } from '../../../simulators/cloud/pass-issuer.js';
import { useTempStores } from '../store/temp-store.js';
import { NOW, STATION, passWorld, workerPass, type PassWorld } from './pass/pass-fixture.js';
import { cloud, deniedEvents, grantedEvents, passHarness, type PassHarness } from './pass-access-harness.js';

/*
 * cmd/unlock's optional `reason` (an operator's remote unlock from the console): through the real
 * command router (its schema refuses a bad one) into the access decision on a real store, where
 * the grant or refusal of that request carries it.
 */

let world: PassWorld;
const stores = useTempStores();
beforeAll(async () => {
  world = await passWorld();
});

const S = `stations/${STATION}`;
const packet = { retain: false } as IPublishPacket;

function station(): { h: PassHarness; send(body: Record<string, unknown>): Promise<{ ok: boolean; error?: { code: string } }> } {
  const h = passHarness(world, stores);
  const router = new CommandRouter({
    commandPrefix: `${S}/cmd/`,
    stationRoot: S,
    protocolVersion: 4,
    snapshot: () => { throw new Error('not asked'); },
    handler: { handle: (_name, request) => h.service.handle(cloud('unlock'), request.token, request as Record<string, unknown>) },
    log: silentLogger(),
    now: () => NOW,
  });
  const replies: string[] = [];
  const client = { publish: (_t: string, payload: string, _o: unknown, cb: (err?: Error) => void) => (replies.push(payload), cb()) };
  return {
    h,
    async send(body) {
      await router.handle(client, `${S}/cmd/unlock`, Buffer.from(JSON.stringify({ ...body, replyTo: 'ops/replies/c1' })), packet);
      return JSON.parse(replies.at(-1)!) as { ok: boolean; error?: { code: string } };
    },
  };
}

const operatorPass = (): Uint8Array => workerPass(world, { sub: 'ops-1', role: 'operator', grants: [{ act: 'unlock' }] });
const code = (pass: Uint8Array, step = stepAt(NOW)): string => rollingCode(pass, world.phone, { act: 'unlock', res: 'main-door', station: STATION, step });

describe('cmd/unlock reason', () => {
  it('is recorded as `reason` in the access.granted of that request, never the code; a grant without one has none', async () => {
    const { h, send } = station();
    const pass = operatorPass();
    const reason = '工人手机没电，热线来电 #4411';
    const text = code(pass);
    expect(await send({ token: text, reason })).toMatchObject({ ok: true });
    expect(await send({ token: code(pass, stepAt(NOW) + 1) })).toMatchObject({ ok: true });
    const [first, second] = grantedEvents(h);
    expect(first).toMatchObject({ res: 'main-door', act: 'unlock', sub: 'ops-1', role: 'operator', reason });
    expect(second).not.toHaveProperty('reason');
    expect(JSON.stringify(h.store.outbox.pending(100))).not.toContain(text.slice(4, 60));
  });

  it('refuses a reason over 200 characters, empty or not a string BAD_REQUEST, before the code is read or spent', async () => {
    const { h, send } = station();
    const text = code(operatorPass());
    for (const reason of ['x'.repeat(201), '', 42, ['a'], { why: 'a' }]) {
      expect(await send({ token: text, reason })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(h.store.outbox.pending(100)).toEqual([]);
    expect(h.done).toEqual([]);
    // 200 is the limit, and the code was not spent by the refusals.
    expect(await send({ token: text, reason: '门'.repeat(200) })).toMatchObject({ ok: true });
    expect(grantedEvents(h)[0]!['reason']).toBe('门'.repeat(200));
  });

  it('is recorded beside a refusal as `requestReason` (the refusal keeps `reason`)', async () => {
    const { h, send } = station();
    h.online.delete('lock-1');
    expect(await send({ token: code(operatorPass()), reason: 'rider stuck outside' })).toMatchObject({ ok: false, error: { code: 'DEVICE_OFFLINE' } });
    expect(deniedEvents(h)).toEqual([expect.objectContaining({ code: 'DEVICE_OFFLINE', reason: 'lock-1 does not answer', requestReason: 'rider stuck outside', sub: 'ops-1' })]);
  });
});
