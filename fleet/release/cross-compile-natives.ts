import { spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { UsageError } from '../../config/usage-error.js';
import { crossCompilerEnv, type CrossTarget } from './cross-targets.js';
import { elfMachineOf } from './elf-machine.js';
import type { NodeRuntime } from './node-runtime.js';

export interface CompiledNative {
  /** The package folder, relative to node_modules (`better-sqlite3`, `@serialport/bindings-cpp`). */
  pkg: string;
  /** What it loads at run time, relative to node_modules: `<pkg>/build/Release/*.node`. */
  binaries: string[];
  /** Wall time of its node-gyp rebuild. */
  ms: number;
}

/** Every package under `nodeModules` (nested ones too) with a binding.gyp: the ones compiled at install. */
export function nativePackages(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (folder: string): void => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path, { withFileTypes: true })) if (scoped.isDirectory()) visitPackage(join(path, scoped.name));
      } else visitPackage(path);
    }
  };
  const visitPackage = (pkg: string): void => {
    if (existsSync(join(pkg, 'binding.gyp'))) found.push(relative(nodeModules, pkg).split(sep).join('/'));
    visit(join(pkg, 'node_modules'));
  };
  visit(nodeModules);
  return found.sort();
}

/** npm's own node-gyp, the one `npm install` runs for these packages. */
export function npmNodeGyp(): string {
  const candidates = [
    process.env['npm_config_node_gyp'],
    join(dirname(realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (!found) throw new UsageError('node-gyp not found beside npm: install npm with its node-gyp');
  return found;
}

/**
 * Rebuilds every native package of a staged node_modules for the target, from source: node-gyp
 * with the cross compiler and the target's Node.js headers (its config.gypi brings the ABI flags,
 * such as armhf's float ABI). Then keeps only what loads: the intermediate objects go, and so do the
 * packages' prebuilt binaries for other platforms, so the one a module loads is the one built here
 * (node-gyp-build prefers build/Release anyway). Each result is checked to be the target's ELF.
 * Packages build side by side: better-sqlite3's one big sqlite3.c holds a core for a minute alone.
 */
export async function crossCompileNatives(nodeModules: string, target: CrossTarget, runtime: NodeRuntime, log: (line: string) => void = () => {}): Promise<CompiledNative[]> {
  const gyp = npmNodeGyp();
  const packages = nativePackages(nodeModules);
  return Promise.all(
    packages.map(async (pkg) => {
      const dir = join(nodeModules, pkg);
      rmSync(join(dir, 'build'), { recursive: true, force: true });
      const started = Date.now();
      await run(process.execPath, [gyp, 'rebuild', '--release', `--arch=${target.nodeArch}`, `--nodedir=${runtime.nodedir}`, '--jobs=2'], {
        cwd: dir,
        env: { ...process.env, ...crossCompilerEnv(target), npm_config_arch: target.nodeArch, npm_config_target_arch: target.nodeArch },
        what: `node-gyp rebuild of ${pkg} for linux-${target.arch}`,
      });
      const ms = Date.now() - started;
      const release = join(dir, 'build', 'Release');
      const binaries = readdirSync(release).filter((f) => f.endsWith('.node'));
      if (binaries.length === 0) throw new Error(`node-gyp built no .node for ${pkg}`);
      for (const f of binaries) {
        const m = elfMachineOf(join(release, f));
        if (m?.machine !== target.elf.machine || m.bits !== target.elf.bits) throw new Error(`${pkg}/build/Release/${f} is not a linux-${target.arch} binary`);
      }
      for (const entry of readdirSync(join(dir, 'build'))) if (entry !== 'Release') rmSync(join(dir, 'build', entry), { recursive: true, force: true });
      for (const entry of readdirSync(release)) if (!entry.endsWith('.node')) rmSync(join(release, entry), { recursive: true, force: true });
      rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
      log(`${pkg}: ${binaries.join(', ')} in ${(ms / 1000).toFixed(1)} s`);
      return { pkg, binaries: binaries.map((f) => `${pkg}/build/Release/${f}`), ms };
    }),
  );
}

function run(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; what: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      // The tail is what says why it failed; a full compile log is megabytes of warnings.
      out = (out + d.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new UsageError(`${o.what}: ${err.message}`)));
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${o.what} failed (${signal ?? `exit ${code}`}):\n${out.slice(-4000)}`))));
  });
}
