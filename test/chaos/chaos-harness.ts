import BetterSqlite3 from 'better-sqlite3';
import { mulberry32, type Random } from '../../simulators/modbus/seeded-random.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';

/** Shared by the chaos tests: the seed they print, the gateway process, the database read-only. */

/**
 * The run's seeded random draws. `CHAOS_SEED=N` repeats a run; otherwise a fresh seed, printed so
 * that a failure can be replayed.
 */
export function chaosRandom(test: string): { seed: number; random: Random } {
  const seed = process.env['CHAOS_SEED'] ? Number(process.env['CHAOS_SEED']) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`[chaos] ${test}: seed ${seed} (CHAOS_SEED=${seed} repeats it)\n`);
  return { seed, random: mulberry32(seed) };
}

export function startGateway(configFile: string): RunningProcess {
  return runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
}

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  delivered_at: string | null;
}

/** Reads the events table as a crew's tool would, read-only, while the gateway may run. */
export function readEvents(dbFile: string): EventRow[] {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT seq, id, type, delivered_at FROM events ORDER BY seq').all() as EventRow[];
  } finally {
    db.close();
  }
}

export function integrityCheck(dbFile: string): string {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** The last lines of a process's output, for a failure message. */
export const tail = (p: RunningProcess | undefined, lines = 30): string => (p ? p.output().split('\n').slice(-lines).join('\n') : '');
