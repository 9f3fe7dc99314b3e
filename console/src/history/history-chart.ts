import { h, svg } from '../dom.js';
import { num } from '../i18n/format.js';
import { HISTORY_TEXT } from '../i18n/history-text.js';
import { words } from '../i18n/locale.js';
import type { HourBucket, Metric } from './hour-buckets.js';
import { pad, wallTime } from './station-clock.js';

/*
 * One metric per hour as a bar chart in inline SVG: no chart library, nothing fetched. Readable
 * without colour and without sight: each bar carries its number as text above it and as its own
 * <title>, the chart has a title and a one-line summary (aria-labelledby / aria-describedby), and
 * the same numbers are in a table under it.
 */

const W = 480;
const H = 160;
const TOP = 18;
const BOTTOM = 22;
// Room at the sides for the first and last hour labels, centred under their bars.
const LEFT = 18;

/** A bucket's value in the unit shown: litres with one decimal, minutes whole. */
export function metricValue(b: HourBucket, m: Metric): number {
  if (m === 'waterMl') return Math.round(b.waterMl / 100) / 10;
  if (m === 'occupiedSeconds') return Math.round(b.occupiedSeconds / 60);
  return b[m];
}

const digits = (m: Metric): number => (m === 'waterMl' ? 1 : 0);

/** "20:00" on the station's clock; the first hour of a day also names the day. */
export function hourLabel(start: number, zone: string | undefined, withDay = false): string {
  const w = wallTime(start, zone);
  return `${withDay ? `${pad(w.month)}-${pad(w.day)} ` : ''}${pad(w.hour)}:${pad(w.minute)}`;
}

export function hourChart(buckets: readonly HourBucket[], m: Metric, zone: string | undefined, idBase: string): HTMLElement {
  const w = words(HISTORY_TEXT);
  const text = w.metric[m];
  const values = buckets.map((b) => metricValue(b, m));
  const max = Math.max(1, ...values);
  const total = Math.round(values.reduce((a, b) => a + b, 0) * 10) / 10;
  const peakAt = values.indexOf(Math.max(...values));
  const peak = total > 0 && buckets[peakAt] ? hourLabel(buckets[peakAt].start, zone) : '';
  const slot = (W - LEFT * 2) / Math.max(1, buckets.length);
  const bar = Math.max(2, slot * 0.7);
  const plot = H - TOP - BOTTOM;
  // Hour labels every few bars, so that 24 of them do not overlap on a phone.
  const every = Math.ceil(buckets.length / 8);
  const titleId = `${idBase}-title`;
  const descId = `${idBase}-desc`;
  const summary = w.chartSummary(num(total, digits(m)), text.unit, peak);
  const marks: SVGElement[] = [];
  buckets.forEach((b, i) => {
    const v = values[i] ?? 0;
    const height = (v / max) * plot;
    const x = LEFT + i * slot + (slot - bar) / 2;
    const label = `${hourLabel(b.start, zone)} · ${num(v, digits(m))} ${text.unit}`;
    marks.push(
      svg('g', { class: 'bar', 'data-hour': new Date(b.start).toISOString(), 'data-value': String(v) }, [
        svg('title', {}, [document.createTextNode(label)]),
        // A bar of nothing is a line on the axis, so that "none" is seen, not guessed.
        svg('rect', { x: x.toFixed(1), y: (TOP + plot - Math.max(height, 1)).toFixed(1), width: bar.toFixed(1), height: Math.max(height, 1).toFixed(1) }),
        ...(v > 0 ? [svg('text', { x: (x + bar / 2).toFixed(1), y: (TOP + plot - height - 4).toFixed(1), 'text-anchor': 'middle', class: 'value' }, [document.createTextNode(num(v, digits(m)))])] : []),
        ...(i % every === 0 ? [svg('text', { x: (x + bar / 2).toFixed(1), y: String(H - 6), 'text-anchor': 'middle', class: 'hour' }, [document.createTextNode(hourLabel(b.start, zone))])] : []),
      ]),
    );
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId, class: 'hour-chart' }, [
    svg('title', { id: titleId }, [document.createTextNode(text.title)]),
    svg('desc', { id: descId }, [document.createTextNode(`${text.title}: ${summary}`)]),
    svg('line', { x1: String(LEFT), x2: String(W - LEFT), y1: String(TOP + plot), y2: String(TOP + plot), class: 'axis' }),
    ...marks,
  ]);
  return h('figure', { class: 'history-chart', attrs: { 'data-metric': m, 'data-key': `chart-${m}`, 'data-total': String(total) } }, [
    h('figcaption', {}, [h('b', { text: text.title }), ' ', h('span', { class: 'muted', text: summary })]),
    chart,
    h('details', { class: 'chart-numbers', attrs: { 'data-key': `numbers-${m}` } }, [
      h('summary', { text: `${w.numbers} · ${text.title}` }),
      h('table', { attrs: { 'data-metric': m } }, [
        h('thead', {}, [h('tr', {}, [h('th', { text: w.hour, attrs: { scope: 'col' } }), h('th', { text: text.column, attrs: { scope: 'col' } })])]),
        h(
          'tbody',
          {},
          buckets.map((b, i) =>
            h('tr', { attrs: { 'data-hour': new Date(b.start).toISOString() } }, [h('th', { text: hourLabel(b.start, zone, i === 0 || wallTime(b.start, zone).hour === 0), attrs: { scope: 'row' } }), h('td', { text: num(values[i], digits(m)) })]),
          ),
        ),
        h('tfoot', {}, [h('tr', {}, [h('th', { text: w.total, attrs: { scope: 'row' } }), h('td', { text: num(total, digits(m)) })])]),
      ]),
    ]),
  ]);
}
