import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';

/**
 * One line of `npm run bench`'s table: a figure of the gateway beside its raw baseline measured in
 * the same run. Bench files append rows as they finish; the global teardown prints the table.
 */
export interface BenchRow {
  bench: string;
  figure: string;
  unit: string;
  gateway: number;
  baselineName: string;
  baseline: number;
  /** Whether a larger figure is better (throughput) or worse (latency, memory). */
  higherIsBetter: boolean;
}

const RESULTS_ENV = 'STATION_BENCH_RESULTS';

/**
 * This run's results file. The global setup names it per run (workers inherit the variable), so
 * a test run started meanwhile on the same checkout cannot clear another run's rows.
 */
export function benchResultsFile(): string {
  return process.env[RESULTS_ENV] ?? join(packageRoot(), '.bench', 'results.jsonl');
}

export function reportBench(row: BenchRow): void {
  const file = benchResultsFile();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** Starts a fresh results file for this run. */
export function startBenchResults(): void {
  process.env[RESULTS_ENV] = join(packageRoot(), '.bench', `results-${process.pid}.jsonl`);
  rmSync(benchResultsFile(), { force: true });
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

/** The table, as Markdown, so a run can be pasted into docs/benchmarks.md as it is. */
export function benchTable(): string | undefined {
  const file = benchResultsFile();
  if (!existsSync(file)) return undefined;
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BenchRow);
  if (rows.length === 0) return undefined;
  const lines = ['| benchmark | figure | gateway | baseline (same run) | ratio gateway/baseline |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = r.baseline === 0 ? 'n/a' : (r.gateway / r.baseline).toFixed(2);
    lines.push(`| ${r.bench} | ${r.figure} (${r.unit}, ${r.higherIsBetter ? 'higher' : 'lower'} is better) | ${fmt(r.gateway)} | ${r.baselineName}: ${fmt(r.baseline)} | ${ratio} |`);
  }
  return lines.join('\n');
}
