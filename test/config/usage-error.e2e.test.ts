import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { distEntry } from '../helpers/processes.js';

/*
 * Every command-line tool of the package, built and run as a process, says a wrong command line
 * the same way: `<tool>: <what is wrong>` as the first line on stderr, nothing on stdout, exit 2.
 */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(entry: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const TOOLS = [
  { program: 'station-gateway', entry: distEntry('gateway', 'cli', 'station-gateway.js'), before: [], usage: 'Usage: station-gateway' },
  { program: 'station-sim', entry: distEntry('simulators', 'cli', 'station-sim.js'), before: [], usage: 'Usage: station-sim' },
  { program: 'station-fleet simulate', entry: distEntry('fleet', 'cli', 'station-fleet.js'), before: ['simulate'], usage: 'Usage: station-fleet simulate' },
  { program: 'station-fleet', entry: distEntry('fleet', 'cli', 'station-fleet.js'), before: [], usage: 'Usage: station-fleet' },
  { program: 'station-token', entry: distEntry('simulators', 'cli', 'station-token.js'), before: [], usage: 'Usage: station-token' },
  { program: 'demo', entry: distEntry('gateway', 'cli', 'demo.js'), before: [], usage: 'Usage: npm start' },
];

describe('a wrong command line, every tool', () => {
  it.each(TOOLS)('$program: an unknown option exits 2 with the tool, the option and its usage on stderr', async ({ program, entry, before, usage }) => {
    const r = await run(entry, [...before, '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [first, blank, usageLine] = r.stderr.split('\n');
    // parseArgs adds a hint about positionals where the tool takes them: the start is the shape.
    expect(first?.startsWith(`${program}: Unknown option '--no-such-option'`)).toBe(true);
    expect(blank).toBe('');
    expect(usageLine?.startsWith(usage)).toBe(true);
  });

  it.each([
    { program: 'station-sim', entry: distEntry('simulators', 'cli', 'station-sim.js'), args: ['cabinet', '--unit', '0'], message: '--unit must be an integer 1..247, not "0"' },
    {
      program: 'station-fleet simulate',
      entry: distEntry('fleet', 'cli', 'station-fleet.js'),
      args: ['simulate', '--broker', 'mqtt://127.0.0.1:1', '--stations', 'many'],
      message: '--stations must be an integer 1..200000, not "many"',
    },
    {
      program: 'station-token',
      entry: distEntry('simulators', 'cli', 'station-token.js'),
      args: ['issue', '--key', 'absent.jwk.json', '--station', 'st-1', '--res', 'main-door', '--act', 'unlock', '--ttl', '2m'],
      message: '--ttl must be an integer 1 or more, not "2m"',
    },
    { program: 'demo', entry: distEntry('gateway', 'cli', 'demo.js'), args: ['--port', '99999'], message: '--port must be an integer 0..65535, not "99999"' },
  ])('$program: an integer option out of range exits 2 and names the option and its range', async ({ program, entry, args, message }) => {
    const r = await run(entry, args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`${program}: ${message}`);
  });
});
