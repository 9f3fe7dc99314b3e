import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import { loadProfileFile } from '../../config/load-profile.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { builtinProfilesDir, packageRoot } from '../../config/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';
import { PROPERTY_TIMEOUT_MS, settings } from './fuzz-settings.js';

/*
 * Station files and profiles as a crew edits them, badly: arbitrary YAML, and the shipped files
 * with lines cut, doubled, swapped or retyped. Loading either succeeds or throws ConfigError whose
 * every problem names a file it read; nothing else escapes, nothing hangs.
 */

const DEMO = readFileSync(join(packageRoot(), 'config', 'demo-station.yaml'), 'utf8');
const PROFILE_FILES = readdirSync(builtinProfilesDir()).filter((f) => f.endsWith('.yaml'));
const PROFILES = new Map(PROFILE_FILES.map((f) => [f, readFileSync(join(builtinProfilesDir(), f), 'utf8')]));

/** YAML's sharp edges: indicators, anchors and aliases, tags, odd scalars. */
const yamlPiece = fc.constantFrom(
  ':', ': ', '- ', '-', '[', ']', '{', '}', ',', '#', '&a ', '*a', '&b [*a, *a]', '!!str ', '!!binary ', '!custom ', '|', '>-', '"', "'",
  '%YAML 1.2\n', '---\n', '...\n', '<<: *a', '? ', '\t', '\n', '\n  ', '~', 'null', '.inf', '-.inf', '.nan', '0x1F', '0o17', '1e400',
  '-1', '65536', '2026-01-01', 'yes', 'no', '__proto__', 'constructor', '\u0000', '\uFEFF', '\u2028', '😀',
);
const yamlText = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.array(fc.oneof(yamlPiece, fc.string({ maxLength: 8 })), { maxLength: 40 }).map((parts) => parts.join('')),
);

type Mutation =
  | { op: 'delete' | 'duplicate'; line: number }
  | { op: 'swap'; line: number; other: number }
  | { op: 'insert' | 'replace'; at: number; text: string }
  | { op: 'truncate'; at: number }
  | { op: 'scalar'; line: number; value: string }
  | { op: 'indent'; line: number; by: number };

