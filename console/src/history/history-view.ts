import './history.css';
import { h } from '../dom.js';
import { eventText } from '../i18n/catalogue-text.js';
import { num, stationTime } from '../i18n/format.js';
import { HISTORY_TEXT } from '../i18n/history-text.js';
import { words } from '../i18n/locale.js';
import { replyTable, replyWords } from '../i18n/reply-text.js';
import { SERVICE_TEXT } from '../i18n/service-text.js';
import type { ReplyCode } from '../operator/command-channel.js';
import { buildWith, onAction, stationContext, type StationContext } from '../operator/view-context.js';
import { eventSentence } from '../station/event-list.js';
import { morph } from '../station/morph.js';
import { historyCsv, csvFileName } from './history-csv.js';
import { hourChart } from './history-chart.js';
import { periodFor, type Period, type PeriodKind } from './history-period.js';
import { bucketByHour, METRICS, type HourBucket, type LogEvent } from './hour-buckets.js';
import { fetchLog, MAX_ROWS } from './log-pager.js';
import { dayOf } from './station-clock.js';

/*
 * "Looking back": pick a period on the station's clock, fetch its usage log from the station
 * (cmd/logs, page after page, with progress and a cancel), and see it as a table, as hourly charts
 * and as a CSV file. The fetched log is kept per station while the page is open (not stored).
 *
 * The station view rebuilds this section on each message and morphs it in; a fetch in progress
 * also redraws it on its own (each page), the same way, with the context of the last build.
 */

type Status = 'fetching' | 'done' | 'cancelled' | 'failed';

interface Run {
  period: Period;
  zone: string | undefined;
  status: Status;
  rows: LogEvent[];
  pages: number;
  bounded: boolean;
  error?: { code: ReplyCode; message: string };
  abort: AbortController;
  /** The table's page (0-based), TABLE_ROWS rows each. */
  tablePage: number;
  /** Counted once the fetch ended: the view is rebuilt on every message, the rows do not change. */
  buckets?: HourBucket[];
}

const TABLE_ROWS = 100;
const PAGE_TIMEOUT_MS = 20_000;
const runs = new Map<string, Run>();
const contexts = new Map<string, StationContext>();
const KINDS: readonly PeriodKind[] = ['night', 'day24', 'date'];

/** The section for station `stationId` (its zone: the station's clock). */
export function historySection(stationId: string, zone: string | undefined): HTMLElement {
  const w = words(HISTORY_TEXT);
  const ctx = stationContext();
  if (ctx?.stationId === stationId) contexts.set(stationId, ctx);
  const run = runs.get(stationId);
  const now = Date.now();
  const permission = ctx?.actions.permits('diagnose', stationId, stationId);
  const blocked = !permission ? w.denied['no-pass'] : permission.ok ? undefined : w.denied[permission.reason];
  const fetching = run?.status === 'fetching';
  const name = `history-period-${stationId}`;
  return h('section', { class: 'history', attrs: { id: 'station-history', 'data-station': stationId, 'data-key': 'history', 'aria-labelledby': 'history-heading' } }, [
    h('h3', { text: w.heading, attrs: { id: 'history-heading' } }),
    h('p', { class: 'muted', text: w.intro }),
    h('fieldset', { class: 'history-period', attrs: { 'data-key': 'period' } }, [
      h('legend', { text: w.period }),
      ...KINDS.map((k) =>
        h('label', { class: 'choice', attrs: { 'data-key': `kind-${k}` } }, [
          h('input', { attrs: { type: 'radio', name, value: k, ...(k === (run?.period.kind ?? 'night') ? { checked: '' } : {}) } }),
          ` ${w[k]}`,
        ]),
      ),
      h('label', { class: 'history-day', attrs: { 'data-key': 'day' } }, [
        `${w.dateLabel} `,
        h('input', { attrs: { type: 'date', name: 'history-day', value: (run?.period.kind === 'date' ? run.period.day : undefined) ?? dayOf(now - 86_400_000, zone), max: dayOf(now, zone) } }),
      ]),
    ]),
    h('p', { class: 'history-buttons', attrs: { 'data-key': 'buttons' } }, [
      h('button', { text: w.fetch, attrs: { type: 'button', 'data-action': 'history-fetch', ...(fetching || blocked ? { disabled: '' } : {}) } }),
      ' ',
      h('button', { text: w.cancel, attrs: { type: 'button', 'data-action': 'history-cancel', ...(fetching ? {} : { disabled: '' }) } }),
      ' ',
      h('button', { text: w.csv, attrs: { type: 'button', 'data-action': 'history-csv', ...(run && run.status !== 'fetching' && run.rows.length > 0 ? {} : { disabled: '' }) } }),
    ]),
    blocked ? h('p', { class: 'action-blocked', attrs: { 'data-key': 'blocked' }, text: blocked }) : undefined,
    h('p', { class: 'history-status', attrs: { role: 'status', 'data-key': 'status', ...(run ? { 'data-status': run.status } : {}) } }, statusLine(run)),
    ...(run && run.status !== 'fetching' ? results(run) : []),
  ]);
}

