import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_CONSOLE_ENV, viteBuild } from './console/console-site.js';
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
  // The gateway as it ships: dist/gateway/bundle/, which dist/gateway/cli/station-gateway.js runs (rolldown.config.ts).
  execFileSync('npm', ['run', '--silent', 'bundle'], { stdio: ['ignore', 'ignore', 'inherit'] });
  // The console's browser tests each serve a copy of one build made here (test/console/console-site.ts).
  const consoleDir = mkdtempSync(join(tmpdir(), 'station-test-console-'));
  viteBuild(consoleDir);
  process.env[BUILT_CONSOLE_ENV] = consoleDir;
  startBenchResults();
  // `npm run bench`: every benchmark's figures and baselines from this run, in one table.
  return () => {
    rmSync(consoleDir, { recursive: true, force: true });
    const table = benchTable();
    if (table) process.stdout.write(`\n${table}\n\n(also in ${benchResultsFile()})\n`);
  };
}
