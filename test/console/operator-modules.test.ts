import { describe, expect, it } from 'vitest';
import { COMMAND_ERROR_CODES, MAX_BIRTH_RESOURCES } from '../../cloud-bridge/contract-schemas.js';
import { REPLY_TEXT } from '../../console/src/i18n/reply-text.js';
import { CodeSigner, type SigningIdentity } from '../../console/src/operator/code-signer.js';
import { CommandChannel, type CommandLink } from '../../console/src/operator/command-channel.js';
import { LOCAL_FAILURES } from '../../console/src/operator/local-failure.js';
import { doorResources, stationResources } from '../../console/src/operator/station-resources.js';
import { parseRollingCode } from '../../gateway/access/pass/rolling-code.js';

/*
 * The console's operator modules without a browser: the code signer's one-spending-code-per-step
 * queue on a fake clock (Node's WebCrypto signs, as the browser's does), the command channel's
 * correlation and timeout over a fake link, and the reply words for every code of the catalogue.
 */

const STATION = 'demo-hz-0001';

async function identity(): Promise<SigningIdentity> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as { privateKey: Parameters<typeof crypto.subtle.sign>[1] };
  // The signer does not read the pass, only carries it: any bytes of a pass's size will do here.
  const current = { bytes: new Uint8Array(120).fill(7) };
  return { pass: () => current, signer: () => async (m) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, m as Uint8Array<ArrayBuffer>)) };
}

describe('the operator code signer', () => {
  it('signs one spending code per step per station, queues the next for the next step, and never queues diagnose', async () => {
    let now = 1_800_000_001_000;
    const slept: number[] = [];
    const signer = new CodeSigner(await identity(), () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    const waits: number[] = [];
    const first = parseRollingCode(await signer.sign('unlock', 'main-door', STATION));
    const [second, diagnose, other] = await Promise.all([
      signer.sign('operate', STATION, STATION, { onWaiting: (at) => waits.push(at) }),
      signer.sign('diagnose', STATION, STATION),
      signer.sign('unlock', 'main-door', 'demo-hz-0002'),
    ]);
    const s = parseRollingCode(second);
    expect(first).toMatchObject({ station: STATION, act: 'unlock', res: 'main-door', step: 360_000_000 });
    expect(s).toMatchObject({ station: STATION, act: 'operate', res: STATION, step: 360_000_001 });
    expect(waits).toEqual([360_000_001 * 5000]);
    expect(slept.length).toBe(1);
    // Not spent at the station: signed at once, in the step already used.
    expect(parseRollingCode(diagnose)).toMatchObject({ act: 'diagnose', step: 360_000_000 });
    // Another station keeps its own replay record: no wait there.
    expect(parseRollingCode(other).station).toBe('demo-hz-0002');
  });

  it('says NO_PASS when there is no pass to sign under', async () => {
    const signer = new CodeSigner({ pass: () => undefined, signer: () => async () => new Uint8Array(64) });
    await expect(signer.sign('unlock', 'main-door', STATION)).rejects.toMatchObject({ code: 'NO_PASS' });
  });
});

describe('the operator command channel', () => {
  function fakeLink(answer: (topic: string, body: Record<string, unknown>) => unknown): CommandLink & { subscribed: string[] } {
    const handlers = new Map<string, (p: Uint8Array, t: string) => void>();
    const subscribed: string[] = [];
    return {
      subscribed,
      clientId: () => 'console-abc',
      subscribe: async (topic, on) => {
        subscribed.push(topic);
        handlers.set(topic, on);
        return () => handlers.delete(topic);
      },
      publish: async (topic, payload) => {
        const body = JSON.parse(payload) as Record<string, unknown>;
        const reply = answer(topic, body);
        if (reply !== undefined) setTimeout(() => handlers.get(String(body['replyTo']))?.(new TextEncoder().encode(JSON.stringify(reply)), String(body['replyTo'])), 5);
      },
    };
  }

  it('names its reply topic and correlation id, matches the reply, and subscribes once per station', async () => {
    const seen: string[] = [];
    const link = fakeLink((topic, body) => {
      seen.push(topic);
      expect(body['replyTo']).toBe(`stations/${STATION}/replies/console-abc`);
      return { ok: true, result: { res: body['token'] }, correlationId: body['correlationId'] };
    });
    const channel = new CommandChannel(link, () => 'stations');
    const [a, b] = await Promise.all([channel.request(STATION, 'unlock', { token: 'A' }), channel.request(STATION, 'unlock', { token: 'B' })]);
    expect(a).toEqual({ ok: true, result: { res: 'A' } });
    expect(b).toEqual({ ok: true, result: { res: 'B' } });
    expect(seen).toEqual([`stations/${STATION}/cmd/unlock`, `stations/${STATION}/cmd/unlock`]);
    expect(link.subscribed).toEqual([`stations/${STATION}/replies/console-abc`]);
  });

  it('passes a refusal on with its code, and a silence becomes a local TIMEOUT', async () => {
    const refusing = new CommandChannel(fakeLink((_t, body) => ({ ok: false, error: { code: 'FORBIDDEN', message: 'main-door is out of service' }, correlationId: body['correlationId'] })), () => 'stations');
    expect(await refusing.request(STATION, 'unlock', {})).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'main-door is out of service' } });
    const silent = new CommandChannel(fakeLink(() => undefined), () => 'stations');
    expect(await silent.request(STATION, 'snapshot', {}, { timeoutMs: 50 })).toMatchObject({ ok: false, local: true, error: { code: 'TIMEOUT' } });
    const down = new CommandChannel({ ...fakeLink(() => undefined), clientId: () => undefined }, () => 'stations');
    expect(await down.request(STATION, 'snapshot', {})).toMatchObject({ ok: false, error: { code: 'NOT_CONNECTED' } });
  });
});

describe('reply words', () => {
  it('say what happened and what to do for every reply code and local failure, in both languages', () => {
    for (const table of Object.values(REPLY_TEXT)) {
      for (const code of [...COMMAND_ERROR_CODES, ...LOCAL_FAILURES]) {
        const w = (table.codes as Record<string, { what: string; todo: string }>)[code];
        expect(w?.what, code).toBeTruthy();
        expect(w?.todo, code).toBeTruthy();
      }
    }
  });
});

describe('the station\'s resources from its birth', () => {
  it('keeps what names a door, skips what does not read, and is undefined for an older gateway', () => {
    const listed = stationResources([
      { name: 'main-door', device: 'lock-1', door: 1, actions: ['unlock'] },
      { name: 'first-aid', device: 'lock-1', door: 2, actions: ['unlock'], outOfService: true },
      { name: 'cabinet-1', device: 'cabinet-1', actions: ['swap', 'operate'] },
      { device: 'lock-1', door: 3, actions: ['unlock'] },
      'junk',
    ]);
    expect(listed?.map((r) => r.name)).toEqual(['main-door', 'first-aid', 'cabinet-1']);
    expect(doorResources(listed ?? [], 'lock-1', '1').map((r) => r.name)).toEqual(['main-door']);
    expect(doorResources(listed ?? [], 'lock-1', '2')).toEqual([{ name: 'first-aid', device: 'lock-1', door: 2, actions: ['unlock'], outOfService: true }]);
    expect(doorResources(listed ?? [], 'lock-1', '3')).toEqual([]);
    expect(stationResources(undefined)).toBeUndefined();
    expect(stationResources(Array.from({ length: MAX_BIRTH_RESOURCES + 5 }, (_, i) => ({ name: `d-${i}`, device: 'lock-1', door: 1, actions: ['unlock'] })))).toHaveLength(MAX_BIRTH_RESOURCES);
  });
});
