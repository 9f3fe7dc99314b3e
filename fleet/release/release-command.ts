import { parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { packageRoot } from '../../config/package-root.js';
import { buildRelease } from './build-release.js';
import { writeReleaseKey } from './release-key.js';

export const RELEASE_HELP = `Usage: station-fleet release <keygen|build> [options]

  keygen --out DIR
      make the release key (Ed25519): DIR/release.private.pem for whoever cuts releases (0600,
      never on a station) and DIR/release.public.pem for the stations. A key of its own, never an
      access or configuration key; never overwritten.
  build --key DIR/release.private.pem [--out DIR] [--version V]
      pack the compiled gateway (npm run build first) with its production dependencies as installed
      on this machine, for this machine's architecture, with a manifest of every file's sha256, as
      station-gateway-<version>-linux-<arch>.tar.gz and its detached signature (.sig); default --out
      releases/. \`npm run release\` does both steps with RELEASE_KEY (default keys/release.private.pem).`;

const OPTIONS = { out: { type: 'string' }, key: { type: 'string' }, version: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

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
      const built = buildRelease({ root: packageRoot(), outDir: values.out ?? 'releases', keyFile: values.key, version: values.version });
      process.stdout.write(`${built.bundle} (${(built.bytes / 1e6).toFixed(1)} MB, ${built.manifest.files.length} files, linux-${built.manifest.arch}, Node ${built.manifest.node.join('/')})\n${built.signature}\n`);
      return 0;
    }
    throw new UsageError(`unknown verb "${verb}"; keygen or build`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError(`station-fleet release${verb && !verb.startsWith('-') ? ` ${verb}` : ''}`, err.message, RELEASE_HELP);
  }
}
