import { execFileSync } from 'node:child_process';

/**
 * Tests that run the gateway or simulators as their own processes (Last Will, kill -9) run the
 * compiled dist/, the same artefact that ships to the box. Build it once per test run.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
