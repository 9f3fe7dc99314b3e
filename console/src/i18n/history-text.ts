import type { Texts } from './locale.js';

/*
 * "Looking back" (console/src/history/): a period's usage log fetched from the station, as a
 * table, hourly charts and a CSV file. Times come in already formatted in the station's zone.
 */

/** The CSV's column heads, in history-csv.ts's order. */
type CsvHead = [string, string, string, string, string, string, string, string];

const zh = {
  heading: '回顾',
  intro: '从站点本身读取一段时间的使用记录（按站点时间）。',
  period: '时间段',
  night: '昨晚（20:00–08:00）',
  day24: '最近 24 小时',
  date: '指定日期',
  dateLabel: '日期（站点时间）',
  badDate: '请选一个不晚于今天的日期。',
  fetch: '读取记录',
  cancel: '取消',
  range: (from: string, to: string) => `${from} 至 ${to}`,
  progress: (pages: string, rows: string) => `正在读取：已收到 ${pages} 页，共 ${rows} 条…`,
  done: (rows: string, pages: string) => `已读取 ${rows} 条记录（${pages} 页）。`,
  bounded: (rows: string) => `只显示前 ${rows} 条：这段时间的记录更多，请选更短的时间段。`,
  cancelled: (rows: string) => `已取消；已收到的 ${rows} 条显示在下面。`,
  failed: '读取失败：',
  none: '这段时间没有记录。',
  table: '记录',
  tableCaption: (from: string, to: string, zone: string) => `${from} 至 ${to} 的使用记录（${zone}）`,
  col: { time: '时间', type: '类型', device: '设备', what: '内容' },
  page: (from: string, to: string, all: string) => `第 ${from}–${to} 条，共 ${all} 条`,
  prev: '上一页',
  next: '下一页',
  charts: '每小时统计',
  chartNote: '每根柱子上方是它的数值；每张图下面的表格列出同样的数字。',
  metric: {
    swaps: { title: '每小时换电次数', unit: '次', column: '换电（次）' },
    waterMl: { title: '每小时用水量（升）', unit: '升', column: '用水（升）' },
    occupiedSeconds: { title: '每小时有人在站内的时间（分钟）', unit: '分钟', column: '有人（分钟）' },
    refusals: { title: '每小时门禁拒绝次数', unit: '次', column: '拒绝（次）' },
  } as Record<'swaps' | 'waterMl' | 'occupiedSeconds' | 'refusals', { title: string; unit: string; column: string }>,
  hour: '小时（站点时间）',
  total: '合计',
  chartSummary: (total: string, unit: string, peak: string) => `合计 ${total} ${unit}${peak ? `，最多在 ${peak}` : ''}。`,
  numbers: '数字',
  csv: '导出 CSV',
  csvHead: (zone: string): CsvHead => [`站点时间（${zone}）`, 'UTC', '类型', '类型代码', '设备', '内容', '数据', '编号'],
  stationDevice: '站点',
  denied: {
    'no-pass': '需要运维通行证才能读取记录（见“运维人员”面板）。',
    expired: '运维通行证已过期，请车队重新签发。',
    'not-yet-valid': '运维通行证还没有生效。',
    'other-station': '运维通行证不包含这个站点。',
    'no-grant': '运维通行证没有这个站点的“诊断（diagnose）”权限，不能读取记录。',
  } as Record<'no-pass' | 'expired' | 'not-yet-valid' | 'other-station' | 'no-grant', string>,
};

const en: typeof zh = {
  heading: 'Looking back',
  intro: 'The usage log of a period, read from the station itself (station time).',
  period: 'Period',
  night: 'Last night (20:00–08:00)',
  day24: 'Last 24 hours',
  date: 'A chosen day',
  dateLabel: 'Day (station time)',
  badDate: 'Pick a day no later than today.',
  fetch: 'Fetch the log',
  cancel: 'Cancel',
  range: (from, to) => `${from} to ${to}`,
  progress: (pages, rows) => `Fetching: ${pages} pages, ${rows} rows so far…`,
  done: (rows, pages) => `${rows} rows fetched (${pages} pages).`,
  bounded: (rows) => `Only the first ${rows} rows are shown: the period has more; pick a shorter one.`,
  cancelled: (rows) => `Cancelled; the ${rows} rows received are shown below.`,
  failed: 'Could not fetch the log: ',
  none: 'Nothing was logged in this period.',
  table: 'Log',
  tableCaption: (from, to, zone) => `Usage log from ${from} to ${to} (${zone})`,
  col: { time: 'Time', type: 'Type', device: 'Device', what: 'What happened' },
  page: (from, to, all) => `Rows ${from}–${to} of ${all}`,
  prev: 'Previous',
  next: 'Next',
  charts: 'Per hour',
  chartNote: 'Each bar has its number above it; the table under each chart lists the same numbers.',
  metric: {
    swaps: { title: 'Battery swaps per hour', unit: 'swaps', column: 'Swaps' },
    waterMl: { title: 'Water drawn per hour (litres)', unit: 'L', column: 'Water (L)' },
    occupiedSeconds: { title: 'Time someone was inside per hour (minutes)', unit: 'min', column: 'Occupied (min)' },
    refusals: { title: 'Access refusals per hour', unit: 'refusals', column: 'Refusals' },
  },
  hour: 'Hour (station time)',
  total: 'Total',
  chartSummary: (total, unit, peak) => `${total} ${unit} in all${peak ? `, most at ${peak}` : ''}.`,
  numbers: 'Numbers',
  csv: 'Export CSV',
  csvHead: (zone) => [`Station time (${zone})`, 'UTC', 'Type', 'Type code', 'Device', 'What happened', 'Data', 'Id'],
  stationDevice: 'station',
  denied: {
    'no-pass': 'An operator pass is needed to read the log (see the Operator panel).',
    expired: 'The operator pass has expired; ask the fleet for a new one.',
    'not-yet-valid': 'The operator pass is not valid yet.',
    'other-station': 'The operator pass does not include this station.',
    'no-grant': 'The operator pass does not allow "diagnose" at this station: the log cannot be read.',
  },
};

export const HISTORY_TEXT: Texts<typeof zh> = { 'zh-CN': zh, en };
