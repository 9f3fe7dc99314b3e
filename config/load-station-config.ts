import { dirname, isAbsolute, resolve } from 'node:path';
import { loadTrustedKeys } from './trusted-keys.js';
import { ConfigError, formatProblem, type ConfigProblem } from './config-error.js';
import { loadProfileFile, resolveProfileFile } from './load-profile.js';
import { namedFileProblems } from './named-file-checks.js';
import { checkProfileFit } from './profile-fit.js';
import type { Profile } from './profile-schema.js';
import { issuesToProblems, lineOf, readYamlFile, renderPath, type ParsedYaml } from './read-yaml-file.js';
import { isAboutTheFile, isReplaced, salvageStation } from './salvage-station.js';
import { stationConfigSchema, stationShapeSchema, type StationConfig } from './station-schema.js';

export interface LoadedStation {
  /** Absolute path of the station file. */
  file: string;
  /** Validated, with defaults filled in and every file path made absolute. */
  config: StationConfig;
  /** Profiles by device id, for the Modbus devices. */
  profiles: Map<string, Profile>;
  /**
   * What is off because a profile leaves an optional role unbound or declares a part lacking (one
   * per profile file and role): `validate` prints them after `ok`, `run` logs them once at start.
   */
  notices?: ConfigProblem[];
}

export interface LoadOptions {
  /** Replace cloud.url (the demo and bench runs point a station at a broker of their own). */
  cloudUrl?: string;
  /** Check that the files the config names exist; off for `validate` of a file written elsewhere. */
  checkFiles?: boolean;
}

/**
 * Loads a station file and everything it names. Collects every problem it can find before it
 * gives up, so a crew fixes a file in one pass instead of one error per start: the shapes, the
 * checks across sections, the profiles and the named files in one round, each check skipping only
 * the parts that are themselves wrong (salvage-station.ts). Relative paths in the file are
 * relative to the file's own folder. The trusted keys' contents need an async parse: see
 * `loadStation`, which `validate` and `run` use.
 */
export function loadStationConfig(file: string, options: LoadOptions = {}): LoadedStation {
  const { station, problems } = collectStation(file, options);
  if (!station || problems.length > 0) throw new ConfigError(ordered(resolve(file), problems));
  return station;
}

/**
 * `loadStationConfig` and, in the same round, the trusted keys checked exactly as the access
 * wiring loads them at start (every key a usable Ed25519 public key), so a bad JWKS is exit 2 with
 * the other problems instead of after them.
 */
