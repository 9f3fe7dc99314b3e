import type { Credentials } from './broker-link.js';
import { h } from './dom.js';

/** The operator's broker, user and password; the broker's ACL decides what they may see. */
export function connectForm(initial: Credentials, onConnect: (c: Credentials) => void): HTMLFormElement {
  const field = (name: keyof Credentials, label: string, type = 'text', hint = ''): HTMLLabelElement => {
    const input = h('input', { attrs: { name, type, autocomplete: type === 'password' ? 'current-password' : 'off', spellcheck: 'false' } });
    input.value = initial[name];
    return h('label', {}, [h('span', { text: label }), input, hint ? h('small', { text: hint }) : undefined]);
  };
  const form = h('form', { class: 'connect', attrs: { id: 'connect-form' } }, [
    h('h2', { text: 'Connect to the broker' }),
    field('url', 'WebSocket URL', 'url', 'Mosquitto: ws://host:8080 · EMQX: ws://host:8083/mqtt (wss:// with TLS)'),
    field('username', 'User'),
    field('password', 'Password', 'password'),
    field('prefix', 'Topic prefix'),
    h('button', { text: 'Connect', attrs: { type: 'submit' } }),
  ]);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const get = (k: string): string => String(data.get(k) ?? '').trim();
    onConnect({ url: get('url'), username: get('username'), password: String(data.get('password') ?? ''), prefix: get('prefix') || 'stations' });
  });
  return form;
}
