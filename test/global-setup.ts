import { execFileSync } from 'node:child_process';
import { benchResultsFile, benchTable, startBenchResults } from './bench/bench-report.js';

/**
 * Tests that run the gateway or simulators as their own processes (Last Will, kill -9) run the
 * compiled dist/, the same artefact that ships to the box. Build it once per test run.
 * Incrementally: a run after a small edit checks and writes what it touched, a few seconds instead
 * of the dozen a whole build takes on two cores. The build record is kept in dist/, so removing
 * dist/ builds everything again.
 */
export default function setup(): () => void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { stdio: 'inherit' });
  startBenchResults();
  // `npm run bench`: every benchmark's figures and baselines from this run, in one table.
  return () => {
    const table = benchTable();
    if (table) process.stdout.write(`\n${table}\n\n(also in ${benchResultsFile()})\n`);
  };
}
