import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The self-check never takes longer than this: a version that hangs on its own check is refused. */
const SELF_CHECK_MS = 60_000;
const MAX_LINES = 20;

/**
 * The unpacked version's own `station-gateway validate` on the station file in force, run by the
 * Node.js that will run it: the new code loads (its native modules for this box), reads the
 * station file with its own schema and opens the files it names, without touching a device (the
 * running version holds the ports). Resolves with its problems, none when it passed.
 */
export function selfCheckRelease(releaseDir: string, stationFile: string): Promise<string[]> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['STATION_RELEASE_ROOT'];
    const child = spawn(process.execPath, [join(releaseDir, 'dist', 'gateway', 'cli', 'station-gateway.js'), 'validate', '--config', stationFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SELF_CHECK_MS,
      killSignal: 'SIGKILL',
    });
    let out = '';
    const take = (b: Buffer): void => {
      if (out.length < 64 * 1024) out += b.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => resolve([`the self-check did not start: ${err.message}`]));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve([]);
      const lines = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      const why = signal ? `the self-check was ended by ${signal} (over ${SELF_CHECK_MS / 1000} s?)` : `the self-check exited with status ${code}`;
      resolve([why, ...lines.slice(-MAX_LINES + 1)]);
    });
  });
}
