import { relative, resolve, sep } from 'node:path';
import { ConfigError, formatProblem, type ConfigProblem } from '../../config/config-error.js';
import { loadStation, type LoadedStation } from '../../config/load-station-config.js';
import { lineOf, readYamlFile, renderPath } from '../../config/read-yaml-file.js';
import type { RevisionStore, StagedRevision } from './revision-store.js';
import type { VerifiedDocument } from './verify-config-document.js';

export type ValidatedRevision =
  | { ok: true; staged: StagedRevision; station: LoadedStation; notices: string[] }
  | { ok: false; code: 'CONFIG_INVALID'; problems: string[] };

/**
 * Writes a verified document's files into a fresh revision folder and loads its station file as
 * `station-gateway validate` does (the same `loadStation`, the same formatting), so a revision
 * that passes here is one `run` starts on. Two checks follow that only a pushed file needs: it is
 * this station's, and every file it names is one of its own or lies outside the revision store
 * (a relative `storage.path` would otherwise put the database in a folder that a later revision
 * prunes). A revision that fails is removed again; its problems are the report's.
 */
export async function stageAndValidate(document: VerifiedDocument, store: RevisionStore, stationId: string): Promise<ValidatedRevision> {
  const staged = store.stage(document.payload.revision, document.payload.files, document.jws);
  let station: LoadedStation;
  try {
    station = await loadStation(staged.stationFile);
  } catch (err) {
    store.discard(staged);
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, code: 'CONFIG_INVALID', problems: err.problems.map(formatProblem) };
  }
  const problems = pushedFileProblems(station, staged, store.stateDir, stationId);
  if (problems.length > 0) {
    store.discard(staged);
    return { ok: false, code: 'CONFIG_INVALID', problems: problems.map(formatProblem) };
  }
  return { ok: true, staged, station, notices: (station.notices ?? []).map(formatProblem) };
}

function pushedFileProblems(station: LoadedStation, staged: StagedRevision, stateDir: string, stationId: string): ConfigProblem[] {
  const { config } = station;
  const { parsed } = readYamlFile(staged.stationFile);
  const problem = (path: PropertyKey[], label: string, message: string): ConfigProblem => ({
    file: staged.stationFile,
    line: parsed ? lineOf(parsed, path) : undefined,
    path: label,
    message,
  });
  const out: ConfigProblem[] = [];
  if (config.station.id !== stationId) out.push(problem(['station', 'id'], 'station.id', `must be "${stationId}": the document is for this station, the file says "${config.station.id}"`));

  const inside = (dir: string, p: string): boolean => {
    const rel = relative(dir, p);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
  };
  const ownFile = (p: string): boolean => inside(staged.dir, p) && Object.hasOwn(staged.record.files, relative(staged.dir, p).split(sep).join('/'));
  const named: Array<[PropertyKey[], string | undefined]> = [
    [['cloud', 'ca'], config.cloud.ca],
    [['cloud', 'cert'], config.cloud.cert],
    [['cloud', 'key'], config.cloud.key],
    [['cloud', 'passwordFile'], config.cloud.passwordFile],
    [['access', 'trustedKeys'], config.access?.trustedKeys],
    [['statusPage', 'passwordFile'], config.statusPage?.passwordFile],
  ];
  config.devices.forEach((d, i) => {
    if ('path' in d.transport) named.push([['devices', i, 'transport', 'path'], d.transport.path]);
  });
  const label = (path: PropertyKey[]): string => {
    const text = renderPath(path);
    if (path[0] !== 'devices' || typeof path[1] !== 'number') return text;
    const head = `devices[${path[1]}]`;
    return `${head} (${config.devices[path[1]]?.id ?? '?'})${text.slice(head.length)}`;
  };
  const store = resolve(stateDir);
  for (const [path, p] of named) {
    if (p === undefined || ownFile(p) || !inside(store, p)) continue;
    out.push(problem(path, label(path), `${p} is inside the station's revision store; in a pushed station file, name it with an absolute path outside ${store} (relative paths are relative to the revision's own folder)`));
  }
  if (inside(store, config.storage.path)) {
    out.push(problem(['storage', 'path'], 'storage.path', `${config.storage.path} is inside the station's revision store, which a later revision prunes; in a pushed station file, give the database an absolute path`));
  }
  return out;
}
