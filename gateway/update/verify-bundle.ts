import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, releaseArchOf, releaseManifestSchema, type ReleaseManifest } from '../../config/release-manifest.js';

export type BundleProblem = 'UPDATE_BAD_SIGNATURE' | 'UPDATE_BAD_MANIFEST' | 'UPDATE_WRONG_ARCH' | 'UPDATE_WRONG_NODE' | 'UPDATE_FILE_MISMATCH';

export class BundleError extends Error {
  override readonly name = 'BundleError';
  constructor(
    readonly code: BundleProblem,
    message: string,
  ) {
    super(message);
  }
}

export function readReleasePublicKey(file: string): KeyObject {
  return createPublicKey(readFileSync(file));
}

/** The bundle's bytes against its detached signature, before anything of it is unpacked. */
export function verifyBundleSignature(bytes: Buffer, signatureText: string, key: KeyObject): void {
  let ok = false;
  try {
    ok = verify(null, bytes, key, Buffer.from(signatureText.trim(), 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new BundleError('UPDATE_BAD_SIGNATURE', 'the bundle does not verify against the release key: not ours, or changed on the way');
}

/**
 * An unpacked bundle, file by file against its manifest, and the manifest against this box: the
 * architecture its native modules were built for, and the Node.js major it runs on.
 */
export function verifyUnpacked(dir: string, box: { arch?: string; nodeMajor?: number } = {}): ReleaseManifest {
  let manifest: ReleaseManifest;
  try {
    manifest = releaseManifestSchema.parse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')));
  } catch (err) {
    throw new BundleError('UPDATE_BAD_MANIFEST', `${MANIFEST_FILE}: ${(err as Error).message.split('\n')[0]}`);
  }
  const arch = releaseArchOf(box.arch);
  if (manifest.arch !== arch) throw new BundleError('UPDATE_WRONG_ARCH', `the bundle is for linux-${manifest.arch}, this box is linux-${arch ?? box.arch ?? process.arch}`);
  const major = box.nodeMajor ?? Number(process.versions.node.split('.')[0]);
  if (!manifest.node.includes(major)) throw new BundleError('UPDATE_WRONG_NODE', `the bundle runs on Node.js ${manifest.node.join(', ')}, this box has ${major}`);
  for (const f of manifest.files) {
    let data: Buffer;
    try {
      data = readFileSync(join(dir, f.path));
    } catch {
      throw new BundleError('UPDATE_FILE_MISMATCH', `${f.path} is missing`);
    }
    if (data.length !== f.size || createHash('sha256').update(data).digest('hex') !== f.sha256) throw new BundleError('UPDATE_FILE_MISMATCH', `${f.path} is not the file the manifest names`);
  }
  return manifest;
}
