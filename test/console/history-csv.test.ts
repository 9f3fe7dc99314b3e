import { describe, expect, it } from 'vitest';
import { BOM, csvCell, csvFileName, historyCsv, type CsvWords } from '../../console/src/history/history-csv.js';
import type { LogEvent } from '../../console/src/history/hour-buckets.js';

/*
 * The export: a file Excel in Chinese opens as UTF-8 (the BOM), with RFC 4180 quoting, station
 * time and UTC columns, and no cell Excel would run as a formula. Parsed back here by a small
 * RFC 4180 reader, so a quoting mistake shows as a wrong cell, not a wrong string.
 */

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

const words: CsvWords = {
  head: ['站点时间 (Asia/Shanghai)', 'UTC', '类型', '类型代码', '设备', '内容', '数据', '编号'],
  describe: (e) => ({ name: e.type === 'access.denied' ? '拒绝进入' : e.type, sentence: e.type === 'access.denied' ? `工人 ${String(e.data['sub'])}，"过期"，请重新签发` : '' }),
};

describe('the CSV export', () => {
  const events: LogEvent[] = [
    { id: '01JABC', ts: '2026-12-01T12:00:05.250Z', type: 'access.denied', device: 'lock-1', data: { code: 'EXPIRED', sub: '=HYPERLINK("x")' } },
    { id: '01JABD', ts: '2026-12-01T16:30:00Z', type: 'water.dispensed', device: 'water-1', data: { ml: 500, note: 'line\nbreak, and "quotes"' } },
  ];

  it('starts with the BOM, uses CRLF, and gives station time and UTC columns', () => {
    const text = historyCsv(events, 'Asia/Shanghai', words);
    expect(text.startsWith(BOM)).toBe(true);
    expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual([...words.head]);
    expect(rows[1]?.slice(0, 5)).toEqual(['2026-12-01 20:00:05', '2026-12-01 12:00:05', '拒绝进入', 'access.denied', 'lock-1']);
    expect(rows[2]?.slice(0, 2)).toEqual(['2026-12-02 00:30:00', '2026-12-01 16:30:00']);
    expect(rows[1]?.[7]).toBe('01JABC');
  });

  it('quotes commas, quotes and line breaks, and keeps data whole as JSON', () => {
    const rows = parseCsv(historyCsv(events, 'Asia/Shanghai', words).slice(1));
    expect(JSON.parse(rows[2]?.[6] ?? '')).toEqual(events[1]?.data);
    expect(rows[1]?.[5]).toBe('工人 =HYPERLINK("x")，"过期"，请重新签发');
  });

  it('never lets Excel run a cell as a formula', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+86 138')).toBe("'+86 138");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(' padded')).toBe('" padded"');
  });

  it('names the file by station and period on the station clock', () => {
    expect(csvFileName('demo-hz-0001', Date.parse('2026-12-01T12:00:00Z'), Date.parse('2026-12-02T00:00:00Z'), 'Asia/Shanghai')).toBe('demo-hz-0001_2026-12-01T2000_2026-12-02T0800.csv');
    expect(csvFileName('a/b', 0, 3600_000, 'UTC')).toBe('a_b_1970-01-01T0000_1970-01-01T0100.csv');
  });
});