export async function loadStation(file: string, options: LoadOptions = {}): Promise<LoadedStation> {
  const { station, problems, trustedKeys } = collectStation(file, options);
  if (trustedKeys) {
    try {
      await loadTrustedKeys(trustedKeys);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (!station || problems.length > 0) throw new ConfigError(ordered(resolve(file), problems));
  return station;
}

interface Collected {
  /** Undefined when a part is wrong; `problems` then says which. */
  station?: LoadedStation | undefined;
  problems: ConfigProblem[];
  /** The trusted keys file, when it is named and readable, for the async check. */
  trustedKeys?: string | undefined;
}

function collectStation(file: string, options: LoadOptions): Collected {
  const abs = resolve(file);
  const { parsed, problems } = readYamlFile(abs);
  if (!parsed) return { problems };

  if (options.cloudUrl !== undefined) {
    const raw = parsed.value as { cloud?: Record<string, unknown> };
    raw.cloud = { ...(raw.cloud ?? {}), url: options.cloudUrl };
  }
  const label = (p: readonly PropertyKey[]): string => labelPath(parsed.value, p);
  const found: ConfigProblem[] = [];

  // Shapes first; then the same checks on the right parts of a wrong file.
  const shapes = stationShapeSchema.safeParse(parsed.value);
  if (!shapes.success) found.push(...issuesToProblems(abs, parsed, shapes.error.issues, label));
  const salvaged = shapes.success ? undefined : salvageStation(parsed.value, shapes.error.issues);
  const shaped = shapes.success ? shapes : salvaged && stationShapeSchema.safeParse(salvaged.value);
  // No stand-in that passes (a gap in the salvage): the shape problems found are all true regardless.
  if (!shaped?.success) return { problems: found };
  const checked = stationConfigSchema.safeParse(salvaged?.value ?? parsed.value);
  if (!checked.success) {
    const kept = salvaged ? checked.error.issues.filter((i) => isAboutTheFile(i, salvaged)) : checked.error.issues;
    found.push(...issuesToProblems(abs, parsed, kept, label));
  }

  const config = makePathsAbsolute(shaped.data, dirname(abs));
  const skipped = (path: string): boolean => isReplaced(salvaged, path.split('.'));
  const fileProblems = options.checkFiles !== false ? namedFileProblems(config, skipped) : [];
  for (const p of fileProblems) found.push(at(abs, parsed, p.path.split('.'), p.message, label));
  const notices: ConfigProblem[] = [];
  const profiles = loadProfiles(abs, parsed, config, salvaged?.standIns ?? new Set(), found, notices, label);

  const keysReadable = config.access && !skipped('access.trustedKeys') && options.checkFiles !== false && !fileProblems.some((p) => p.path === 'access.trustedKeys');
  return {
    station: found.length === 0 ? { file: abs, config, profiles, notices: dedupe(notices) } : undefined,
    problems: dedupe(found),
    trustedKeys: keysReadable && config.access ? config.access.trustedKeys : undefined,
  };
}

/** The profiles of the devices that name one, by device id; their problems go to `found`. */
function loadProfiles(
  abs: string,
  parsed: ParsedYaml,
  config: StationConfig,
  standIns: ReadonlySet<number>,
  found: ConfigProblem[],
  notices: ConfigProblem[],
  label: (p: readonly PropertyKey[]) => string,
): Map<string, Profile> {
  const profiles = new Map<string, Profile>();
  config.devices.forEach((device, i) => {
    if (!device.profile || standIns.has(i)) return;
    // The station file's line of `profile:` for what is wrong with the choice; the profile's own lines for what is wrong inside it.
    const key = ['devices', i, 'profile'];
    const profileFile = resolveProfileFile(device.profile, abs);
    const loaded = loadProfileFile(profileFile);
    if (!loaded.profile) {
      const missing = loaded.problems.length === 1 && loaded.problems[0]?.message === 'file not found';
      if (missing) found.push(at(abs, parsed, key, `profile "${device.profile}" not found (looked for ${profileFile})`, label));
      else found.push(...loaded.problems);
      return;
    }
    if (loaded.profile.kind !== device.kind) {
      found.push(at(abs, parsed, key, `profile "${device.profile}" describes ${a(loaded.profile.kind)}, but the device is ${a(device.kind)}`, label));
      return;
    }
    // The profile's own lines: the roles it binds are what is wrong, not the device's choice of it.
    const fit = checkProfileFit(loaded.profile, { file: profileFile, parsed: loaded.parsed });
    found.push(...fit.problems);
    notices.push(...fit.notices);
    if (fit.problems.length === 0) profiles.set(device.id, loaded.profile);
  });
  return profiles;
}

const a = (kind: string): string => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

function at(file: string, parsed: ParsedYaml, path: readonly PropertyKey[], message: string, label: (p: readonly PropertyKey[]) => string): ConfigProblem {
  return { file, line: lineOf(parsed, path), path: label(path), message };
}

/** The station file's problems top to bottom, then each other file's (profiles, keys). */
function ordered(stationFile: string, problems: ConfigProblem[]): ConfigProblem[] {
  const rank = (p: ConfigProblem): string => (p.file === stationFile ? '' : p.file);
  return [...problems].sort((a, b) => rank(a).localeCompare(rank(b)) || (a.line ?? 0) - (b.line ?? 0));
}

/** Two devices naming one broken vendor profile would report its problems twice. */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `devices[2]` becomes `devices[2] (cabinet-1)`: crews think in device ids, not indexes. */
function labelPath(raw: unknown, path: readonly PropertyKey[]): string {
  const text = renderPath(path);
  if (path[0] !== 'devices' || typeof path[1] !== 'number') return text;
  const id = (raw as { devices?: Array<{ id?: unknown }> }).devices?.[path[1]]?.id;
  if (typeof id !== 'string') return text;
  const head = `devices[${path[1]}]`;
  return `${head} (${id})${text.slice(head.length)}`;
}

function makePathsAbsolute(config: StationConfig, base: string): StationConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const opt = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p));
  const cloud = { ...config.cloud };
  for (const key of ['ca', 'cert', 'key', 'passwordFile'] as const) {
    const v = opt(cloud[key]);
    if (v !== undefined) cloud[key] = v;
  }
  return {
    ...config,
    cloud,
    storage: { ...config.storage, path: abs(config.storage.path) },
    access: config.access ? { ...config.access, trustedKeys: abs(config.access.trustedKeys) } : undefined,
    remoteConfig: config.remoteConfig ? { ...config.remoteConfig, keys: abs(config.remoteConfig.keys), stateDir: abs(config.remoteConfig.stateDir) } : undefined,
    update: config.update ? { ...config.update, releaseKey: abs(config.update.releaseKey), keys: abs(config.update.keys), ca: opt(config.update.ca) } : undefined,
    statusPage: config.statusPage ? { ...config.statusPage, passwordFile: abs(config.statusPage.passwordFile) } : undefined,
    devices: config.devices.map((d) =>
      'path' in d.transport ? { ...d, transport: { ...d.transport, path: abs(d.transport.path) } } : d,
    ),
  };
}
