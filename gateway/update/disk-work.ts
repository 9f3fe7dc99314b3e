import { Worker } from 'node:worker_threads';
import type { ReleaseManifest } from '../../config/release-manifest.js';
import type { UnpackOptions } from './unpack-bundle.js';
import { UpdateError, type UpdateCode } from './update-error.js';

/**
 * The update's long file work: unpacking a bundle (tar, then a sha256 of every file) and pruning
 * old releases (thousands of files removed). Both are synchronous, and on the station's event
 * loop they would stop it for seconds (tens of seconds on an SD card): no poll, no access
 * decision, no MQTT keepalive, the doors unanswered while the update is still only installing.
 */
export interface DiskWork {
  unpack(o: UnpackOptions): Promise<ReleaseManifest>;
  /** ReleaseLayout.prune() of the app root; resolves with what was removed. */
  prune(root: string): Promise<string[]>;
}

export type DiskJob = { job: 'unpack'; options: UnpackOptions } | { job: 'prune'; root: string };
export type DiskJobResult = { ok: true; value: unknown } | { ok: false; name: string; message: string; code?: string; problems?: string[] };

/** Each job in a worker thread of its own, running `script` (disk-worker.js beside this module, compiled). */
export function workerDiskWork(script: URL = new URL('./disk-worker.js', import.meta.url)): DiskWork {
  const run = (job: DiskJob): Promise<unknown> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const worker = new Worker(script, { workerData: job });
      worker.once('message', (r: DiskJobResult) => {
        settled = true;
        if (r.ok) resolve(r.value);
        else reject(r.code?.startsWith('UPDATE_') ? new UpdateError(r.code as UpdateCode, r.message, r.problems) : Object.assign(new Error(r.message), { name: r.name, code: r.code }));
      });
      worker.once('error', (err) => {
        settled = true;
        reject(err);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`the ${job.job} worker exited with ${code} before it answered`));
      });
    });
  return {
    unpack: async (options) => (await run({ job: 'unpack', options })) as ReleaseManifest,
    prune: async (root) => (await run({ job: 'prune', root })) as string[],
  };
}
