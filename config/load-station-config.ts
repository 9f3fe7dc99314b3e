import { accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { loadProfileFile, resolveProfileFile } from './load-profile.js';
import type { Profile } from './profile-schema.js';
import { issuesToProblems, readYamlFile, renderPath } from './read-yaml-file.js';
import { stationConfigSchema, type StationConfig } from './station-schema.js';

export interface LoadedStation {
  /** Absolute path of the station file. */
  file: string;
  /** Validated, with defaults filled in and every file path made absolute. */
  config: StationConfig;
  /** Profiles by device id, for the Modbus devices. */
  profiles: Map<string, Profile>;
}

export interface LoadOptions {
  /** Replace cloud.url (the demo and bench runs point a station at a broker of their own). */
  cloudUrl?: string;
  /** Check that the files the config names exist; off for `validate` of a file written elsewhere. */
  checkFiles?: boolean;
}

/**
 * Loads a station file and everything it names. Collects every problem it can find before it
 * gives up, so a crew fixes a file in one pass instead of one error per start.
 * Relative paths in the file are relative to the file's own folder.
 */
export function loadStationConfig(file: string, options: LoadOptions = {}): LoadedStation {
  const abs = resolve(file);
  const { parsed, problems } = readYamlFile(abs);
  if (!parsed) throw new ConfigError(problems);

  if (options.cloudUrl !== undefined) {
    const raw = parsed.value as { cloud?: Record<string, unknown> };
    raw.cloud = { ...(raw.cloud ?? {}), url: options.cloudUrl };
  }
  const result = stationConfigSchema.safeParse(parsed.value);
  if (!result.success) {
    throw new ConfigError(issuesToProblems(abs, parsed, result.error.issues, (p) => labelPath(parsed.value, p)));
  }
  const config = makePathsAbsolute(result.data, dirname(abs));

  const found: ConfigProblem[] = [];
  if (options.checkFiles !== false) found.push(...checkNamedFiles(abs, config));

  const profiles = new Map<string, Profile>();
  config.devices.forEach((device, i) => {
    if (!device.profile) return;
    const where = labelPath(parsed.value, ['devices', i, 'profile']);
    const profileFile = resolveProfileFile(device.profile, abs);
    const loaded = loadProfileFile(profileFile);
    if (!loaded.profile) {
      const missing = loaded.problems.length === 1 && loaded.problems[0]?.message === 'file not found';
      if (missing) found.push({ file: abs, path: where, message: `profile "${device.profile}" not found (looked for ${profileFile})` });
      else found.push(...loaded.problems);
      return;
    }
    if (loaded.profile.kind !== device.kind) {
      found.push({ file: abs, path: where, message: `profile "${device.profile}" describes a ${loaded.profile.kind}, but the device is a ${device.kind}` });
      return;
    }
    profiles.set(device.id, loaded.profile);
  });

  if (found.length > 0) throw new ConfigError(found);
  return { file: abs, config, profiles };
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
    ...(config.access ? { access: { ...config.access, trustedKeys: abs(config.access.trustedKeys) } } : {}),
    ...(config.statusPage ? { statusPage: { ...config.statusPage, passwordFile: abs(config.statusPage.passwordFile) } } : {}),
    devices: config.devices.map((d) =>
      'path' in d.transport ? { ...d, transport: { ...d.transport, path: abs(d.transport.path) } } : d,
    ),
  };
}

function checkNamedFiles(file: string, config: StationConfig): ConfigProblem[] {
  const named: Array<[string, string | undefined]> = [
    ['cloud.ca', config.cloud.ca],
    ['cloud.cert', config.cloud.cert],
    ['cloud.key', config.cloud.key],
    ['cloud.passwordFile', config.cloud.passwordFile],
    ['access.trustedKeys', config.access?.trustedKeys],
    ['statusPage.passwordFile', config.statusPage?.passwordFile],
  ];
  const out: ConfigProblem[] = [];
  for (const [path, p] of named) {
    if (p === undefined) continue;
    try {
      accessSync(p, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ file, path, message: code === 'ENOENT' ? `file not found: ${p}` : `cannot read ${p} (${code ?? 'error'})` });
    }
  }
  return out;
}
