import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../config/usage-error.js';
import type { CrossTarget } from './cross-targets.js';
import { elfMachineOf } from './elf-machine.js';

/** The official Node.js build of another architecture, unpacked: its binary and its headers. */
export interface NodeRuntime {
  version: string;
  /** `bin/node` of that architecture: runs here only under qemu-user. */
  node: string;
  /** For node-gyp's --nodedir: `include/node/` with the headers and that build's config.gypi. */
  nodedir: string;
}

/**
 * The version of the target's Node.js build to compile against: `wanted` (this machine's) when the
 * registry has it, else the newest of the same major, which has the same module ABI.
 */
export function resolveRuntimeVersion(target: CrossTarget, wanted: string = process.versions.node): string {
  const exact = npmView(`${target.nodePackage}@${wanted}`);
  if (exact.includes(wanted)) return wanted;
  const major = wanted.split('.')[0] ?? wanted;
  const same = npmView(`${target.nodePackage}@^${major}`);
  const newest = same.at(-1);
  if (!newest) throw new UsageError(`the npm registry has no ${target.nodePackage} of Node.js ${major}`);
  return newest;
}

function npmView(spec: string): string[] {
  const view = spawnSync('npm', ['view', spec, 'version', '--json'], { encoding: 'utf8' });
  const out = (view.stdout ?? '').trim();
  const parsed = out === '' ? [] : (JSON.parse(out) as string | string[] | { error?: { code?: string; summary?: string } });
  // npm answers a version it does not have with E404 (and exit 1): no such version, not a failure.
  if (!Array.isArray(parsed) && typeof parsed === 'object') {
    if (parsed.error?.code === 'E404') return [];
    throw new Error(`npm view ${spec}: ${parsed.error?.summary ?? view.stderr}`);
  }
  if (view.status !== 0) throw new Error(`npm view ${spec}: ${view.stderr}`);
  return Array.isArray(parsed) ? parsed : [parsed];
}

/**
 * `npm pack <node-linux-…>@version` into `workDir` and unpacked there (npm keeps the tarball in its
 * cache, so a second build on the machine does not download it again); reused when already there.
 */
export function fetchNodeRuntime(target: CrossTarget, version: string, workDir: string): NodeRuntime {
  const dir = join(workDir, `${target.nodePackage}-${version}`);
  const runtime: NodeRuntime = { version, node: join(dir, 'bin', 'node'), nodedir: dir };
  if (!existsSync(runtime.node)) {
    mkdirSync(workDir, { recursive: true });
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `${target.nodePackage}@${version}`, '--json', '--pack-destination', workDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }),
    ) as Array<{ filename: string }>;
    const tarball = join(workDir, packed[0]?.filename ?? '');
    // Unpacked beside, then renamed: a build stopped half-way never leaves a folder that looks complete.
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    execFileSync('tar', ['-xzf', tarball, '-C', partial, '--strip-components=1']);
    rmSync(tarball);
    renameSync(partial, dir);
  }
  if (!existsSync(join(runtime.nodedir, 'include', 'node', 'node_api.h'))) throw new Error(`${target.nodePackage}@${version} has no include/node headers`);
  const machine = elfMachineOf(runtime.node);
  if (machine?.machine !== target.elf.machine) throw new Error(`${runtime.node} is not a linux-${target.arch} binary`);
  return runtime;
}
