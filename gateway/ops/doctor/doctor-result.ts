export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One row of the doctor's table. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
}

export const pass = (check: string, detail: string): CheckResult => ({ check, status: 'pass', detail });
export const warn = (check: string, detail: string): CheckResult => ({ check, status: 'warn', detail });
export const fail = (check: string, detail: string): CheckResult => ({ check, status: 'fail', detail });

/** A plain-text table that reads in a terminal over SSH and pastes into a ticket. */
export function renderTable(rows: readonly CheckResult[]): string {
  const head = { check: 'check', status: 'result', detail: 'detail' };
  const label = (s: CheckStatus): string => s.toUpperCase();
  const w1 = Math.max(head.check.length, ...rows.map((r) => r.check.length));
  const w2 = Math.max(head.status.length, ...rows.map((r) => label(r.status).length));
  const line = (a: string, b: string, c: string): string => `${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c}`.trimEnd();
  const failed = rows.filter((r) => r.status === 'fail').length;
  const warned = rows.filter((r) => r.status === 'warn').length;
  return [
    line(head.check, head.status, head.detail),
    line('-'.repeat(w1), '-'.repeat(w2), '------'),
    ...rows.map((r) => line(r.check, label(r.status), r.detail)),
    '',
    failed === 0 ? `all ${rows.length} checks passed${warned ? ` (${warned} with a warning)` : ''}` : `${failed} of ${rows.length} checks FAILED`,
  ].join('\n');
}