function statusLine(run: Run | undefined): Array<Node | string> {
  if (!run) return [];
  const w = words(HISTORY_TEXT);
  const range = w.range(stationTime(run.period.since, run.zone), stationTime(run.period.until, run.zone));
  const rows = num(run.rows.length);
  switch (run.status) {
    case 'fetching':
      return [w.progress(num(run.pages), rows), h('br'), range];
    case 'done':
      return [run.rows.length ? w.done(rows, num(run.pages)) : w.none, run.bounded ? ` ${w.bounded(num(MAX_ROWS))}` : '', h('br'), range];
    case 'cancelled':
      return [w.cancelled(rows), h('br'), range];
    case 'failed': {
      const code = run.error?.code ?? 'BAD_REPLY';
      const said = replyWords(code);
      return [h('span', { text: '✗ ', attrs: { 'aria-hidden': 'true' } }), `${w.failed}${said.what} ${said.todo}`, run.error?.message ? ` ${replyTable().stationSaid(run.error.message)}` : '', h('br'), range];
    }
  }
}

function results(run: Run): HTMLElement[] {
  const w = words(HISTORY_TEXT);
  if (run.rows.length === 0) return [];
  const buckets = (run.buckets ??= bucketByHour(run.rows, run.period.since, run.period.until, run.zone));
  const pages = Math.ceil(run.rows.length / TABLE_ROWS);
  const page = Math.min(run.tablePage, pages - 1);
  const shown = run.rows.slice(page * TABLE_ROWS, (page + 1) * TABLE_ROWS);
  const zoneName = run.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [
    h('h4', { text: w.charts, attrs: { 'data-key': 'charts-head' } }),
    h('p', { class: 'muted', text: w.chartNote, attrs: { 'data-key': 'charts-note' } }),
    h('div', { class: 'history-charts', attrs: { 'data-key': 'charts' } }, METRICS.map((m) => hourChart(buckets, m, run.zone, `history-${m}`))),
    h('h4', { text: w.table, attrs: { 'data-key': 'table-head' } }),
    h('div', { class: 'history-table-wrap', attrs: { 'data-key': 'table-wrap', tabindex: '0', role: 'region', 'aria-label': w.table } }, [
      h('table', { class: 'history-table', attrs: { id: 'history-table' } }, [
        h('caption', { text: w.tableCaption(stationTime(run.period.since, run.zone), stationTime(run.period.until, run.zone), zoneName) }),
        h('thead', {}, [h('tr', {}, [w.col.time, w.col.type, w.col.device, w.col.what].map((c) => h('th', { text: c, attrs: { scope: 'col' } })))]),
        h('tbody', {}, shown.map((e) => row(e, run.zone))),
      ]),
    ]),
    pages > 1
      ? h('p', { class: 'history-pages', attrs: { 'data-key': 'pages' } }, [
          h('button', { text: w.prev, attrs: { type: 'button', 'data-action': 'history-page', 'data-page': String(page - 1), ...(page === 0 ? { disabled: '' } : {}) } }),
          ` ${w.page(num(page * TABLE_ROWS + 1), num(page * TABLE_ROWS + shown.length), num(run.rows.length))} `,
          h('button', { text: w.next, attrs: { type: 'button', 'data-action': 'history-page', 'data-page': String(page + 1), ...(page >= pages - 1 ? { disabled: '' } : {}) } }),
        ])
      : h('p', { class: 'history-pages', attrs: { 'data-key': 'pages' }, text: w.page(num(1), num(shown.length), num(run.rows.length)) }),
  ];
}

/** An event's data as a sentence: the station view's, and resource.service, which it has none for. */
function sentenceOf(e: LogEvent): string {
  const d = e.data;
  if (e.type === 'resource.service' && typeof d['resource'] === 'string' && typeof d['enabled'] === 'boolean') {
    return words(SERVICE_TEXT).event(d['resource'], d['enabled'], typeof d['by'] === 'string' ? d['by'] : '—', typeof d['reason'] === 'string' ? d['reason'] : undefined);
  }
  return eventSentence(e.type, d);
}

