import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PartRegistry } from '../../../gateway/lifecycle/part-registry.js';
import type { Part } from '../../../gateway/lifecycle/part.js';
import { Subscriptions } from '../../../gateway/lifecycle/subscriptions.js';

const log = pino({ level: 'silent' });

/** A part that writes what happens to it into a shared journal. */
function part(journal: string[], name: string, more: { needs?: string[]; after?: string[]; failStart?: boolean; failStop?: boolean; runs?: boolean } = {}): Part {
  return {
    name,
    ...(more.needs ? { needs: more.needs } : {}),
    ...(more.after ? { after: more.after } : {}),
    async start() {
      if (more.failStart) throw new Error(`${name} cannot start`);
      journal.push(`start ${name}`);
    },
    ...(more.runs
      ? {
          async run() {
            journal.push(`run ${name}`);
          },
          async halt() {
            journal.push(`halt ${name}`);
          },
        }
      : {}),
    async stop() {
      journal.push(`stop ${name}`);
      if (more.failStop) throw new Error(`${name} cannot stop`);
    },
  };
}

describe('PartRegistry', () => {
  it('starts a part after what it needs, whatever the order they were added in, and stops in reverse', async () => {
    const journal: string[] = [];
    const parts = new PartRegistry(log);
    parts.add(part(journal, 'bridge', { needs: ['store'] }));
    parts.add(part(journal, 'access', { needs: ['bridge', 'store'] }));
    parts.add(part(journal, 'store'));
    await parts.start();
    await parts.stop();
    expect(journal).toEqual(['start store', 'start bridge', 'start access', 'stop access', 'stop bridge', 'stop store']);
  });

  it('orders by `after` only when both parts are chosen, and pulls in only `needs`', () => {
    const parts = new PartRegistry(log);
    const journal: string[] = [];
    parts.add(part(journal, 'logic', { after: ['ops'] }));
    parts.add(part(journal, 'ops'));
    parts.add(part(journal, 'bridge', { needs: ['logic'] }));
    expect(parts.order().map((p) => p.name)).toEqual(['ops', 'logic', 'bridge']);
    expect(parts.order(['bridge']).map((p) => p.name)).toEqual(['logic', 'bridge']);
  });

  it('runs every part once all have started, and halts them before any stops', async () => {
    const journal: string[] = [];
    const parts = new PartRegistry(log);
    parts.add(part(journal, 'store'));
    parts.add(part(journal, 'devices', { runs: true }));
    parts.add(part(journal, 'bridge', { needs: ['store', 'devices'], runs: true }));
    await parts.start();
    await parts.stop();
    expect(journal).toEqual(['start store', 'start devices', 'start bridge', 'run devices', 'run bridge', 'halt bridge', 'halt devices', 'stop bridge', 'stop devices', 'stop store']);
  });

  it('starts a selection without running it (how doctor builds only the devices)', async () => {
    const journal: string[] = [];
    const parts = new PartRegistry(log);
    parts.add(part(journal, 'store'));
    parts.add(part(journal, 'devices', { runs: true }));
    parts.add(part(journal, 'bridge', { needs: ['store'] }));
    await parts.start({ only: ['devices'], run: false });
    await parts.stop();
    expect(journal).toEqual(['start devices', 'stop devices']);
  });

  it('refuses an unknown need, a circle and a name given twice, with PART_ORDER, before starting anything', async () => {
    const journal: string[] = [];
    const unknown = new PartRegistry(log);
    unknown.add(part(journal, 'bridge', { needs: ['stroe'] }));
    await expect(unknown.start()).rejects.toMatchObject({ code: 'PART_ORDER', message: 'bridge needs stroe, which no part is' });

    const circle = new PartRegistry(log);
    circle.add(part(journal, 'access', { needs: ['logic'] }));
    circle.add(part(journal, 'logic', { needs: ['bridge'] }));
    circle.add(part(journal, 'bridge', { needs: ['access'] }));
    await expect(circle.start()).rejects.toMatchObject({ code: 'PART_ORDER', message: 'parts need each other in a circle: access → logic → bridge → access' });
    expect(journal).toEqual([]);

    const twice = new PartRegistry(log);
    twice.add(part(journal, 'store'));
    expect(() => twice.add(part(journal, 'store'))).toThrow(expect.objectContaining({ code: 'PART_ORDER' }));
  });

  it('stops what had started when a part fails to start, and rethrows the failure', async () => {
    const journal: string[] = [];
    const parts = new PartRegistry(log);
    parts.add(part(journal, 'store'));
    parts.add(part(journal, 'devices', { runs: true }));
    parts.add(part(journal, 'access', { needs: ['store'], failStart: true }));
    await expect(parts.start()).rejects.toThrow('access cannot start');
    expect(journal).toEqual(['start store', 'start devices', 'stop devices', 'stop store']);
  });

  it('keeps stopping the rest when one part fails to stop, and a second stop waits for the first', async () => {
    const journal: string[] = [];
    const errors: unknown[] = [];
    const recording = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line)) });
    const parts = new PartRegistry(recording);
    parts.add(part(journal, 'store'));
    parts.add(part(journal, 'bridge', { needs: ['store'], failStop: true }));
    await parts.start();
    await Promise.all([parts.stop(), parts.stop()]);
    expect(journal).toEqual(['start store', 'start bridge', 'stop bridge', 'stop store']);
    expect(errors).toEqual([expect.objectContaining({ part: 'bridge', msg: 'a part failed to stop; stopping the rest' })]);
    await expect(parts.start()).rejects.toMatchObject({ code: 'PART_ORDER' });
  });
});

describe('Subscriptions', () => {
  it('removes every listener a part added, on emitters and on anything with an undo', () => {
    const monitor = new EventEmitter<{ state: [number]; online: [] }>();
    const heard: number[] = [];
    let undone = 0;
    const subscriptions = new Subscriptions();
    subscriptions.on(monitor, 'state', (n) => heard.push(n));
    subscriptions.on(monitor, 'online', () => heard.push(-1));
    subscriptions.add(() => undone++);
    monitor.emit('state', 1);
    monitor.emit('online');
    subscriptions.clear();
    monitor.emit('state', 2);
    expect(heard).toEqual([1, -1]);
    expect(monitor.listenerCount('state') + monitor.listenerCount('online')).toBe(0);
    expect(undone).toBe(1);
  });
});
