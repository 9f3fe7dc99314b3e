import { describe, expect, it } from 'vitest';
import { integerOption, parseCommandLine, UsageError } from '../../config/usage-error.js';

describe('integerOption', () => {
  it('reads a whole number in range and leaves an absent option undefined', () => {
    expect(integerOption('7', 'unit', 1, 247)).toBe(7);
    expect(integerOption('247', 'unit', 1, 247)).toBe(247);
    expect(integerOption(undefined, 'unit', 1, 247)).toBeUndefined();
  });

  it.each([
    ['0', 'unit', 1, 247, '--unit must be an integer 1..247, not "0"'],
    ['1.5', 'unit', 1, 247, '--unit must be an integer 1..247, not "1.5"'],
    ['ten', 'unit', 1, 247, '--unit must be an integer 1..247, not "ten"'],
    ['', 'seed', 0, 10, '--seed must be an integer 0..10, not ""'],
    ['0', 'limit', 1, undefined, '--limit must be an integer 1 or more, not "0"'],
  ])('refuses %j for --%s as a UsageError that names the range', (text, name, min, max, message) => {
    const attempt = (): unknown => integerOption(text, name, min, max);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});

describe('parseCommandLine', () => {
  const options = { port: { type: 'string' }, help: { type: 'boolean' } } as const;

  it('parses as node:util parseArgs does', () => {
    expect(parseCommandLine({ args: ['--port', '80'], options }).values).toEqual({ port: '80' });
  });

  it('turns what parseArgs refuses into a UsageError with code USAGE', () => {
    for (const args of [['--bogus'], ['--port'], ['stray']]) {
      let caught: unknown;
      try {
        parseCommandLine({ args, options });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as UsageError).code).toBe('USAGE');
    }
  });
});
