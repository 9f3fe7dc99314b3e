import { h } from '../dom.js';
import { replyTable, replyWords } from '../i18n/reply-text.js';
import { words } from '../i18n/locale.js';
import { SERVICE_TEXT } from '../i18n/service-text.js';
import type { ActionState } from '../operator/operator-actions.js';
import type { Permission } from '../operator/operator-identity.js';

/*
 * What an out-of-service action says where it was asked: waiting for a code step, waiting for the
 * station, then the reply in words (reply-text.ts): done, or the code's meaning and what to do,
 * with the station's own message after it. A status region, so a screen reader hears it.
 */

export function actionReply(state: ActionState | undefined, ok: (result: Record<string, unknown>) => string, now = Date.now()): HTMLElement | undefined {
  if (!state) return undefined;
  const r = replyTable();
  const s = state.state;
  const attrs = { role: 'status', 'data-phase': s.phase };
  if (s.phase === 'waiting-step') return h('p', { class: 'action-reply pending', attrs, text: r.waitingStep(Math.max(1, Math.ceil((s.at - now) / 1000))) });
  if (s.phase === 'waiting-station') return h('p', { class: 'action-reply pending', attrs, text: r.waitingStation });
  if (s.reply.ok) return h('p', { class: 'action-reply ok', attrs: { ...attrs, 'data-ok': 'true' } }, [h('span', { text: '✓ ', attrs: { 'aria-hidden': 'true' } }), ok(s.reply.result)]);
  const wd = replyWords(s.reply.error.code);
  return h('p', { class: 'action-reply refused', attrs: { ...attrs, 'data-ok': 'false', 'data-code': s.reply.error.code } }, [
    h('span', { text: '✗ ', attrs: { 'aria-hidden': 'true' } }),
    `${wd.what} ${wd.todo}`,
    s.reply.error.message ? h('span', { class: 'muted', text: ` ${r.stationSaid(s.reply.error.message)}` }) : undefined,
  ]);
}

/** Why the pass does not allow an operate action here, in words; undefined when it does. */
export function operateRefusal(p: Permission | undefined): string | undefined {
  if (!p) return words(SERVICE_TEXT).denied['no-pass'];
  return p.ok ? undefined : words(SERVICE_TEXT).denied[p.reason];
}
