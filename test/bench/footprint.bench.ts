import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, bench, describe } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';
import { reportBench } from './bench-report.js';

/*
 * The gateway's footprint while it runs the whole demo station (five devices polled, the store,
 * the bridge on the embedded broker): resident memory and CPU of the gateway process over a
 * minute, against a bare Node process (an idle timer) sampled over the same minute. The gateway is
 * started the way `npm start` starts it (the demo's own spawn, with its Node flags). At the end a
 * breakdown of both processes' resident memory by mapping is printed, not asserted.
 */

const SECONDS = 60;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const running: Array<{ kill(): void }> = [];

afterAll(() => {
  for (const p of running) p.kill();
});

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function cpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is 14th, stime 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident kB by kind of mapping, from /proc/<pid>/smaps: where the memory is, file or anonymous. */
function rssByMapping(pid: number): Map<string, number> {
  const kinds = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const path = mapping[1] ?? '';
      if (path === process.execPath || path.endsWith('/node')) kind = 'node binary (file)';
      else if (path.endsWith('.node')) kind = 'native addons (file)';
      else if (path.startsWith('/')) kind = 'shared libraries, other files';
      else if (path === '[heap]') kind = 'malloc heap (brk)';
      else if (path === '') kind = 'anonymous: V8 heap, mmap malloc, stacks';
      else kind = `other ${path}`;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds.set(kind, (kinds.get(kind) ?? 0) + Number(rss[1]));
  }
  return kinds;
}

function threads(pid: number): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

function printBreakdown(pids: Array<[string, number]>): void {
  const all = pids.map(([name, pid]) => [name, rssByMapping(pid), threads(pid)] as const);
  const kinds = [...new Set(all.flatMap(([, k]) => [...k.keys()]))].filter((kind) => all.some(([, k]) => (k.get(kind) ?? 0) >= 100)).sort();
  const lines = [`resident memory by mapping (MB): ${all.map(([name, , t]) => `${name} (${t} threads)`).join(' | ')}`];
  for (const kind of kinds) lines.push(`  ${kind.padEnd(42)} ${all.map(([, k]) => ((k.get(kind) ?? 0) / 1024).toFixed(1).padStart(7)).join(' ')}`);
  console.log(lines.join('\n'));
}

interface Footprint {
  rssMb: number;
  cpuPercent: number;
}

async function sample(pids: number[]): Promise<Footprint[]> {
  const ticks0 = pids.map(cpuTicks);
  const rss: number[][] = pids.map(() => []);
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    pids.forEach((pid, i) => rss[i]?.push(rssMb(pid)));
  }
  return pids.map((pid, i) => ({
    rssMb: (rss[i] ?? []).reduce((a, b) => a + b, 0) / SECONDS,
    cpuPercent: ((cpuTicks(pid) - (ticks0[i] ?? 0)) / TICKS_PER_SECOND / SECONDS) * 100,
  }));
}

describe(`footprint of the running demo station over ${SECONDS} s`, () => {
  bench(
    'gateway process vs a bare Node process',
    async () => {
      const demo: RunningProcess = runNode(distEntry('gateway', 'cli', 'demo.js'), ['--port', String(await freePort())]);
      running.push({ kill: () => void demo.stop() });
      const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      running.push({ kill: () => bare.kill('SIGKILL') });
      await demo.waitForOutput(/gateway pid \d+/, 60_000);
      const pid = Number(/gateway pid (\d+)/.exec(demo.output())?.[1]);
      // Measured once the station runs: every device online and reported.
      await waitFor(() => /cabinet-1 +online/.test(demo.output()) && /water-1 +online/.test(demo.output()), 60_000, 'the demo station online');
      const [gateway, node] = await sample([pid, bare.pid ?? 0]);
      if (!gateway || !node) throw new Error('no samples');
      printBreakdown([
        ['gateway', pid],
        ['bare node', bare.pid ?? 0],
      ]);
      console.log(`gateway: RSS ${gateway.rssMb.toFixed(1)} MB, CPU ${gateway.cpuPercent.toFixed(2)} %; bare node: RSS ${node.rssMb.toFixed(1)} MB, CPU ${node.cpuPercent.toFixed(2)} %`);
      const row = { bench: 'footprint, demo station running', baselineName: 'bare Node process' };
      reportBench({ ...row, figure: 'resident memory, mean', unit: 'MB', gateway: gateway.rssMb, baseline: node.rssMb, higherIsBetter: false });
      reportBench({ ...row, figure: 'CPU, one core', unit: '%', gateway: gateway.cpuPercent, baseline: node.cpuPercent, higherIsBetter: false });
      demo.child.kill('SIGINT');
      await demo.exited;
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
