/**
 * Test files that replace a module for the whole process (vi.mock): each gets a worker of its own.
 * Every other file shares its worker with the files before it (vitest.config.ts), so a file must
 * leave the process as it found it: process.env restored, real timers back, servers and children
 * closed (test/architecture/shared-worker.test.ts checks what the source shows of that).
 */
export const OWN_WORKER: readonly string[] = ['test/fuzz/simulator-control.test.ts'];
