/**
 * The soak run's numbers: the CSV columns, the summary (start and end values, least-squares slopes
 * after the warm-up) and a hand-written SVG plot, one panel per measure.
 */
export interface SoakSample {
  seconds: number;
  rssMb: number;
  heapMb: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, better-sqlite3's and ws' allocations). */
  externalMb: number;
  /** The JS heap after a forced full GC (`--live-heap`); 0 when not measured. */
  liveHeapMb: number;
  cpuPercent: number;
  lagP99Ms: number;
  lagMaxMs: number;
  fds: number;
  dbKb: number;
  /**
   * What the gateway process has had written to the disk since it started (`write_bytes` of
   * /proc/<pid>/io: bytes it sent to the block layer, what wears an SD card), in kB.
   */
  writtenKb: number;
  /** The same as write(2) calls saw it (`wchar`), page cache included: the gap is what never reached the disk. */
  wcharKb: number;
  events: number;
  pending: number;
}

export const SOAK_COLUMNS: ReadonlyArray<keyof SoakSample> = ['seconds', 'rssMb', 'heapMb', 'externalMb', 'liveHeapMb', 'cpuPercent', 'lagP99Ms', 'lagMaxMs', 'fds', 'dbKb', 'writtenKb', 'wcharKb', 'events', 'pending'];

/** Least-squares slope of `y` over `x`, per unit of x; 0 with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

export function soakSummary(samples: readonly SoakSample[]) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  // The first fifth is warm-up (JIT, caches, the database's first pages); slopes are over the rest.
  const steady = samples.slice(Math.floor(samples.length / 5));
  const perHour = (pick: (s: SoakSample) => number): number => r2(slope(steady.map((s) => [s.seconds / 3600, pick(s)] as const)));
  const mean = (pick: (s: SoakSample) => number): number => r2(samples.reduce((t, s) => t + pick(s), 0) / Math.max(1, samples.length));
  return {
    samples: samples.length,
    durationMinutes: r2((last?.seconds ?? 0) / 60),
    rssMb: { start: r2(first?.rssMb ?? 0), end: r2(last?.rssMb ?? 0), min: r2(Math.min(...samples.map((s) => s.rssMb))), max: r2(Math.max(...samples.map((s) => s.rssMb))), slopeMbPerHour: perHour((s) => s.rssMb) },
    heapMb: { start: r2(first?.heapMb ?? 0), end: r2(last?.heapMb ?? 0), slopeMbPerHour: perHour((s) => s.heapMb) },
    liveHeapMb: { start: r2(first?.liveHeapMb ?? 0), end: r2(last?.liveHeapMb ?? 0), slopeMbPerHour: perHour((s) => s.liveHeapMb) },
    externalMb: { start: r2(first?.externalMb ?? 0), end: r2(last?.externalMb ?? 0), slopeMbPerHour: perHour((s) => s.externalMb) },
    fds: { start: first?.fds ?? 0, end: last?.fds ?? 0, min: Math.min(...samples.map((s) => s.fds)), max: Math.max(...samples.map((s) => s.fds)), slopePerHour: perHour((s) => s.fds) },
    cpuPercent: { mean: mean((s) => s.cpuPercent), max: r2(Math.max(...samples.map((s) => s.cpuPercent))) },
    lagMs: { p99Mean: mean((s) => s.lagP99Ms), maxOfMax: r2(Math.max(...samples.map((s) => s.lagMaxMs))) },
    dbKb: { start: r2(first?.dbKb ?? 0), end: r2(last?.dbKb ?? 0) },
    // Per day, from the slope after warm-up: what a station writes to its SD card (issue 22's flash wear).
    writtenMbPerDay: r2((perHour((s) => s.writtenKb) * 24) / 1024),
    wcharMbPerDay: r2((perHour((s) => s.wcharKb) * 24) / 1024),
    events: { end: last?.events ?? 0, pendingEnd: last?.pending ?? 0 },
  };
}

interface Panel {
  title: string;
  series: Array<{ label: string; color: string; pick: (s: SoakSample) => number }>;
}

const PANELS: Panel[] = [
  { title: 'memory (MB)', series: [{ label: 'RSS', color: '#1f77b4', pick: (s) => s.rssMb }, { label: 'heap used', color: '#ff7f0e', pick: (s) => s.heapMb }, { label: 'external', color: '#17becf', pick: (s) => s.externalMb }, { label: 'live heap after GC', color: '#7f7f7f', pick: (s) => s.liveHeapMb }] },
  { title: 'open file descriptors', series: [{ label: 'fds', color: '#2ca02c', pick: (s) => s.fds }] },
  { title: 'CPU (%) and event-loop lag (ms)', series: [{ label: 'CPU %', color: '#d62728', pick: (s) => s.cpuPercent }, { label: 'lag p99 ms', color: '#9467bd', pick: (s) => s.lagP99Ms }] },
  { title: 'database + WAL (KB)', series: [{ label: 'db KB', color: '#8c564b', pick: (s) => s.dbKb }] },
];

/** One SVG, a panel per measure, x = minutes since start, y from 0 to the panel's maximum. */
export function renderSoakPlot(samples: readonly SoakSample[], title: string): string {
  const width = 900;
  const panelH = 180;
  const left = 70;
  const right = 20;
  const top = 40;
  const gap = 50;
  const height = top + PANELS.length * (panelH + gap);
  const maxX = Math.max(1, ...samples.map((s) => s.seconds)) / 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="16">${escapeXml(title)}</text>`,
  ];
  PANELS.forEach((panel, i) => {
    const y0 = top + i * (panelH + gap) + 20;
    const maxY = niceCeiling(Math.max(1e-9, ...panel.series.flatMap((se) => samples.map(se.pick))));
    const px = (minutes: number): number => left + ((width - left - right) * minutes) / maxX;
    const py = (v: number): number => y0 + panelH - (panelH * v) / maxY;
    parts.push(`<text x="${left}" y="${y0 - 6}">${escapeXml(panel.title)}</text>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (const f of [0, 0.5, 1]) {
      parts.push(`<text x="${left - 6}" y="${py(maxY * f) + 4}" text-anchor="end">${fmt(maxY * f)}</text>`);
      parts.push(`<text x="${px(maxX * f)}" y="${y0 + panelH + 16}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${fmt(maxX * f)} min</text>`);
    }
    // A measure not taken in this run (all 0: no --live-heap, an older CSV) is left out.
    panel.series.filter((se) => samples.some((s) => se.pick(s) !== 0)).forEach((se, k) => {
      const points = samples.map((s) => `${px(s.seconds / 60).toFixed(1)},${py(se.pick(s)).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${se.color}" stroke-width="1.5" points="${points}"/>`);
      parts.push(`<text x="${width - right - 10}" y="${y0 + 16 + 14 * k}" text-anchor="end" fill="${se.color}">${escapeXml(se.label)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceCeiling(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v) ?? 10 * p;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
