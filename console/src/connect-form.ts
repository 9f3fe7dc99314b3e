import type { Credentials } from './broker-link.js';
import { h } from './dom.js';
import { CHROME_TEXT } from './i18n/chrome-text.js';
import { words } from './i18n/locale.js';

/** The operator's broker, user and password; the broker's ACL decides what they may see. */
export function connectForm(initial: Credentials, onConnect: (c: Credentials) => void): HTMLFormElement {
  const t = words(CHROME_TEXT).form;
  const field = (name: keyof Credentials, label: string, type = 'text', hint = ''): HTMLLabelElement => {
    const hintId = `connect-${name}-hint`;
    const input = h('input', {
      attrs: { name, type, autocomplete: type === 'password' ? 'current-password' : 'off', spellcheck: 'false', ...(hint ? { 'aria-describedby': hintId } : {}) },
    });
    input.value = initial[name];
    return h('label', {}, [h('span', { text: label }), input, hint ? h('small', { text: hint, attrs: { id: hintId } }) : undefined]);
  };
  const form = h('form', { class: 'connect', attrs: { id: 'connect-form' } }, [
    h('h2', { text: t.heading }),
    field('url', t.url, 'url', t.urlHint),
    field('username', t.username),
    field('password', t.password, 'password', t.passwordHint),
    field('prefix', t.prefix, 'text', t.prefixHint),
    h('button', { text: t.submit, attrs: { type: 'submit' } }),
  ]);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onConnect(formValues(form));
  });
  return form;
}

/** What the form holds now: kept when the form is redrawn in the other language. */
export function formValues(form: HTMLFormElement): Credentials {
  const data = new FormData(form);
  const get = (k: string): string => String(data.get(k) ?? '').trim();
  return { url: get('url'), username: get('username'), password: String(data.get('password') ?? ''), prefix: get('prefix') || 'stations' };
}
