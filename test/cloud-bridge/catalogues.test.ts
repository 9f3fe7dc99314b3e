import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_CATALOGUE, alarmEntry } from '../../cloud-bridge/alarm-catalogue.js';
import { renderCatalogueFiles } from '../../cloud-bridge/catalogue-reference.js';
import { PAYLOADS } from '../../cloud-bridge/contract-reference.js';
import { EVENT_CATALOGUE, EVENT_TYPES, eventEntry } from '../../cloud-bridge/event-catalogue.js';
import { packageRoot } from '../../config/package-root.js';
import { compareWithCatalogue, projectSources, scanSources, type CatalogueView, type SourceText } from './catalogue-scan.js';

const catalogue: CatalogueView = { alarms: ALARM_CATALOGUE, events: EVENT_TYPES };
const sources = projectSources();

describe('the alarm and event catalogues against the code', () => {
  it('every alarm raised and event recorded is listed (with the severity raised), and everything listed is raised', () => {
    const found = scanSources(sources);
    // The scan sees the code at all: the gateway raises a score of alarms and records as many event types.
    expect(found.alarms.length).toBeGreaterThan(15);
    expect(found.events.length).toBeGreaterThan(15);
    expect(compareWithCatalogue(found, catalogue)).toEqual([]);
  });

  it('fails on an alarm the catalogue lacks, or raised with another severity, added to the real code', () => {
    const added: SourceText = {
      path: 'gateway/station/pump-watch.ts',
      text: `export const PUMP_ALARM = 'water.pump-dry';\nexport function watch(alarms) {\n  alarms.raise({ alarm: PUMP_ALARM, severity: 'major', device: 'water-1' });\n  alarms.raise({ alarm: 'water.leak', severity: 'minor', device: 'water-1' });\n}\n`,
    };
    const problems = compareWithCatalogue(scanSources([...sources, added]), catalogue);
    expect(problems).toEqual([
      'gateway/station/pump-watch.ts:3 raises water.pump-dry, which the alarm catalogue lacks',
      'gateway/station/pump-watch.ts:4 raises water.leak as minor; the catalogue says critical',
    ]);
  });

  it('fails on a dead entry: the real code without the part that raises station.smoke and smoke-detector.fault', () => {
    const without = sources.filter((s) => s.path !== 'gateway/station/smoke-watch.ts');
    expect(without.length).toBe(sources.length - 1);
    expect(compareWithCatalogue(scanSources(without), catalogue)).toEqual([
      'the alarm catalogue lists station.smoke, which nothing raises',
      'the alarm catalogue lists station.smoke as critical, which nothing raises it as',
      'the alarm catalogue lists smoke-detector.fault, which nothing raises',
      'the alarm catalogue lists smoke-detector.fault as major, which nothing raises it as',
    ]);
  });

  it('fails on an event type recorded but not listed, and on one listed but recorded by nothing', () => {
    const added: SourceText = { path: 'gateway/station/pump-watch.ts', text: `export const f = (recorder) => recorder.record({ type: 'pump.started', device: 'water-1', data: {} });\n` };
    const withDead: CatalogueView = { alarms: ALARM_CATALOGUE, events: [...EVENT_TYPES, 'water.refilled'] };
    expect(compareWithCatalogue(scanSources([...sources, added]), withDead)).toEqual([
      'gateway/station/pump-watch.ts:1 records pump.started, which the event catalogue lacks',
      'the event catalogue lists water.refilled, which nothing records',
    ]);
  });
});

