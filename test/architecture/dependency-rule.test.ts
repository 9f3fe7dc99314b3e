import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The layering rule (docs/architecture.md, .dependency-cruiser.cjs) as CI runs it: it passes on
 * the project, and it fails on a back edge and on a cycle, so a rule that silently matched
 * nothing could not pass here.
 */

const run = promisify(execFile);
const root = packageRoot();
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
/** The folders `npm run lint:deps` cruises, as CI runs it. */
const LAYERS = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['lint:deps']
  ?.split(' ')
  .slice(1)
  .filter((w) => !w.startsWith('-') && !w.endsWith('.cjs') && w !== 'err') ?? [];

async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(depcruise, [...dirs, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, timeout: 60_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? 1, out: e.stdout ?? '' };
  }
}

/** A tree with the project's folder names and the given files, each `[path, text]`. */
function fixture(files: Array<[string, string]>): { path: string; remove(): void } {
  const dir = tempDir('layers-');
  writeFileSync(join(dir.path, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  for (const [file, text] of files) {
    mkdirSync(join(dir.path, file, '..'), { recursive: true });
    writeFileSync(join(dir.path, file), text);
  }
  return dir;
}

describe('the dependency rule', () => {
  it('passes on the project', async () => {
    expect(LAYERS).toEqual(['config', 'device-drivers', 'simulators', 'cloud-bridge', 'gateway', 'fleet', 'console/src']);
    const r = await cruise(root, LAYERS);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  }, 90_000);

  it('fails on a back edge: the bridge importing the station', async () => {
    const tree = fixture([
      ['gateway/store/outbox.ts', 'export const outbox = 1;\n'],
      ['cloud-bridge/relay.ts', "import { outbox } from '../gateway/store/outbox.js';\nexport const relay = outbox;\n"],
    ]);
    try {
      const r = await cruise(tree.path, ['gateway', 'cloud-bridge']);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('cloud-bridge-must-not-import-gateway: cloud-bridge/relay.ts → gateway/store/outbox.ts');
    } finally {
      tree.remove();
    }
  }, 60_000);

  it('fails on a side edge (simulators and the bridge are siblings) and on a cycle inside one layer', async () => {
    const tree = fixture([
      ['cloud-bridge/listen.ts', 'export const listen = 1;\n'],
      ['simulators/server.ts', "import { listen } from '../cloud-bridge/listen.js';\nexport const server = listen;\n"],
      ['config/a.ts', "import { b } from './b.js';\nexport const a = (): number => b();\n"],
      ['config/b.ts', "import { a } from './a.js';\nexport const b = (): number => a();\n"],
    ]);
    try {
      const r = await cruise(tree.path, ['cloud-bridge', 'simulators', 'config']);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('simulators-must-not-import-cloud-bridge: simulators/server.ts → cloud-bridge/listen.ts');
      expect(r.out).toMatch(/no-circular: config\/(a|b)\.ts/);
    } finally {
      tree.remove();
    }
  }, 60_000);

  it('fails on a second composition root: a tool building devices itself instead of through compose-station', async () => {
    const tree = fixture([
      ['gateway/runtime/device-factory.ts', 'export class DeviceFactory {}\n'],
      ['gateway/runtime/compose-station.ts', "import { DeviceFactory } from './device-factory.js';\nexport const composeStation = (): unknown => new DeviceFactory();\n"],
      ['gateway/ops/doctor/device-checks.ts', "import { DeviceFactory } from '../../runtime/device-factory.js';\nexport const check = (): unknown => new DeviceFactory();\n"],
      ['fleet/fleet-station.ts', "import { composeStation } from '../gateway/runtime/compose-station.js';\nexport const station = composeStation;\n"],
    ]);
    try {
      const r = await cruise(tree.path, ['gateway', 'fleet']);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('one-composition-root: gateway/ops/doctor/device-checks.ts → gateway/runtime/device-factory.ts');
      expect(r.out).not.toContain('fleet/fleet-station.ts');
    } finally {
      tree.remove();
    }
  }, 60_000);

  it('keeps the launcher standing alone: builtins and config/ only, never the gateway or a package', async () => {
    const tree = fixture([
      ['config/durable-write.ts', 'export const write = 1;\n'],
      ['gateway/update/update-error.ts', 'export const code = 1;\n'],
      ['gateway/update/launcher/layout.ts', "import { readFileSync } from 'node:fs';\nimport { write } from '../../../config/durable-write.js';\nexport const layout = [readFileSync, write];\n"],
      ['gateway/update/launcher/launcher.ts', "import { code } from '../update-error.js';\nimport { layout } from './layout.js';\nexport const launcher = [code, layout];\n"],
    ]);
    try {
      const r = await cruise(tree.path, ['config', 'gateway']);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('launcher-stands-alone: gateway/update/launcher/launcher.ts → gateway/update/update-error.ts');
      expect(r.out).not.toContain('launcher-stands-alone: gateway/update/launcher/layout.ts');
    } finally {
      tree.remove();
    }
  }, 60_000);

  it('lets the demo, a tool on top, use the simulators', async () => {
    const tree = fixture([
      ['simulators/station.ts', 'export const sim = 1;\n'],
      ['gateway/cli/demo.ts', "import { sim } from '../../simulators/station.js';\nexport const demo = sim;\n"],
    ]);
    try {
      const r = await cruise(tree.path, ['simulators', 'gateway']);
      expect(r.out).toMatch(/no dependency violations found/);
    } finally {
      tree.remove();
    }
  }, 60_000);
});
