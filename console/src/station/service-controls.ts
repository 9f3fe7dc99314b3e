import './service-controls.css';
import { isRecord } from '../../../config/is-record.js';
import { h } from '../dom.js';
import { stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { SERVICE_TEXT } from '../i18n/service-text.js';
import type { AvailabilityRecord, StationRecord } from '../fleet-model.js';
import { rememberedResource } from '../operator/door-names.js';
import { onAction, stationContext, type StationContext } from '../operator/view-context.js';
import { actionReply, operateRefusal } from './service-reply.js';

/*
 * Out of service and back, as an operator does it from the station view: a cabinet's slot
 * (cmd/slot, by its door number) and any resource of the station file (cmd/service, with an
 * optional reason). Each is a spending code (act operate, res the resource), signed one per code
 * step by the operator's actions (operator/operator-actions.ts); the reply is worded where it was
 * asked. Buttons carry what they do in data attributes: the view's one click listener finds them.
 *
 * A cabinet's resource name is taken to be its device id (as in the demo and the reference
 * station files): the contract publishes no resource names. A station with another name answers
 * UNKNOWN_RESOURCE, in words.
 */

const slotKey = (station: string, device: string, door: number): string => `slot ${station} ${device} ${door}`;
const serviceKey = (station: string, resource: string): string => `service ${station} ${resource}`;
const formKey = (station: string): string => `service-form ${station}`;

/** An action's state when it is this station's (keys are per station; the check is belt and braces). */
function stateOf(ctx: StationContext | undefined, key: string): ReturnType<StationContext['actions']['state']> {
  const s = ctx?.actions.state(key);
  return s && s.stationId === ctx?.stationId ? s : undefined;
}

/** What this console last did to a slot, as the station replied: the reply, and enabled or not. */
function slotReply(device: string, door: number): { reply: object; enabled: boolean } | undefined {
  const ctx = stationContext();
  if (!ctx) return undefined;
  const s = stateOf(ctx, slotKey(ctx.stationId, device, door))?.state;
  if (s?.phase !== 'done' || !s.reply.ok) return undefined;
  const enabled = s.reply.result['enabled'];
  return typeof enabled === 'boolean' ? { reply: s.reply, enabled } : undefined;
}

/** A slot in or out of service: false out, true in, undefined not known; `entry` is who, when, why. */
export interface SlotService {
  enabled: boolean | undefined;
  entry?: OutEntry | undefined;
  /** Only this console's reply says so yet (the station's availability has not followed). */
  local: boolean;
}

/**
 * The `outOfService` each of this console's slot replies was first drawn with. By content, not by
 * object: a record rebuilt with the same availability is not news.
 */
const drawnWith = new WeakMap<object, string>();

/**
 * Whether a cabinet slot is out of service: from `S/availability`'s `outOfService` (entries with
 * `device` and `slot`), which every operator's console gets; this console's own reply marks it at
 * once, and only until an availability that differs from the one it was first drawn with arrives.
 * From a station that publishes no `outOfService`, the reply is all there is.
 */
export function slotService(availability: AvailabilityRecord | undefined, device: string, door: number): SlotService {
  const published = availability?.outOfService;
  const entry = outOfServiceEntries(availability).find((e) => e.device === device && e.slot === door);
  const mine = slotReply(device, door);
  if (mine) {
    const now = JSON.stringify(published ?? null);
    if (!drawnWith.has(mine.reply)) drawnWith.set(mine.reply, now);
    if (published === undefined || drawnWith.get(mine.reply) === now) return { enabled: mine.enabled, entry: mine.enabled ? undefined : entry, local: entry === undefined || mine.enabled };
  }
  if (published === undefined) return { enabled: undefined, local: false };
  return entry ? { enabled: false, entry, local: false } : { enabled: true, local: false };
}

/** Per door of the cabinet: out of service, back, and what the station answered. */
export function slotControls(device: string, doors: readonly number[]): HTMLElement | undefined {
  const ctx = stationContext();
  if (doors.length === 0) return undefined;
  const w = words(SERVICE_TEXT);
  const refusal = ctx ? operateRefusal(ctx.actions.permits('operate', ctx.stationId, device)) : operateRefusal(undefined);
  return h('details', { class: 'slot-actions', attrs: { 'data-key': `slot-actions-${device}`, 'data-slot-actions': device } }, [
    h('summary', { text: w.slotActions }),
    h('p', { class: 'muted', text: w.slotNote(device) }),
    refusal ? h('p', { class: 'action-blocked', text: refusal }) : undefined,
    // One reason for the next slot taken out here: every console shows it beside the slot.
    h('label', { attrs: { 'data-key': 'slot-reason' } }, [`${w.reason} `, h('input', { attrs: { type: 'text', name: 'slot-reason', maxlength: '200' } })]),
    h(
      'ul',
      { class: 'slot-action-list' },
      doors.map((door) => {
        const n = String(door);
        const key = ctx ? slotKey(ctx.stationId, device, door) : '';
        const busy = ctx ? ctx.actions.busy(key) : false;
        const off = !!refusal || busy;
        const button = (enabled: boolean): HTMLElement =>
          h('button', {
            text: enabled ? w.slotOnShort : w.slotOffShort,
            attrs: {
              type: 'button',
              'data-action': 'slot-service',
              'data-device': device,
              'data-slot': n,
              'data-enabled': String(enabled),
              'aria-label': enabled ? w.slotOn(n) : w.slotOff(n),
              ...(off ? { disabled: '' } : {}),
            },
          });
        const reply = actionReply(stateOf(ctx, key), (r) => (r['enabled'] === false ? w.slotDone.off(n) : w.slotDone.on(n)));
        return h('li', { attrs: { 'data-key': `slot-action-${n}`, 'data-slot': n } }, [h('b', { text: w.slotRow(n) }), ' ', button(false), ' ', button(true), reply]);
      }),
    ),
  ]);
}

/** One entry of `outOfService`, checked: a whole resource, or a cabinet slot (`device` and `slot`). */
export interface OutEntry {
  resource: string;
  since?: string;
  by?: string;
  reason?: string;
  source?: string;
  device?: string;
  slot?: number;
}

export function outOfServiceEntries(a: AvailabilityRecord | undefined): OutEntry[] {
  const list = a?.outOfService ?? [];
  return list.filter(isRecord).flatMap((e) => {
    if (typeof e['resource'] !== 'string' || e['resource'] === '') return [];
    const text = (k: string): string | undefined => (typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : undefined);
    const entry: OutEntry = { resource: e['resource'] };
    for (const k of ['since', 'by', 'reason', 'source', 'device'] as const) {
      const v = text(k);
      if (v !== undefined) entry[k] = v;
    }
    const slot = e['slot'];
    if (typeof slot === 'number' && Number.isInteger(slot) && slot >= 1) {
      // A slot without its cabinet cannot be put back: its resource names the cabinet in the demo and reference files.
      entry.slot = slot;
      entry.device ??= entry.resource;
    }
    return [entry];
  });
}

/**
 * Names to offer for the form: the doors' resource names this browser was told (remote unlock asks
 * for them), then the cabinets' and dispensers' ids, which name their resources in the demo and the
 * reference station files. Suggestions only: any name may be typed.
 */
function resourceSuggestions(s: StationRecord): string[] {
  const names = new Set<string>();
  for (const d of s.devices.values()) {
    if (d.kind !== 'door-lock') continue;
    const doors = d.state?.points['doors'];
    for (const door of isRecord(doors) ? Object.keys(doors) : []) {
      const name = rememberedResource(s.id, d.id, door);
      if (name) names.add(name);
    }
  }
  for (const d of s.devices.values()) if (d.kind === 'battery-cabinet' || d.kind === 'water-dispenser') names.add(d.id);
  return [...names];
}

/**
 * The station's resources out of service, from `S/availability`'s `outOfService`: who took each
 * out, when (station time), why, and a way back for those a command took out; then a form to take
 * one out. Offline, the list is what the station last said, and acting is still offered: the
 * command is refused or times out, in words.
 */
export function serviceSection(s: StationRecord, zone: string | undefined): HTMLElement {
  const ctx = stationContext();
  const w = words(SERVICE_TEXT);
  const entries = outOfServiceEntries(s.availability);
  const station = s.id;
  const refusal = ctx ? operateRefusal(ctx.actions.permits('operate', station, undefined)) : operateRefusal(undefined);
  const suggestions = resourceSuggestions(s);
  const listId = `service-resources-${station}`;
  const formState = stateOf(ctx, formKey(station));
  const formBusy = ctx ? ctx.actions.busy(formKey(station)) : false;
  const said = (r: Record<string, unknown>): string => {
    const res = String(r['resource'] ?? '');
    if (r['changed'] === false) return w.changed.same(res);
    return r['enabled'] === false ? w.changed.off(res) : w.changed.on(res);
  };
  return h('div', { class: 'service', attrs: { id: 'station-service', 'data-key': 'service' } }, [
    h('h4', { text: w.outOfService }),
    entries.length === 0
      ? h('p', { class: 'none', text: w.noneOut, attrs: { 'data-key': 'none-out' } })
      : h(
          'ul',
          { class: 'out-of-service', attrs: { 'data-key': 'out-list' } },
          entries.map((e) => {
            const at = e.since ? stationTime(e.since, zone) : '—';
            if (e.slot !== undefined && e.device !== undefined) return slotEntry(station, { ...e, device: e.device, slot: e.slot }, at, refusal);
            const key = serviceKey(station, e.resource);
            const fromConfig = e.source === 'config';
            return h('li', { attrs: { 'data-key': `out-${e.resource}`, 'data-resource': e.resource, 'data-source': e.source ?? '' } }, [
              h('span', { text: '⊘ ', attrs: { 'aria-hidden': 'true' } }),
              h('b', { text: e.by ? w.outBy(e.resource, e.by, at) : w.outNoBy(e.resource, at) }),
              e.reason ? h('span', { class: 'out-reason', text: ` · ${w.outReason(e.reason)}` }) : undefined,
              fromConfig
                ? h('p', { class: 'muted', text: w.fromConfig })
                : h('p', {}, [
                    h('button', {
                      text: w.putBack(e.resource),
                      attrs: { type: 'button', 'data-action': 'resource-service', 'data-resource': e.resource, 'data-enabled': 'true', ...(refusal || ctx?.actions.busy(key) ? { disabled: '' } : {}) },
                    }),
                  ]),
              actionReply(stateOf(ctx, key), said),
            ]);
          }),
        ),
    h('div', { class: 'service-form', attrs: { 'data-service-form': station, 'data-key': 'service-form', role: 'group', 'aria-labelledby': `service-form-head-${station}` } }, [
      h('h4', { text: w.takeOut, attrs: { id: `service-form-head-${station}` } }),
      h('p', { class: 'muted', text: w.takeOutHint }),
      h('label', { attrs: { 'data-key': 'resource' } }, [`${w.resource} `, h('input', { attrs: { type: 'text', name: 'service-resource', list: listId, autocomplete: 'off', maxlength: '64', spellcheck: 'false' } })]),
      h('datalist', { attrs: { id: listId } }, suggestions.map((id) => h('option', { attrs: { value: id } }))),
      h('label', { attrs: { 'data-key': 'reason' } }, [`${w.reason} `, h('input', { attrs: { type: 'text', name: 'service-reason', maxlength: '200' } })]),
      h('p', {}, [
        h('button', { text: w.takeOutButton, attrs: { type: 'button', 'data-action': 'resource-service', 'data-enabled': 'false', 'data-form': 'true', ...(refusal || formBusy ? { disabled: '' } : {}) } }),
        ' ',
        h('button', { text: w.putBackButton, attrs: { type: 'button', 'data-action': 'resource-service', 'data-enabled': 'true', 'data-form': 'true', ...(refusal || formBusy ? { disabled: '' } : {}) } }),
      ]),
      refusal ? h('p', { class: 'action-blocked', text: refusal }) : undefined,
      h('p', { class: 'form-problem', attrs: { role: 'alert', 'data-key': 'problem' } }),
      actionReply(formState, said),
    ]),
  ]);
}

/**
 * A cabinet slot in the out-of-service list: which, who, when, why, and a way back (cmd/slot, as
 * the cabinet card's own button; its reply shows under the card's slot row).
 */
function slotEntry(station: string, e: OutEntry & { device: string; slot: number }, at: string, refusal: string | undefined): HTMLElement {
  const ctx = stationContext();
  const w = words(SERVICE_TEXT);
  const n = String(e.slot);
  const busy = ctx ? ctx.actions.busy(slotKey(station, e.device, e.slot)) : false;
  return h('li', { attrs: { 'data-key': `out-${e.device}-slot-${n}`, 'data-resource': e.resource, 'data-device': e.device, 'data-slot': n, 'data-source': e.source ?? '' } }, [
    h('span', { text: '⊘ ', attrs: { 'aria-hidden': 'true' } }),
    h('b', { text: e.by ? w.slotOutBy(e.resource, n, e.by, at) : w.slotOutNoBy(e.resource, n, at) }),
    e.reason ? h('span', { class: 'out-reason', text: ` · ${w.outReason(e.reason)}` }) : undefined,
    h('p', {}, [
      h('button', {
        text: w.putBackSlot(e.resource, n),
        attrs: { type: 'button', 'data-action': 'slot-service', 'data-device': e.device, 'data-slot': n, 'data-enabled': 'true', ...(refusal || busy ? { disabled: '' } : {}) },
      }),
    ]),
  ]);
}

onAction('slot-service', (button, ctx) => {
  const device = button.dataset['device'];
  const door = Number(button.dataset['slot']);
  if (!device || !Number.isInteger(door)) return;
  const key = slotKey(ctx.stationId, device, door);
  if (ctx.actions.busy(key)) return;
  const enabled = button.dataset['enabled'] === 'true';
  // The list's way back has no reason field; the cabinet's controls have one, for taking out.
  const reasonInput = button.closest<HTMLElement>('[data-slot-actions]')?.querySelector<HTMLInputElement>('input[name="slot-reason"]');
  const reason = enabled ? undefined : reasonInput?.value.trim().slice(0, 200);
  const run = ctx.actions.run({ key, stationId: ctx.stationId, command: 'slot', body: { device, slot: door, enabled, ...(reason ? { reason } : {}) }, code: { act: 'operate', res: device } });
  void run.then((reply) => {
    if (reply.ok && reason && reasonInput) reasonInput.value = '';
  });
});

onAction('resource-service', (button, ctx) => {
  const enabled = button.dataset['enabled'] === 'true';
  const form = button.dataset['form'] === 'true' ? button.closest<HTMLElement>('[data-service-form]') : null;
  const resourceInput = form?.querySelector<HTMLInputElement>('input[name="service-resource"]');
  const reasonInput = form?.querySelector<HTMLInputElement>('input[name="service-reason"]');
  const resource = (form ? resourceInput?.value : button.dataset['resource'])?.trim() ?? '';
  const problem = form?.querySelector<HTMLElement>('.form-problem');
  if (!resource) {
    if (problem) problem.textContent = words(SERVICE_TEXT).needResource;
    resourceInput?.focus();
    return;
  }
  if (problem) problem.textContent = '';
  const reason = reasonInput?.value.trim().slice(0, 200);
  const key = form ? formKey(ctx.stationId) : serviceKey(ctx.stationId, resource);
  if (ctx.actions.busy(key)) return;
  const run = ctx.actions.run({ key, stationId: ctx.stationId, command: 'service', body: { resource, enabled, ...(reason ? { reason } : {}) }, code: { act: 'operate', res: resource } });
  void run.then((reply) => {
    // Done: the form is cleared for the next; a refusal keeps what was typed, to correct it.
    if (reply.ok && form) {
      if (resourceInput) resourceInput.value = '';
      if (reasonInput) reasonInput.value = '';
    }
  });
});