function row(e: LogEvent, zone: string | undefined): HTMLElement {
  const text = eventText(e.type);
  return h('tr', { attrs: { 'data-key': e.id, 'data-id': e.id, 'data-type': e.type, 'data-ts': e.ts } }, [
    h('td', {}, [h('time', { text: stationTime(e.ts, zone), attrs: { datetime: e.ts } })]),
    h('td', { text: text.name, title: text.meaning }),
    h('td', { text: e.device ?? words(HISTORY_TEXT).stationDevice }),
    h('td', { text: sentenceOf(e) }),
  ]);
}

/** Draws the section again where it is on the page, between the station view's own rebuilds. */
function redraw(stationId: string): void {
  const ctx = contexts.get(stationId);
  const live = document.getElementById('station-history');
  if (!ctx || !live || live.dataset['station'] !== stationId) return;
  morph(live, buildWith(ctx, () => historySection(stationId, ctx.zone)));
}

function chosen(button: HTMLElement, stationId: string, zone: string | undefined): Period | undefined {
  const section = button.closest('#station-history');
  const kind = (section?.querySelector<HTMLInputElement>(`input[name="history-period-${CSS.escape(stationId)}"]:checked`)?.value ?? 'night') as PeriodKind;
  const day = section?.querySelector<HTMLInputElement>('input[name="history-day"]')?.value;
  return periodFor(kind, Date.now(), zone, day);
}

async function start(button: HTMLElement, ctx: StationContext): Promise<void> {
  const { stationId, zone, actions } = ctx;
  contexts.set(stationId, ctx);
  const period = chosen(button, stationId, zone);
  const before = runs.get(stationId);
  if (before?.status === 'fetching') return;
  if (!period) {
    const status = button.closest('#station-history')?.querySelector('.history-status');
    if (status) status.textContent = words(HISTORY_TEXT).badDate;
    return;
  }
  const run: Run = { period, zone, status: 'fetching', rows: [], pages: 0, bounded: false, abort: new AbortController(), tablePage: 0 };
  runs.set(stationId, run);
  redraw(stationId);
  const outcome = await fetchLog(
    { since: period.since, until: period.until },
    {
      sign: () => actions.signer.sign('diagnose', stationId, stationId),
      request: (body) => actions.channel.request(stationId, 'logs', body, { timeoutMs: PAGE_TIMEOUT_MS }),
    },
    {
      signal: run.abort.signal,
      onPage: (p, rows) => {
        run.pages = p.pages;
        run.rows = [...rows];
        redraw(stationId);
      },
    },
  );
  // Cancelled: the rows received before the cancel stay, as the page already says.
  if (runs.get(stationId) !== run || run.status === 'cancelled') return;
  run.rows = outcome.rows;
  run.pages = outcome.pages;
  run.status = outcome.status;
  if (outcome.status === 'done') run.bounded = outcome.bounded;
  if (outcome.status === 'failed') run.error = outcome.error;
  redraw(stationId);
}

function download(stationId: string): void {
  const run = runs.get(stationId);
  if (!run || run.rows.length === 0) return;
  const w = words(HISTORY_TEXT);
  const zoneName = run.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const text = historyCsv(run.rows, run.zone, {
    head: w.csvHead(zoneName),
    describe: (e) => ({ name: eventText(e.type).name, sentence: sentenceOf(e) }),
  });
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { attrs: { href: url, download: csvFileName(stationId, run.period.since, run.period.until, run.zone) } });
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked once the browser has taken the file.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

onAction('history-fetch', (button, ctx) => void start(button, ctx));
onAction('history-cancel', (_button, ctx) => {
  const run = runs.get(ctx.stationId);
  if (run?.status !== 'fetching') return;
  // Said at once; a page already asked for is dropped when it comes.
  run.abort.abort();
  run.status = 'cancelled';
  contexts.set(ctx.stationId, ctx);
  redraw(ctx.stationId);
});
onAction('history-csv', (_button, ctx) => download(ctx.stationId));
onAction('history-page', (button, ctx) => {
  const run = runs.get(ctx.stationId);
  const page = Number(button.dataset['page']);
  if (!run || !Number.isInteger(page) || page < 0) return;
  run.tablePage = page;
  contexts.set(ctx.stationId, ctx);
  redraw(ctx.stationId);
});
