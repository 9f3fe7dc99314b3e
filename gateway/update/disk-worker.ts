import { parentPort, workerData } from 'node:worker_threads';
import type { DiskJob, DiskJobResult } from './disk-work.js';
import { ReleaseLayout } from './launcher/release-layout.js';
import { unpackBundle } from './unpack-bundle.js';

/* The worker thread of disk-work.ts: one job, its result or its error posted back, then it ends. */

const job = workerData as DiskJob;
let result: DiskJobResult;
try {
  const value = job.job === 'unpack' ? unpackBundle(job.options) : new ReleaseLayout(job.root).prune();
  result = { ok: true, value };
} catch (err) {
  const e = err as Error & { code?: unknown; problems?: unknown };
  result = {
    ok: false,
    name: e.name ?? 'Error',
    message: e.message ?? String(err),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(Array.isArray(e.problems) ? { problems: e.problems.map(String) } : {}),
  };
}
parentPort?.postMessage(result);
