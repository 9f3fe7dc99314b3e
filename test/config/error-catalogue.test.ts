import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_ERROR_CODES, replySchema } from '../../cloud-bridge/contract-schemas.js';
import { ERROR_AREAS, ERROR_CATALOGUE, EXIT_STATUSES, errorCodesIn, errorEntry, type ErrorCodeEntry } from '../../config/error-catalogue.js';
import { renderErrorCodesReference } from '../../config/error-codes-reference.js';
import { packageRoot } from '../../config/package-root.js';
import { DEVICE_ERROR_CODES } from '../../device-drivers/device-error.js';
import { EXIT } from '../../gateway/cli/exit-codes.js';
import { compareWithErrorCatalogue, projectSources, scanErrorCodes, type ErrorCatalogueView, type SourceText } from './error-code-scan.js';

const sources = projectSources();
const catalogue: ErrorCatalogueView = ERROR_CATALOGUE;

describe('the error catalogue against the code', () => {
  it('every code raised is listed, and every code listed is raised', () => {
    const found = scanErrorCodes(sources);
    // The scan sees the code at all: the project raises some fifty codes from a hundred places.
    expect(new Set(found.map((r) => r.code)).size).toBeGreaterThan(40);
    expect(found.length).toBeGreaterThan(100);
    expect(compareWithErrorCatalogue(found, catalogue)).toEqual([]);
  });

  it('fails on codes the catalogue lacks, added to the real code: a constructor\'s, a class\'s, a log entry\'s, an assignment\'s', () => {
    const added: SourceText = {
      path: 'gateway/station/pump-watch.ts',
      text: [
        `import { DeviceError } from '../../device-drivers/device-error.js';`,
        `const SLOW = 'PUMP_SLOW';`,
        `export class PumpDryError extends Error {`,
        `  readonly code = 'PUMP_DRY';`,
        `}`,
        `export function watch(log, dry: boolean) {`,
        `  log.warn({ code: SLOW, device: 'water-1' }, 'pump slow');`,
        `  if (dry) throw new DeviceError(dry ? 'GARBLED' : 'TIMEOUT', 'pump answered garbage');`,
        `  let code = 'TIMEOUT';`,
        `  code = 'PUMP_STUCK';`,
        `  return code;`,
        `}`,
      ].join('\n'),
    };
    expect(compareWithErrorCatalogue(scanErrorCodes([...sources, added]), catalogue)).toEqual([
      'gateway/station/pump-watch.ts:4 raises PUMP_DRY, which the error catalogue lacks',
      'gateway/station/pump-watch.ts:7 raises PUMP_SLOW, which the error catalogue lacks',
      'gateway/station/pump-watch.ts:8 raises GARBLED, which the error catalogue lacks',
      'gateway/station/pump-watch.ts:10 raises PUMP_STUCK, which the error catalogue lacks',
    ]);
  });

  it('fails on a dead entry: the real code without the log of failed status-page logins, and a code nothing raises', () => {
    const without = sources.filter((s) => s.path !== 'gateway/ops/status-page/failed-login-log.ts');
    expect(without.length).toBe(sources.length - 1);
    const withDead: ErrorCatalogueView = { ...catalogue, PUMP_DRY: { shows: ['log'] } };
    expect(compareWithErrorCatalogue(scanErrorCodes(without), withDead)).toEqual([
      'the error catalogue lists STATUS_PAGE_LOGIN, which nothing raises',
      'the error catalogue lists PUMP_DRY, which nothing raises',
    ]);
  });

  it('fails on a code logged that the catalogue says never shows in the log', () => {
    const added: SourceText = { path: 'gateway/cli/x.ts', text: `export const f = (log) => log.error({ code: 'USAGE' }, 'bad command line');\n` };
    expect(compareWithErrorCatalogue(scanErrorCodes([...sources, added]), catalogue)).toEqual(['gateway/cli/x.ts:1 logs USAGE; the catalogue does not say it shows in the log']);
  });
});