describe('the source scan', () => {
  const files: SourceText[] = [
    { path: 'gateway/station/names.ts', text: `export const STILL = 'person.still';\nexport const WATER = { leak: 'water.leak', low: 'water.tank-low' } as const;\nexport const hot = (slot: number): string => \`slot.overheat.\${slot}\`;\n` },
    {
      path: 'gateway/station/user.ts',
      text: [
        `import { STILL, WATER, hot } from './names.js';`,
        `export function f(alarms, recorder, event, serious: boolean) {`,
        `  alarms.raise({ alarm: STILL, severity: 'critical' });`,
        `  alarms.raise({`,
        `    alarm: hot(3),`,
        `    severity: serious ? 'critical' : 'major',`,
        `  });`,
        `  alarms.raiseVolatile({ alarm: WATER.low, severity: 'warning' });`,
        `  alarms.raise({ alarm: event.name, severity: 'major' });`,
        `  switch (event.type) {`,
        `    case 'door.opened':`,
        `    case 'door.closed':`,
        `      recorder.record({ type: event.type, data: {} });`,
        `      return;`,
        `    case 'scan':`,
        `      return;`,
        `  }`,
        `}`,
      ].join('\n'),
    },
    // A device driver's own events are not the station's.
    { path: 'device-drivers/x/driver.ts', text: `export const e = { type: 'presence.changed', data: { presence: true } };\n` },
  ];

  it('resolves constants, objects, name-building functions and conditionals, and the case labels of a forwarded event', () => {
    const found = scanSources(files);
    expect(found.alarms.map((a) => [a.name, a.severities, a.at])).toEqual([
      ['person.still', ['critical'], 'gateway/station/user.ts:3'],
      ['slot.overheat.<n>', ['critical', 'major'], 'gateway/station/user.ts:4'],
      ['water.tank-low', ['warning'], 'gateway/station/user.ts:8'],
    ]);
    expect(found.unresolved).toEqual(['gateway/station/user.ts:9: alarms.raise({ alarm: event.name, severity: \'major\' })']);
    expect(found.events.map((e) => e.name).sort()).toEqual(['door.closed', 'door.opened']);
  });

  it('a literal name falls under its pattern: slot.overheat.3 is slot.overheat.<n>', () => {
    const literal: SourceText = { path: 'gateway/station/x.ts', text: `export const f = (alarms) => alarms.raise({ alarm: 'slot.overheat.3', severity: 'critical' });\n` };
    const view: CatalogueView = { alarms: [{ name: 'slot.overheat.<n>', severities: ['critical'] }], events: [] };
    expect(compareWithCatalogue(scanSources([literal]), view)).toEqual([]);
    expect(compareWithCatalogue(scanSources([literal]), { alarms: [{ name: 'slot.overheat', severities: ['critical'] }], events: [] })).toContain('gateway/station/x.ts:1 raises slot.overheat.3, which the alarm catalogue lacks');
  });

  it('a raise it cannot read is a failure, not a pass', () => {
    expect(compareWithCatalogue(scanSources(files), { alarms: [], events: [] })[0]).toMatch(/^cannot tell which alarm or severity this raises: gateway\/station\/user.ts:9/);
  });
});

describe('the catalogues', () => {
  it('match alarm names to patterns by door number', () => {
    expect(alarmEntry('slot.overheat.3')?.name).toBe('slot.overheat.<n>');
    expect(alarmEntry('slot.overheat.12')?.name).toBe('slot.overheat.<n>');
    expect(alarmEntry('slot.overheat.0')).toBeUndefined();
    expect(alarmEntry('slot.overheat.x')).toBeUndefined();
    expect(alarmEntry('water.tank-low')?.severities).toEqual(['warning']);
    expect(alarmEntry('tank.low')).toBeUndefined();
  });

  it('give every event type a data schema that refuses a payload of the wrong shape', () => {
    expect(eventEntry('door.opened')?.data.safeParse({ door: 1 }).success).toBe(true);
    expect(eventEntry('door.opened')?.data.safeParse({ door: 0 }).success).toBe(false);
    expect(eventEntry('alarm.raised')?.data.safeParse({ alarm: 'water.tank-low', severity: 'major-ish' }).success).toBe(false);
    expect(eventEntry('swap.aborted')?.data.safeParse({ swapId: '01JR8Y4A0B1C2D3E4F5G6H7J8K', reason: 'bored', emptySlot: 1 }).success).toBe(false);
    expect(eventEntry('no.such')).toBeUndefined();
    for (const [type, e] of Object.entries(EVENT_CATALOGUE)) expect(e.description, type).not.toBe('');
  });
});

describe('the contract reference\'s examples', () => {
  it('name alarms and event types as the catalogues do, with their severities (they once said tank.low, major)', () => {
    const alarms = [
      ...((PAYLOADS['alarms']?.example as { alarms: Array<{ alarm: string; severity: string }> }).alarms),
      ...((PAYLOADS['snapshot-result']?.example as { alarms: Array<{ alarm: string; severity: string }> }).alarms),
    ];
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect((alarmEntry(a.alarm)?.severities ?? []) as readonly string[], `${a.alarm} is in the alarm catalogue as ${a.severity}`).toContain(a.severity);
    const event = PAYLOADS['event']?.example as { type: string; data: unknown };
    expect(eventEntry(event.type)?.data.safeParse(event.data).success, event.type).toBe(true);
  });
});

describe('docs/alarms-and-events.md and docs/contract/events/', () => {
  it('are what the catalogues render (npm run docs:contract)', () => {
    const files = renderCatalogueFiles();
    for (const [rel, content] of files) expect(readFileSync(join(packageRoot(), 'docs', rel), 'utf8'), `docs/${rel} is stale`).toBe(content);
    const committed = readdirSync(join(packageRoot(), 'docs', 'contract', 'events')).map((f) => `contract/events/${f}`);
    expect(committed.filter((f) => !files.has(f)), 'schemas of event types no longer listed').toEqual([]);
  });
});
