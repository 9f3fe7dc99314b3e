import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { replaceFileAtomically, replaceSymlink, syncFolder } from '../../config/durable-write.js';

/**
 * The station's keys on disk, laid out so that a renewed pair replaces the old one in one atomic
 * step and the old one stays until the new one has connected:
 *
 *   <dir>/ca.crt                     cloud.ca
 *   <dir>/pairs/<generation>/        one key and its certificate, written whole before use
 *   <dir>/current -> pairs/<gen>     cloud.cert = <dir>/current/station.crt, cloud.key = …/station.key
 *
 * A key and its certificate are never switched one at a time (two renames are not atomic together;
 * one symlink is), so a gateway that reads them at any moment reads a matching pair.
 */
export class KeyStore {
  constructor(readonly dir: string) {}

  /**
   * The key store a station file's `cloud.cert` and `cloud.key` belong to, when they are this
   * layout's (an enrolled box); undefined for keys installed by hand, which renewal cannot switch
   * atomically and so leaves alone.
   */
  static of(cloud: { cert?: string | undefined; key?: string | undefined }): KeyStore | undefined {
    if (!cloud.cert || !cloud.key) return undefined;
    const dir = dirname(dirname(cloud.cert));
    const store = new KeyStore(dir);
    const { cert, key } = store.paths;
    return resolve(cloud.cert) === resolve(cert) && resolve(cloud.key) === resolve(key) && store.current() !== undefined ? store : undefined;
  }

  /** The paths the station file names. */
  get paths(): { ca: string; cert: string; key: string } {
    return { ca: join(this.dir, 'ca.crt'), cert: join(this.dir, 'current', 'station.crt'), key: join(this.dir, 'current', 'station.key') };
  }

  /** The generation `current` points at, or undefined before the first enrolment. */
  current(): string | undefined {
    try {
      return basename(readlinkSync(join(this.dir, 'current')));
    } catch {
      return undefined;
    }
  }

  /** Every generation on disk, oldest first (their names sort by time). */
  generations(): string[] {
    const pairs = join(this.dir, 'pairs');
    return existsSync(pairs) ? readdirSync(pairs).filter((n) => !n.startsWith('.')).sort() : [];
  }

  certificatePem(generation: string): string {
    return readFileSync(join(this.dir, 'pairs', generation, 'station.crt'), 'utf8');
  }

  /** Writes a new pair beside the others (the key 0600 from its first byte); `current` is not touched. */
  stage(privateKeyPem: string, certificatePem: string, now: Date): string {
    mkdirSync(join(this.dir, 'pairs'), { recursive: true, mode: 0o700 });
    const generation = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
    const at = join(this.dir, 'pairs', generation);
    mkdirSync(at, { mode: 0o700 });
    replaceFileAtomically(join(at, 'station.key'), privateKeyPem, 0o600);
    replaceFileAtomically(join(at, 'station.crt'), certificatePem, 0o644);
    syncFolder(join(this.dir, 'pairs'));
    return generation;
  }

  writeCa(caPem: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    replaceFileAtomically(join(this.dir, 'ca.crt'), caPem, 0o644);
  }

  /** Points `current` at `generation` in one rename; returns the generation it pointed at before. */
  activate(generation: string): string | undefined {
    if (!existsSync(join(this.dir, 'pairs', generation, 'station.crt'))) throw new Error(`no key pair ${generation} in ${this.dir}`);
    const before = this.current();
    replaceSymlink(join(this.dir, 'current'), join('pairs', generation));
    return before;
  }

  /** Removes a pair that is not current (the old one once the new has connected, or a new one that failed). */
  discard(generation: string): void {
    if (generation === this.current()) throw new Error(`key pair ${generation} is in use`);
    rmSync(join(this.dir, 'pairs', generation), { recursive: true, force: true });
    syncFolder(join(this.dir, 'pairs'));
  }
}
