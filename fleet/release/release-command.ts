import { parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { packageRoot } from '../../config/package-root.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseArchOf } from '../../config/release-manifest.js';
import { buildRelease, type BuiltRelease } from './build-release.js';
import { crossBuildRelease } from './cross-build.js';
import { CROSS_TARGETS, isCrossArch } from './cross-targets.js';
import { writeReleaseKey } from './release-key.js';

export const RELEASE_HELP = `Usage: station-fleet release <keygen|build> [options]

  keygen --out DIR
      make the release key (Ed25519): DIR/release.private.pem for whoever cuts releases (0600,
      never on a station) and DIR/release.public.pem for the stations. A key of its own, never an
      access or configuration key; never overwritten.
  build --key DIR/release.private.pem [--out DIR] [--version V] [--arch arm64|armhf] [--work-dir DIR]
      pack the compiled gateway (npm run build first) with its production dependencies as installed
      on this machine, for this machine's architecture, with a manifest of every file's sha256, as
      station-gateway-<version>-linux-<arch>.tar.gz and its detached signature (.sig); default --out
      releases/. \`npm run release\` does both steps with RELEASE_KEY (default keys/release.private.pem).
      --arch arm64|armhf on another machine: the native modules are compiled from source for it
      (apt: g++-aarch64-linux-gnu or g++-arm-linux-gnueabihf) against its Node.js from the npm
      registry, kept in --work-dir (default in the temp dir) for the next build (docs/releases.md).`;

const OPTIONS = {
  out: { type: 'string' },
  key: { type: 'string' },
  version: { type: 'string' },
  arch: { type: 'string' },
  'work-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runReleaseCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    const { values } = parseCommandLine({ args: rest, options: OPTIONS });
    if (values.help || verb === '--help' || verb === undefined) {
      process.stdout.write(`${RELEASE_HELP}\n`);
      return verb === undefined ? 2 : 0;
    }
    if (verb === 'keygen') {
      if (!values.out) throw new UsageError('--out DIR is required');
      const { privateKeyFile, publicKeyFile } = writeReleaseKey(values.out);
      process.stdout.write(`wrote ${privateKeyFile} (keep it with whoever cuts releases) and ${publicKeyFile} (for the stations)\n`);
      return 0;
    }
    if (verb === 'build') {
      if (!values.key) throw new UsageError('--key release.private.pem is required (station-fleet release keygen --out keys makes one)');
      const options = { root: packageRoot(), outDir: values.out ?? 'releases', keyFile: values.key, version: values.version };
      const arch = values.arch;
      let built: BuiltRelease;
      if (arch === undefined || arch === releaseArchOf()) built = buildRelease(options);
      else if (isCrossArch(arch)) {
        built = await crossBuildRelease({ ...options, arch, workDir: values['work-dir'] ?? join(tmpdir(), `station-cross-${arch}`), log: (line) => process.stderr.write(`${line}\n`) });
      } else throw new UsageError(`--arch ${arch}: this machine builds ${releaseArchOf() ?? 'no'} bundles itself and ${Object.keys(CROSS_TARGETS).join(', ')} by cross-compiling`);
      process.stdout.write(`${built.bundle} (${(built.bytes / 1e6).toFixed(1)} MB, ${built.manifest.files.length} files, linux-${built.manifest.arch}, Node ${built.manifest.node.join('/')})\n${built.signature}\n`);
      return 0;
    }
    throw new UsageError(`unknown verb "${verb}"; keygen or build`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError(`station-fleet release${verb && !verb.startsWith('-') ? ` ${verb}` : ''}`, err.message, RELEASE_HELP);
  }
}
