import { h } from '../dom.js';
import { words } from '../i18n/locale.js';
import { OPERATOR_TEXT } from '../i18n/operator-text.js';

/*
 * The dialog an operator action is asked in: its fields, then a confirm step that says in one
 * sentence what will happen, then the action. A native modal `<dialog>`: the browser keeps focus
 * inside it, Escape cancels, and focus returns to the button that opened it.
 */

export interface DialogField {
  name: string;
  label: string;
  note?: string;
  required: boolean;
  /** What is said when a required field is left empty. */
  missing?: string;
  /** Code points, as the station counts them. */
  maxLength: number;
  multiline?: boolean;
  value?: string;
  /** Suggestions (a datalist). */
  suggestions?: readonly string[];
  /** The only values there are (the station named them): a choice, nothing typed; the first is chosen. */
  choices?: readonly string[];
}

export interface DialogOptions {
  id: string;
  heading: string;
  fields: readonly DialogField[];
  confirm(values: Record<string, string>): string;
  confirmLabel: string;
  onConfirm(values: Record<string, string>): void;
}

export function openActionDialog(o: DialogOptions): HTMLDialogElement {
  const t = words(OPERATOR_TEXT);
  document.getElementById(o.id)?.remove();
  const dialog = h('dialog', { class: 'action-dialog', attrs: { id: o.id, 'aria-labelledby': `${o.id}-heading` } });
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const fields = o.fields.map((f) => {
    const inputId = `${o.id}-${f.name}`;
    const error = h('p', { class: 'field-error', attrs: { id: `${inputId}-error`, 'aria-live': 'polite' } });
    const describedBy = [f.note ? `${inputId}-note` : '', `${inputId}-error`].filter(Boolean).join(' ');
    const attrs: Record<string, string> = { id: inputId, name: f.name, 'aria-describedby': describedBy, autocomplete: 'off' };
    if (f.required) attrs['aria-required'] = 'true';
    let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    let list: HTMLElement | undefined;
    if (f.choices?.length) input = h('select', { attrs }, f.choices.map((c) => h('option', { text: c, attrs: { value: c } })));
    else if (f.multiline) input = h('textarea', { attrs: { ...attrs, rows: '3' } });
    else {
      if (f.suggestions?.length) {
        attrs['list'] = `${inputId}-list`;
        list = h('datalist', { attrs: { id: `${inputId}-list` } }, f.suggestions.map((s) => h('option', { attrs: { value: s } })));
      }
      input = h('input', { attrs: { ...attrs, type: 'text' } });
    }
    if (!f.choices?.length) input.value = f.value ?? '';
    else if (f.value !== undefined && f.choices.includes(f.value)) input.value = f.value;
    inputs.set(f.name, input);
    errors.set(f.name, error);
    return h('div', { class: 'field' }, [h('label', { text: f.label, attrs: { for: inputId } }), f.note ? h('small', { text: f.note, attrs: { id: `${inputId}-note` } }) : undefined, input, list, error]);
  });
  const values = (): Record<string, string> => Object.fromEntries([...inputs].map(([k, el]) => [k, el.value.trim()]));

  const cancel = h('button', { text: t.cancel, attrs: { type: 'button', class: 'secondary', 'data-step': 'cancel' } });
  cancel.addEventListener('click', () => dialog.close());
  const ask = h('form', { class: 'step-ask', attrs: { method: 'dialog', novalidate: '' } }, [
    ...fields,
    h('p', { class: 'buttons' }, [h('button', { text: t.next, attrs: { type: 'submit', 'data-step': 'next' } }), ' ', cancel]),
  ]);
  const sentence = h('p', { class: 'confirm-text', attrs: { id: `${o.id}-confirm-text` } });
  const confirm = h('button', { text: o.confirmLabel, attrs: { type: 'button', 'data-step': 'confirm', 'aria-describedby': `${o.id}-confirm-text` } });
  const back = h('button', { text: t.back, attrs: { type: 'button', class: 'secondary', 'data-step': 'back' } });
  const check = h('div', { class: 'step-confirm', attrs: { hidden: '' } }, [sentence, h('p', { class: 'buttons' }, [confirm, ' ', back])]);

  ask.addEventListener('submit', (e) => {
    e.preventDefault();
    let first: HTMLElement | undefined;
    const v = values();
    for (const f of o.fields) {
      const n = [...(v[f.name] ?? '')].length;
      const problem = f.required && n === 0 ? (f.missing ?? t.reasonMissing) : n > f.maxLength ? t.tooLong : '';
      const input = inputs.get(f.name);
      (errors.get(f.name) as HTMLElement).textContent = problem;
      if (problem) input?.setAttribute('aria-invalid', 'true');
      else input?.removeAttribute('aria-invalid');
      if (problem && !first) first = input;
    }
    if (first) {
      first.focus();
      return;
    }
    sentence.textContent = o.confirm(v);
    ask.hidden = true;
    check.hidden = false;
    confirm.focus();
  });
  back.addEventListener('click', () => {
    check.hidden = true;
    ask.hidden = false;
    inputs.values().next().value?.focus();
  });
  confirm.addEventListener('click', () => {
    const v = values();
    dialog.close();
    o.onConfirm(v);
  });
  dialog.addEventListener('close', () => dialog.remove());
  dialog.append(h('h2', { text: o.heading, attrs: { id: `${o.id}-heading` } }), ask, check);
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