describe('the error code scan', () => {
  const file: SourceText = {
    path: 'device-drivers/x/driver.ts',
    text: [
      `const FALLBACK = 'PROTOCOL';`,
      `export function f(err, log, serious: boolean) {`,
      `  toDeviceError(err, FALLBACK);`,
      `  throw new DeviceError('REFUSED', 'refused', { code: 'BADDOOR' });`,
      `}`,
      `export const g = (err) => {`,
      `  if (err.code === 'UNSUPPORTED') return { code: err.code };`,
      `  return Object.assign(new Error('no CONNACK'), { code: 'ETIMEDOUT' });`,
      `};`,
      `export const h = (log, serious: boolean) => log.info({ code: serious ? 'CRC' : 'CHECKSUM', custom: { code: 'custom' } }, 'x');`,
    ].join('\n'),
  };

  it('reads constants and conditionals; leaves out a device\'s own code in a detail, Node\'s error names, codes compared or forwarded', () => {
    expect(scanErrorCodes([file]).map((r) => [r.code, r.at, r.logged])).toEqual([
      ['PROTOCOL', 'device-drivers/x/driver.ts:3', false],
      ['REFUSED', 'device-drivers/x/driver.ts:4', false],
      ['CRC', 'device-drivers/x/driver.ts:10', true],
      ['CHECKSUM', 'device-drivers/x/driver.ts:10', true],
    ]);
  });
});

describe('the error catalogue', () => {
  it('is the source of the device codes, in the order health.errors has always published them', () => {
    expect(Object.keys(DEVICE_ERROR_CODES)).toEqual(['TIMEOUT', 'CRC', 'CHECKSUM', 'EXCEPTION', 'DISCONNECTED', 'PROTOCOL', 'REFUSED', 'UNSUPPORTED', 'ENCODING']);
    expect(DEVICE_ERROR_CODES.TIMEOUT).toBe(ERROR_CATALOGUE.TIMEOUT.meaning);
  });

  it('is the source of the command reply codes, exactly the list on the wire', () => {
    expect(COMMAND_ERROR_CODES).toEqual([
      'BAD_REQUEST', 'BAD_TOKEN', 'UNKNOWN_KEY', 'EXPIRED', 'NOT_YET_VALID', 'WRONG_STATION', 'UNKNOWN_RESOURCE', 'FORBIDDEN', 'REPLAYED',
      'CLOSED', 'FULL', 'DEVICE_OFFLINE', 'DEVICE_ERROR', 'BUSY', 'NO_BATTERY', 'CLOCK_UNTRUSTED', 'INTERNAL',
      'REVOKED', 'PASSBACK', 'NOT_ACTIVE',
    ]);
    expect(replySchema.safeParse({ ok: false, error: { code: 'NO_BATTERY', message: 'x' } }).success).toBe(true);
    // A code of another area is not a reply's.
    expect(replySchema.safeParse({ ok: false, error: { code: 'STORE_FULL', message: 'x' } }).success).toBe(false);
    expect(errorCodesIn('command')).toEqual(COMMAND_ERROR_CODES);
  });

  it('gives every code an area, a meaning, where it shows and what to do; an exit status only with a place a person sees it', () => {
    for (const [code, e] of Object.entries(ERROR_CATALOGUE) as Array<[string, ErrorCodeEntry]>) {
      expect(Object.hasOwn(ERROR_AREAS, e.area), code).toBe(true);
      for (const text of [e.meaning, e.action, e.raisedBy]) expect(text.trim(), code).not.toBe('');
      if (e.exit !== undefined) expect(e.shows.some((s) => s === 'log' || s === 'stderr'), code).toBe(true);
    }
    expect(errorEntry('STORE_FULL')?.area).toBe('store');
    expect(errorEntry('toString')).toBeUndefined();
  });

  it('names the exit statuses the tools use', () => {
    expect(Object.values(EXIT).sort()).toEqual(Object.keys(EXIT_STATUSES).map(Number));
  });
});

describe('docs/errors.md', () => {
  it('is what the error catalogue renders (npm run docs:config)', () => {
    expect(readFileSync(join(packageRoot(), 'docs', 'errors.md'), 'utf8')).toBe(renderErrorCodesReference());
  });

  it('has a row for every code under its area, and keeps the anchor the contract links to (#command-replies)', () => {
    const doc = renderErrorCodesReference();
    expect(doc).toContain('\n## Command replies\n');
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      const section = doc.split(`\n## ${ERROR_AREAS[e.area].title}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain(`| \`${code}\` |`);
    }
  });
});
