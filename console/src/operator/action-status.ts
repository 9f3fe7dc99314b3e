import { h } from '../dom.js';
import { num, stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { OPERATOR_TEXT } from '../i18n/operator-text.js';
import { replyTable, replyWords } from '../i18n/reply-text.js';
import type { ActionState } from './operator-actions.js';

/*
 * An action's progress and its reply, in words, where the action was asked (under the door, the
 * alarm, the snapshot button): waiting for the next code step, waiting for the station, done, or
 * not done with what the code means and what to do. `role="status"`: a screen reader hears it.
 */

export function actionStatus(s: ActionState | undefined, zone: string | undefined, me?: string, now = Date.now()): HTMLElement | undefined {
  if (!s) return undefined;
  const t = words(OPERATOR_TEXT);
  const r = replyTable();
  const st = s.state;
  const attrs: Record<string, string> = { role: 'status', 'data-key': `status ${s.key}`, 'data-command': s.command, 'data-phase': st.phase };
  if (st.phase === 'waiting-step') return h('p', { class: 'action-status waiting', text: r.waitingStep(Math.max(1, Math.ceil((st.at - now) / 1000))), attrs });
  if (st.phase === 'waiting-station') return h('p', { class: 'action-status waiting', text: r.waitingStation, attrs });
  const reply = st.reply;
  const dismiss = h('button', { class: 'dismiss', text: t.dismiss, attrs: { type: 'button', 'data-action': 'dismiss', 'data-action-key': s.key } });
  if (reply.ok) {
    return h('p', { class: 'action-status ok', attrs: { ...attrs, 'data-ok': 'true' } }, [h('span', { text: '✔ ', attrs: { 'aria-hidden': 'true' } }), okWords(s.command, s.key, reply.result, zone, me), ' ', dismiss]);
  }
  const w = replyWords(reply.error.code);
  const said = !reply.local && reply.error.message ? ` ${r.stationSaid(reply.error.message)}` : '';
  return h('p', { class: 'action-status failed', attrs: { ...attrs, 'data-ok': 'false', 'data-code': reply.error.code } }, [
    h('span', { text: '✖ ', attrs: { 'aria-hidden': 'true' } }),
    h('b', { text: t.failed }),
    `${w.what} ${w.todo}${said} `,
    h('code', { class: 'reply-code', text: reply.error.code }),
    ' ',
    dismiss,
  ]);
}

function okWords(command: string, key: string, result: Record<string, unknown>, zone: string | undefined, me: string | undefined): string {
  const t = words(OPERATOR_TEXT);
  if (command === 'unlock') {
    const ms = typeof result['openMs'] === 'number' ? result['openMs'] : undefined;
    const opened = String(result['door'] ?? '—');
    const said = t.result.unlock(String(result['res'] ?? '—'), opened, ms === undefined ? '—' : num(ms / 1000, 0));
    // The name was the operator's guess for this door (a station whose birth lists no resources): say when it was another door.
    const asked = key.split(' ')[2];
    return asked !== undefined && result['door'] !== undefined && opened !== asked ? `${said} ${t.result.otherDoor(asked, opened)}` : said;
  }
  if (command === 'ack') {
    const a = (result['acknowledged'] ?? {}) as { by?: unknown; at?: unknown };
    const by = String(a.by ?? '—');
    const at = stationTime(typeof a.at === 'string' ? a.at : undefined, zone);
    // Two operators racing: the second is told who took it first.
    return me !== undefined && by !== me ? t.result.ackFirst(by, at) : t.result.ack(by, at);
  }
  if (command === 'snapshot') return t.result.snapshot;
  return t.result.done;
}
