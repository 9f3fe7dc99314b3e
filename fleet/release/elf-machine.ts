import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The machine an ELF file was built for (its header's e_machine: 62 x86-64, 183 AArch64, 40 ARM), or undefined for a file that is not ELF. */
export interface ElfMachine {
  machine: number;
  bits: 32 | 64;
}

export function elfMachineOf(file: string): ElfMachine | undefined {
  const head = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, head, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const bits = head[4] === 2 ? 64 : 32;
  // EI_DATA 1 is little-endian, as every target here is.
  const machine = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { machine, bits };
}

/** Every ELF file under `dir` (paths relative to it), with its machine. */
export function elfFilesUnder(dir: string): Array<{ path: string } & ElfMachine> {
  const out: Array<{ path: string } & ElfMachine> = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const m = elfMachineOf(path);
        if (m) out.push({ path: relative(dir, path).split(sep).join('/'), ...m });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
