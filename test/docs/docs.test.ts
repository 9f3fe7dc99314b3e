import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../config/config-reference.js';
import { packageRoot } from '../../config/package-root.js';
import { DEVICE_ERROR_CODES } from '../../device-drivers/device-error.js';

const root = packageRoot();
const read = (...p: string[]): string => readFileSync(join(root, ...p), 'utf8');

describe('documentation that is checked against the code', () => {
  it('docs/configuration.md is what the schema renders (run npm run docs:config)', () => {
    expect(read('docs', 'configuration.md')).toBe(renderConfigReference());
  });

  it('docs/errors.md lists every error code the source defines', () => {
    const doc = read('docs', 'errors.md');
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', ':!test/**'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    const codes = new Set<string>(Object.keys(DEVICE_ERROR_CODES));
    for (const f of files) {
      for (const m of read(f).matchAll(/readonly code = '([A-Z_]+)'/g)) codes.add(m[1] as string);
    }
    expect(codes.size).toBeGreaterThan(8);
    for (const code of codes) expect(doc, `docs/errors.md is missing ${code}`).toContain(`\`${code}\``);
  });
});

/** Every file the project tracks or is about to (a fresh clone has exactly these). */
const projectFiles = (...patterns: string[]): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && existsSync(join(root, f)));

describe('the project stands alone: a clone with nothing beside it', () => {
  it('no file reads or links to the team\'s reference folder beside the project', () => {
    const offenders: string[] = [];
    for (const f of projectFiles(':!package-lock.json', ':!test/docs/docs.test.ts')) {
      if (/\.(png|svg|jpg|ico)$/.test(f)) continue;
      const text = read(f);
      text.split('\n').forEach((line, i) => {
        if (/\.\.\/shared\b|\bshared\/specs\b|\bshared\/PITFALLS/.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('every relative link in the Markdown docs points at a file inside the repository', () => {
    const broken: string[] = [];
    for (const f of projectFiles('*.md')) {
      for (const m of read(f).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] as string).split('#')[0] as string;
        if (!target || /^[a-z]+:/i.test(target)) continue;
        const abs = resolve(root, dirname(f), target);
        const inside = !relative(root, abs).startsWith('..');
        if (!inside || !existsSync(abs)) broken.push(`${f}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README quick start names what a fresh machine needs to build the native modules', () => {
    const quickStart = read('README.md').split('## Quick start')[1]?.split('\n## ')[0] ?? '';
    for (const tool of ['python3', 'make', 'g++']) expect(quickStart, tool).toContain(`\`${tool}\``);
  });

  it('every dependency with an install script is reviewed in package.json allowScripts (npm 11 warns, npm 12 blocks)', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
    const reviewed = new Set(Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@[^@]*$/, '$1')));
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect([...new Set(withScripts)].filter((name) => !reviewed.has(name))).toEqual([]);
  });
});
