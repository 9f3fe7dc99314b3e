import { describe, expect, it } from 'vitest';
import { applyFaultWords, describeFaults, NO_FAULTS, parseDurationMs } from '../../../simulators/faults/transport-faults.js';

describe('fault words', () => {
  it('turns flags on and off, with aliases', () => {
    const f = { ...NO_FAULTS };
    expect(applyFaultWords(f, ['silent'], { modbus: true })).toBe('silent on');
    applyFaultWords(f, ['crc', 'on'], { modbus: true });
    applyFaultWords(f, ['partial', 'on'], { modbus: true });
    applyFaultWords(f, ['noise', 'on'], { modbus: true });
    expect(f).toMatchObject({ silent: true, corrupt: true, partial: true, garbage: true });
    applyFaultWords(f, ['silent', 'off'], { modbus: true });
    expect(f.silent).toBe(false);
    expect(applyFaultWords(f, ['clear'], { modbus: true })).toBe('faults cleared');
    expect(f).toEqual(NO_FAULTS);
  });

  it('takes a delay as a duration and an exception by code or name', () => {
    const f = { ...NO_FAULTS };
    applyFaultWords(f, ['delay', '1.5s'], { modbus: true });
    expect(f.delayMs).toBe(1500);
    applyFaultWords(f, ['delay', '300'], { modbus: true });
    expect(f.delayMs).toBe(300);
    applyFaultWords(f, ['exception', 'busy'], { modbus: true });
    expect(f.exception).toBe(6);
    applyFaultWords(f, ['exception', '2'], { modbus: true });
    expect(describeFaults(f)).toEqual(['delay 300ms', 'exception 2']);
    applyFaultWords(f, ['exception', 'off'], { modbus: true });
    expect(f.exception).toBe(0);
  });

  it('refuses what does not apply or does not parse', () => {
    const f = { ...NO_FAULTS };
    expect(() => applyFaultWords(f, ['exception', '4'], { modbus: false })).toThrow(/only Modbus/);
    expect(() => applyFaultWords(f, ['melt'], { modbus: true })).toThrow(/unknown fault/);
    expect(() => applyFaultWords(f, ['silent', 'maybe'], { modbus: true })).toThrow(/on or off/);
    expect(() => applyFaultWords(f, ['delay', 'soon'], { modbus: true })).toThrow(/duration/);
    expect(() => applyFaultWords(f, ['exception', '999'], { modbus: true })).toThrow(/exception code/);
  });

  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('5', 's')).toBe(5000);
  });
});
