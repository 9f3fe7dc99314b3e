import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../../config/package-root.js';
import { freePort } from '../helpers/free-port.js';

/**
 * The console built by Vite into `outDir` (not dist/console, which a concurrent `npm run build`
 * may be rewriting), as `npm run build` builds it.
 */
export function buildConsole(outDir: string): void {
  const root = packageRoot();
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', join(root, 'console', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * config/demo-station.yaml with its simulator ports made free and its files put in `dir`, so the
 * demo station can run beside `npm start` and the other tests. Without its `access` section: the
 * console needs no access logic, and the demo's key is made by `npm start` on its first run.
 */
export async function demoStationCopy(dir: string): Promise<string> {
  const doc = parse(readFileSync(join(packageRoot(), 'config', 'demo-station.yaml'), 'utf8')) as {
    storage: { path: string };
    access?: unknown;
    devices: Array<{ transport: { port?: number; path?: string } }>;
  };
  delete doc.access;
  doc.storage.path = join(dir, 'gateway.db');
  const ports = new Map<number, number>();
  for (const d of doc.devices) {
    const t = d.transport;
    if (t.port !== undefined) {
      const port = ports.get(t.port) ?? (await freePort());
      ports.set(t.port, port);
      t.port = port;
    }
    if (t.path !== undefined) t.path = join(dir, 'tty', basename(t.path));
  }
  const file = join(dir, 'demo-station.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** A console URL with `?lang=` set, so that a test reads the words it asserts whatever the browser's locale. */
export function inLanguage(lang: 'zh-CN' | 'en', url: string): string {
  const u = new URL(url);
  u.searchParams.set('lang', lang);
  return u.toString();
}
