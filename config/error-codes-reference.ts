import { ERROR_AREAS, ERROR_CATALOGUE, EXIT_STATUSES, type ErrorArea, type ErrorCodeEntry } from './error-catalogue.js';

/*
 * Renders the error code reference (docs/errors.md) from the error catalogue, the same one the
 * typed code lists are cut from, so the page cannot drift from what the code raises: a test fails
 * when it is stale (`npm run docs:config`).
 */

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Who reads a section's last column. */
const DOES: Record<ErrorArea, string> = {
  device: 'what a crew does',
  command: 'what the cloud does',
  bridge: 'what an operator does',
  store: 'what a crew does',
  config: 'what a crew does',
  station: 'what to do',
  ops: 'what a crew does',
  enrolment: 'what an operator does',
  update: 'what to do',
  cli: 'what to do',
  simulator: 'what to do',
  console: 'what the operator does',
};

function shows(e: ErrorCodeEntry): string {
  return [...e.shows, ...(e.exit === undefined ? [] : [`exit ${e.exit}`])].join(', ');
}

function section(area: ErrorArea): string[] {
  const entries = (Object.entries(ERROR_CATALOGUE) as Array<[string, ErrorCodeEntry]>).filter(([, e]) => e.area === area);
  // A column that says the same on every row is said once, in the section's text.
  const oneRaiser = entries.length > 1 && new Set(entries.map(([, e]) => e.raisedBy)).size === 1;
  const head = oneRaiser ? ['code', 'meaning', 'shows in', DOES[area]] : ['code', 'raised by', 'meaning', 'shows in', DOES[area]];
  const rows = entries.map(([code, e]) => (oneRaiser ? [`\`${code}\``, e.meaning, shows(e), e.action] : [`\`${code}\``, e.raisedBy, e.meaning, shows(e), e.action]));
  return [
    `## ${ERROR_AREAS[area].title}`,
    '',
    ERROR_AREAS[area].about,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
}

export function renderErrorCodesReference(): string {
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from config/error-catalogue.ts by `npm run docs:config`; do not edit. -->',
    '',
    'Every error the gateway and its tools report carries a code. Logs, health counters, events and command',
    'replies key on the code; the message is for people. The tests fail when the code raises a code that is',
    'not here, or when a code here is raised by nothing (test/config/error-catalogue.test.ts).',
    '',
    '"Shows in": `log` is the gateway\'s JSON log (`code` field); `device state` the `health.errors` of',
    '`S/devices/<id>`; `metrics` the Prometheus endpoint; `event` and `alarm` what the station publishes on',
    '`S/events` and `S/alarms`; `doctor` the rows of `station-gateway doctor`; `command reply` a command\'s reply',
    'on MQTT; `control API` the simulators\' HTTP control API; `stderr` what a tool prints; `exit n` the exit',
    'status the run ends with ([exit statuses](#exit-statuses)).',
    '',
    ...(Object.keys(ERROR_AREAS) as ErrorArea[]).flatMap(section),
    '## Exit statuses',
    '',
    '| status | meaning |',
    '|---|---|',
    ...Object.entries(EXIT_STATUSES).map(([status, meaning]) => `| ${status} | ${cell(meaning)} |`),
  ];
  return `${out.join('\n')}\n`;
}
