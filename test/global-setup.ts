import { execFileSync } from 'node:child_process';
import { benchResultsFile, benchTable, startBenchResults } from './bench/bench-report.js';

/**
 * Tests that run the gateway or simulators as their own processes (Last Will, kill -9) run the
 * compiled dist/, the same artefact that ships to the box. Build it once per test run.
 */
export default function setup(): () => void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  startBenchResults();
  // `npm run bench`: every benchmark's figures and baselines from this run, in one table.
  return () => {
    const table = benchTable();
    if (table) process.stdout.write(`\n${table}\n\n(also in ${benchResultsFile()})\n`);
  };
}
