import { readFileSync } from 'node:fs';
import { UsageError } from '../../config/usage-error.js';

/**
 * The stations of `--station` (repeated) and `--list FILE` (one id a line; `#` starts a comment),
 * in their order, each once: a push and a rollout go in this order (a rollout's first ring is
 * the first listed). Shared by `config push|status` and `update`.
 */
export function stationList(values: { station?: string[] | undefined; list?: string | undefined }): string[] {
  const ids = [...(values.station ?? [])];
  if (values.list) {
    let text: string;
    try {
      text = readFileSync(values.list, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --list ${values.list}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const raw of text.split('\n')) {
      const id = raw.replace(/#.*/, '').trim();
      if (id) ids.push(id);
    }
  }
  const bad = ids.find((id) => !/^[a-z0-9-]{1,64}$/.test(id));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not a station id (1 to 64 of a-z, 0-9, '-')`);
  return [...new Set(ids)];
}
