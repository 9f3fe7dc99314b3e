import { describe, expect, it } from 'vitest';
import { characterTimeMs, checkLineTiming, frameSilenceMs, transmissionMs } from '../../../simulators/bus/line-timing.js';

describe('serial line timing (Modbus over Serial Line §2.5.1.1)', () => {
  it('an 11-bit RTU character at 9600 baud takes 1.146 ms, t3.5 is 4.01 ms', () => {
    const t = { baudRate: 9600, bitsPerChar: 11 };
    expect(characterTimeMs(t)).toBeCloseTo(1.1458, 4);
    expect(frameSilenceMs(t)).toBeCloseTo(4.0104, 4);
    // An 8-register read answer: 1 + 1 + 1 + 16 + 2 bytes.
    expect(transmissionMs(21, t)).toBeCloseTo(24.06, 2);
  });

  it('an 8N1 character is 10 bits', () => {
    expect(characterTimeMs({ baudRate: 9600, bitsPerChar: 10 })).toBeCloseTo(1.0417, 4);
  });

  it('fixes t3.5 at 1.75 ms above 19200 baud', () => {
    expect(frameSilenceMs({ baudRate: 19200, bitsPerChar: 11 })).toBeCloseTo(2.005, 3);
    expect(frameSilenceMs({ baudRate: 38400, bitsPerChar: 11 })).toBe(1.75);
    expect(frameSilenceMs({ baudRate: 115200, bitsPerChar: 11 })).toBe(1.75);
  });

  it('refuses impossible settings', () => {
    expect(() => checkLineTiming({ baudRate: 0, bitsPerChar: 11, responseDelayMs: 0 })).toThrow(/baud/);
    expect(() => checkLineTiming({ baudRate: 9600, bitsPerChar: 20, responseDelayMs: 0 })).toThrow(/bits/);
    expect(() => checkLineTiming({ baudRate: 9600, bitsPerChar: 11, responseDelayMs: -1 })).toThrow(/delay/);
  });
});
