import { describe, expect, it } from 'vitest';
import { Listeners } from '../../device-drivers/listeners.js';

describe('Listeners', () => {
  it('a listener that throws does not stop the others, and its error is reported with the event', () => {
    const errors: Array<{ err: unknown; event: string }> = [];
    const listeners = new Listeners<string>((err, event) => errors.push({ err, event }));
    const heard: string[] = [];
    listeners.add((e) => heard.push(`first ${e}`));
    listeners.add(() => {
      throw new Error('consumer bug');
    });
    listeners.add((e) => heard.push(`third ${e}`));

    listeners.emit('scan');

    expect(heard).toEqual(['first scan', 'third scan']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.event).toBe('scan');
    expect((errors[0]?.err as Error).message).toBe('consumer bug');
  });

  it('the function add returns removes that listener only', () => {
    const listeners = new Listeners<number>(() => undefined);
    const a: number[] = [];
    const b: number[] = [];
    const offA = listeners.add((n) => a.push(n));
    listeners.add((n) => b.push(n));

    listeners.emit(1);
    offA();
    listeners.emit(2);
    offA();
    listeners.emit(3);

    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2, 3]);
  });

  it('a listener may remove itself while the event is being delivered', () => {
    const listeners = new Listeners<string>(() => undefined);
    const heard: string[] = [];
    const off = listeners.add((e) => {
      heard.push(`once ${e}`);
      off();
    });
    listeners.add((e) => heard.push(`always ${e}`));

    listeners.emit('a');
    listeners.emit('b');

    expect(heard).toEqual(['once a', 'always a', 'always b']);
  });
});
