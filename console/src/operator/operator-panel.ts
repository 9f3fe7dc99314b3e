import { h } from '../dom.js';
import { stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { OPERATOR_TEXT, type OperatorText } from '../i18n/operator-text.js';
import { readLinkText } from '../phone/pass-link.js';
import type { Grant, PassSummary } from '../phone/pass-reader.js';
import { OperatorPassRefused, type OperatorIdentity, type OperatorPassProblem } from './operator-identity.js';

/*
 * The operator panel in the console's header: this browser's key (its public half, for the fleet
 * to issue a pass for), the pass it holds and what that pass names, and a field to load a new
 * one. A `<details>`, so it is one keyboard stop when closed and takes no room on a phone.
 */

type Notice = { kind: 'saved' } | { kind: 'refused'; problem: OperatorPassProblem } | { kind: 'error'; message: string };

export class OperatorPanel {
  readonly element: HTMLDetailsElement = h('details', { class: 'operator-panel', attrs: { id: 'operator-panel' } });
  private notice: Notice | undefined;
  private readonly summary = h('summary', { attrs: { id: 'operator-summary' } });
  private readonly body = h('div', { class: 'operator-body' });

  constructor(
    /** The identity, or why there is none (no IndexedDB, no Ed25519). */
    private readonly identity: OperatorIdentity | Error,
    /** The zone of the station on screen, if one is: times are shown in it as well. */
    private readonly zone: () => string | undefined,
    /** A station id for the issue hint (the one on screen). */
    private readonly station: () => string | undefined,
  ) {
    this.element.append(this.summary, this.body);
  }

  /** A pass from a link's fragment or pasted text (`#pass=…`, a whole link, or bare base64url). */
  async take(text: string): Promise<void> {
    if (this.identity instanceof Error) return;
    const params = readLinkText(text);
    if (params.passUnreadable || !params.pass) this.notice = { kind: 'refused', problem: 'unreadable' };
    else {
      try {
        await this.identity.takePass(params.pass);
        this.notice = { kind: 'saved' };
      } catch (err) {
        this.notice = err instanceof OperatorPassRefused ? { kind: 'refused', problem: err.problem } : { kind: 'error', message: (err as Error).message };
      }
    }
    // A refusal is read at once: the panel opens to show it.
    this.element.open = true;
    this.draw();
  }

  draw(): void {
    const t = words(OPERATOR_TEXT);
    const id = this.identity;
    if (id instanceof Error) {
      this.summary.textContent = t.panelNoPass;
      this.body.replaceChildren(h('p', { class: 'notice error', text: `${t.noKey} (${id.message})`, attrs: { id: 'operator-no-key' } }));
      return;
    }
    const pass = id.pass()?.summary;
    const now = Math.floor(Date.now() / 1000);
    const expired = pass !== undefined && pass.exp <= now;
    this.summary.textContent = !pass ? t.panelNoPass : expired ? t.panelExpired(pass.sub) : t.panelPass(pass.sub);
    this.element.dataset['pass'] = !pass ? 'none' : expired ? 'expired' : 'valid';
    const input = h('textarea', { attrs: { id: 'operator-pass-input', rows: '2', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'operator-pass-note' } });
    const form = h('form', { class: 'operator-take', attrs: { id: 'operator-pass-form' } }, [
      h('label', { attrs: { for: 'operator-pass-input', id: 'operator-pass-note' }, text: t.pasteLabel }),
      input,
      h('button', { text: t.take, attrs: { type: 'submit', id: 'operator-pass-take' } }),
    ]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.take(input.value);
    });
    this.body.replaceChildren(
      this.noticeView(t),
      h('h2', { text: t.passHeading }),
      pass ? passView(t, pass, now, this.zone()) : h('p', { text: t.noPass, attrs: { id: 'operator-no-pass' } }),
      form,
      h('h2', { text: t.keyHeading }),
      h('p', { class: 'muted', text: id.keyCreated ? t.keyCreated : t.keyNote }),
      h('code', { class: 'operator-key', text: id.publicKey(), attrs: { id: 'operator-public-key', 'data-key': id.publicKey() } }),
      h('p', { class: 'muted', text: t.issueHint }),
      h('code', { class: 'operator-issue', text: issueCommand(id.publicKey(), this.station()) }),
    );
  }

  private noticeView(t: OperatorText): HTMLElement | string {
    const n = this.notice;
    if (!n) return '';
    const text = n.kind === 'saved' ? t.saved : n.kind === 'refused' ? t.refused[n.problem] : n.message;
    return h('p', { class: `notice ${n.kind}`, text, attrs: { id: 'operator-notice', role: 'status', 'data-kind': n.kind, ...(n.kind === 'refused' ? { 'data-problem': n.problem } : {}) } });
  }
}

function issueCommand(key: string, station: string | undefined): string {
  const s = station ?? '<station>';
  return `station-token pass --key <fleet key> --role operator --phone-key ${key} --sub <operator> --station ${s} --grant unlock --grant operate --grant diagnose:${s}`;
}

export function grantWords(t: OperatorText, g: Grant): string {
  return `${t.acts[g.act] ?? `#${g.act}`} ${g.res ?? `(${t.anyResource})`}`;
}

/** A time in the browser's zone, and in the station's when one is on screen: both labelled. */
function when(t: OperatorText, seconds: number, zone: string | undefined): string {
  const local = `${stationTime(seconds * 1000, undefined)} (${t.inBrowser})`;
  return zone ? `${stationTime(seconds * 1000, zone)} (${t.inStation(zone)}) · ${local}` : local;
}

function passView(t: OperatorText, pass: PassSummary, now: number, zone: string | undefined): HTMLElement {
  const row = (term: string, value: string, key: string): HTMLElement[] => [h('dt', { text: term }), h('dd', { text: value, attrs: { 'data-field': key } })];
  const expired = pass.exp <= now;
  return h('dl', { class: 'pass', attrs: { id: 'operator-pass', 'data-sub': pass.sub, 'data-role': pass.role, 'data-expired': String(expired) } }, [
    ...row(t.fields.sub, pass.sub, 'sub'),
    ...row(t.fields.role, t.role[pass.role], 'role'),
    ...(pass.stations.length ? row(t.fields.stations, pass.stations.join(', '), 'stations') : []),
    ...(pass.groups.length ? row(t.fields.groups, pass.groups.join(', '), 'groups') : []),
    ...(pass.nbf > now ? row(t.fields.validFrom, when(t, pass.nbf, zone), 'nbf') : []),
    ...row(t.fields.validUntil, `${when(t, pass.exp, zone)}${expired ? t.expiredMark : ''}`, 'exp'),
    ...row(t.fields.grants, pass.grants.map((g) => grantWords(t, g)).join(' · '), 'grants'),
    ...row(t.fields.kid, pass.kid, 'kid'),
  ]);
}