const scalarValue = fc.oneof(
  fc.constantFrom('', '~', 'null', '[]', '{}', '-1', '0', '1.5', '99999999999999999999', '1e400', '.nan', 'true', '"x"', '*a', '&a', '!!binary x', '{ a: 1 }', '[1, 2]', '"../../../../etc/passwd"', '2026-13-45'),
  fc.string({ maxLength: 12 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constantFrom('insert' as const, 'replace' as const), at: fc.nat(), text: fc.oneof(yamlPiece, fc.string({ maxLength: 6 })) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('scalar' as const), line: fc.nat(), value: scalarValue }),
  fc.record({ op: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const lines = out.split('\n');
    const n = lines.length;
    switch (m.op) {
      case 'delete':
        lines.splice(m.line % n, 1);
        break;
      case 'duplicate':
        lines.splice(m.line % n, 0, lines[m.line % n] ?? '');
        break;
      case 'swap': {
        const [a, b] = [m.line % n, m.other % n];
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        break;
      }
      case 'scalar': {
        const i = m.line % n;
        lines[i] = (lines[i] ?? '').replace(/:\s+[^#\n]*/, `: ${m.value}`);
        break;
      }
      case 'indent': {
        const i = m.line % n;
        const line = lines[i] ?? '';
        lines[i] = m.by >= 0 ? ' '.repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
        break;
      }
      case 'insert': {
        const at = m.at % (out.length + 1);
        out = out.slice(0, at) + m.text + out.slice(at);
        continue;
      }
      case 'replace': {
        const at = m.at % (out.length + 1);
        out = out.slice(0, at) + m.text + out.slice(at + m.text.length);
        continue;
      }
      case 'truncate':
        out = out.slice(0, m.at % (out.length + 1));
        continue;
    }
    out = lines.join('\n');
  }
  return out;
}

let dir: { path: string; remove(): void };
let station: string;

beforeAll(() => {
  dir = tempDir('station-fuzz-');
  station = join(dir.path, 'station.yaml');
  mkdirSync(join(dir.path, 'profiles'));
});
afterAll(() => dir.remove());

/** Loads the station file; returns 'ok' or the problems of the ConfigError, rethrowing anything else. */
function loadOutcome(options: { checkFiles: boolean }): 'ok' | ConfigError['problems'] {
  try {
    loadStationConfig(station, options);
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

function expectNamedProblems(outcome: 'ok' | ConfigError['problems'], files: readonly string[]): void {
  if (outcome === 'ok') return;
  expect(outcome.length).toBeGreaterThan(0);
  for (const p of outcome) {
    expect(files).toContain(p.file);
    expect(p.message.length).toBeGreaterThan(0);
  }
}

describe('station files', () => {
  it(
    'arbitrary YAML text loads or throws ConfigError naming the file',
    () => {
      fc.assert(
        fc.property(yamlText, fc.boolean(), (text, checkFiles) => {
          writeFileSync(station, text);
          expectNamedProblems(loadOutcome({ checkFiles }), [station]);
        }),
        settings(400),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'mutations of demo-station.yaml load or throw ConfigError naming the station or a profile it names',
    () => {
      const localProfiles = PROFILE_FILES.map((f) => join(dir.path, 'profiles', f));
      for (const f of PROFILE_FILES) copyFileSync(join(builtinProfilesDir(), f), join(dir.path, 'profiles', f));
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, checkFiles) => {
          const text = mutate(DEMO, mutations);
          writeFileSync(station, text);
          // A mutation may point a device's profile at any path (`../../etc/passwd`): that file's
          // problems are named as that file's, which is as right as naming a shipped profile.
          const outcome = loadOutcome({ checkFiles });
          const named = outcome === 'ok' ? [] : outcome.map((p) => p.file).filter((f) => f !== station && !localProfiles.includes(f) && text.includes(basename(f)));
          expectNamedProblems(outcome, [station, ...localProfiles, ...named]);
        }),
        settings(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'mutations of the profiles a station names: ConfigError naming the profile file, never another exception',
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...PROFILE_FILES), fc.array(mutation, { minLength: 1, maxLength: 4 }), (name, mutations) => {
          for (const f of PROFILE_FILES) writeFileSync(join(dir.path, 'profiles', f), PROFILES.get(f) ?? '');
          const file = join(dir.path, 'profiles', name);
          writeFileSync(file, mutate(PROFILES.get(name) ?? '', mutations));
          writeFileSync(station, DEMO);
          expectNamedProblems(loadOutcome({ checkFiles: false }), [station, file]);
        }),
        settings(120),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('profile files', () => {
  it(
    'loadProfileFile never throws: a profile, or problems that name the file',
    () => {
      const file = join(dir.path, 'profile.yaml');
      fc.assert(
        fc.property(
          fc.oneof(
            yamlText,
            fc.tuple(fc.constantFrom(...PROFILE_FILES), fc.array(mutation, { minLength: 1, maxLength: 5 })).map(([name, ms]) => mutate(PROFILES.get(name) ?? '', ms)),
          ),
          (text) => {
            writeFileSync(file, text);
            const { profile, problems } = loadProfileFile(file);
            if (profile) expect(problems).toEqual([]);
            else expectNamedProblems(problems, [file]);
          },
        ),
        settings(500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('resource bounds (regressions)', () => {
  // A billion laughs: 10^6 nodes from 60 bytes of aliases. yaml's maxAliasCount stops the
  // expansion by throwing a ReferenceError, which escaped the loader before the fix.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`)].join('\n');

  // Found by the first property: a lone alias with no anchor threw ReferenceError out of the loader.
  it('an alias with no anchor (`*a`) is a ConfigError naming the file', () => {
    writeFileSync(station, '*a');
    const outcome = loadOutcome({ checkFiles: false });
    expect(outcome).not.toBe('ok');
    expectNamedProblems(outcome, [station]);
  });

  it('an alias bomb in a station file is a ConfigError naming the file', () => {
    writeFileSync(station, `${bomb}\n`);
    const outcome = loadOutcome({ checkFiles: false });
    expect(outcome).not.toBe('ok');
    expectNamedProblems(outcome, [station]);
    expect(JSON.stringify(outcome)).toMatch(/alias/i);
  });

  it('an alias bomb in a profile is a problem naming the profile file', () => {
    const file = join(dir.path, 'bomb-profile.yaml');
    writeFileSync(file, `${bomb}\n`);
    const { profile, problems } = loadProfileFile(file);
    expect(profile).toBeUndefined();
    expectNamedProblems(problems, [file]);
  });

  it('a station file of many megabytes is refused before it is parsed', () => {
    writeFileSync(station, `# ${'x'.repeat(4 * 1024 * 1024)}\nstation: { id: big }\n`);
    const outcome = loadOutcome({ checkFiles: false });
    expect(outcome).not.toBe('ok');
    expectNamedProblems(outcome, [station]);
    expect(JSON.stringify(outcome)).toMatch(/bytes/);
  });
});
