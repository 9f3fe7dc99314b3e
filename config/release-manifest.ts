import { z } from 'zod';

/** The architectures a bundle is built for, by Debian's names (a Pi 3/4/5 is arm64, older boxes armhf). */
export const RELEASE_ARCHES = ['x64', 'arm64', 'armhf'] as const;
export type ReleaseArch = (typeof RELEASE_ARCHES)[number];

/** This process's architecture by the bundles' names; undefined for one no bundle is built for. */
export function releaseArchOf(processArch: string = process.arch): ReleaseArch | undefined {
  if (processArch === 'x64' || processArch === 'arm64') return processArch;
  if (processArch === 'arm') return 'armhf';
  return undefined;
}

export const bundleName = (version: string, arch: ReleaseArch): string => `station-gateway-${version}-linux-${arch}.tar.gz`;

/** Inside every bundle, at its top: what it holds, checked file by file after unpacking. */
export const MANIFEST_FILE = 'release-manifest.json';

export const releaseManifestSchema = z.strictObject({
  name: z.literal('station-gateway'),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/),
  platform: z.literal('linux'),
  arch: z.enum(RELEASE_ARCHES),
  /** The Node.js majors it was built and tested for (the native modules' ABI). */
  node: z.array(z.number().int().min(18)).min(1),
  builtAt: z.string().datetime(),
  files: z
    .array(z.strictObject({ path: z.string().min(1), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
