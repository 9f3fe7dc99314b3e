import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRelease, type BuiltRelease } from './build-release.js';
import { crossCompileNatives, type CompiledNative } from './cross-compile-natives.js';
import { CROSS_TARGETS, requireToolchain, type CrossTarget } from './cross-targets.js';
import { elfFilesUnder } from './elf-machine.js';
import { fetchNodeRuntime, resolveRuntimeVersion, type NodeRuntime } from './node-runtime.js';

export interface CrossBuildOptions {
  /** The project root, with `dist/` built and `node_modules/` installed (for this machine). */
  root: string;
  arch: CrossTarget['arch'];
  outDir: string;
  keyFile: string;
  /** Where the target's Node.js and the staged, rebuilt node_modules are kept; reused when given again. */
  workDir: string;
  version?: string | undefined;
  builtAt?: Date | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface CrossBuiltRelease extends BuiltRelease {
  target: CrossTarget;
  /** The target's Node.js the modules were compiled against; what the smoke test runs. */
  runtime: NodeRuntime;
  natives: CompiledNative[];
  /** Wall time of the native rebuilds in this call (0 when the staged copy was reused). */
  compileMs: number;
}

/**
 * A bundle for another architecture, built on this machine: the production node_modules copied to
 * a staging root, their native modules compiled there from source for the target (the cross
 * compiler and the target's official Node.js headers), and that root packed by `buildRelease` like
 * any other. The staging root shares this checkout's dist/, profiles and install kit (links), so
 * only node_modules differs. The packed bundle is then searched for any binary of another machine:
 * one would fail on the box at its first `require`.
 */
export async function crossBuildRelease(o: CrossBuildOptions): Promise<CrossBuiltRelease> {
  const target = CROSS_TARGETS[o.arch];
  const log = o.log ?? (() => {});
  requireToolchain(target);
  const runtime = fetchNodeRuntime(target, resolveRuntimeVersion(target), o.workDir);
  log(`${target.nodePackage}@${runtime.version}: ${runtime.node}`);
  const stagedRoot = join(o.workDir, `root-linux-${target.arch}`);
  // Written last, with what it was built from: a staging root without it was stopped half-way,
  // and one built from another lockfile or Node.js holds other modules; both are made again.
  const done = join(stagedRoot, '.natives-built.json');
  const from = { lock: lockfileHash(o.root), node: runtime.version };
  const cached = existsSync(done) ? (JSON.parse(readFileSync(done, 'utf8')) as { from?: typeof from; natives: CompiledNative[] }) : undefined;
  let natives: CompiledNative[];
  let compileMs = 0;
  if (cached?.from?.lock === from.lock && cached.from.node === from.node) natives = cached.natives;
  else {
    rmSync(stagedRoot, { recursive: true, force: true });
    mkdirSync(stagedRoot, { recursive: true });
    for (const linked of ['dist', 'config', 'deploy']) symlinkSync(join(o.root, linked), join(stagedRoot, linked));
    for (const file of ['package.json', 'package-lock.json']) if (existsSync(join(o.root, file))) copyFileSync(join(o.root, file), join(stagedRoot, file));
    // All of node_modules, as npm installed it: buildRelease picks the production packages from it
    // by the same `npm ls` as for this machine's bundle.
    cpSync(join(o.root, 'node_modules'), join(stagedRoot, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const started = Date.now();
    natives = await crossCompileNatives(join(stagedRoot, 'node_modules'), target, runtime, log);
    compileMs = Date.now() - started;
    writeFileSync(done, `${JSON.stringify({ from, natives, compileMs })}\n`);
  }
  const built = buildRelease({ root: stagedRoot, arch: target.arch, outDir: o.outDir, keyFile: o.keyFile, version: o.version, builtAt: o.builtAt });
  const foreign = foreignBinaries(built.bundle, target, o.workDir);
  if (foreign.length > 0) throw new Error(`${built.bundle} holds binaries that are not linux-${target.arch}: ${foreign.join(', ')}`);
  return { ...built, target, runtime, natives, compileMs };
}

function lockfileHash(root: string): string {
  const lock = join(root, 'package-lock.json');
  return existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : '';
}

/** The bundle's ELF files that are not for the target, read from a scratch unpack of it. */
function foreignBinaries(bundle: string, target: CrossTarget, workDir: string): string[] {
  const scratch = mkdtempSync(join(workDir, 'check-'));
  try {
    execFileSync('tar', ['-xzf', bundle, '-C', scratch]);
    return elfFilesUnder(scratch)
      .filter((f) => f.machine !== target.elf.machine || f.bits !== target.elf.bits)
      .map((f) => f.path);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
