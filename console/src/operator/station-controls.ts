import type { Alarm } from '../../../cloud-bridge/contract-schemas.js';
import { h } from '../dom.js';
import { alarmText } from '../i18n/catalogue-text.js';
import { stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { OPERATOR_TEXT } from '../i18n/operator-text.js';
import { openActionDialog, type DialogField } from './action-dialog.js';
import { actionStatus } from './action-status.js';
import { forgetResource, rememberedResource, rememberResource } from './door-names.js';
import type { Permission } from './operator-identity.js';
import { doorResources } from './station-resources.js';
import { onAction, stationContext, type StationContext } from './view-context.js';

/*
 * The operator's controls in the station view: remote unlock under each door, acknowledge under
 * each active alarm, and their progress and replies in words. A control the pass does not allow
 * is drawn disabled with the reason beside it. The clicks arrive through the view's one listener
 * (view-context.ts), so what a button does is read from its data attributes, not a closure.
 */

const MAX_TEXT = 200;

export const unlockKey = (device: string, door: string): string => `unlock ${device} ${door}`;
export const ackKey = (alarm: string, device: string | undefined): string => `ack ${alarm} ${device ?? ''}`;

/**
 * A button and, under it, the action's progress or reply; the reason when it is not allowed.
 * `blocked`: a reason from the station itself (not the pass) that it cannot be done, in words.
 */
function control(ctx: StationContext, o: { key: string; label: string; action: string; data: Record<string, string>; allowed: Permission; describe?: string; blocked?: string }): HTMLElement {
  const t = words(OPERATOR_TEXT);
  const whyId = `why-${o.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const busy = ctx.actions.busy(o.key);
  const why = o.blocked ?? (o.allowed.ok ? undefined : t.why[o.allowed.reason]);
  const attrs: Record<string, string> = { type: 'button', 'data-action': o.action, 'data-key': `button ${o.key}`, ...o.data };
  if (o.describe) attrs['aria-label'] = o.describe;
  if (why !== undefined || busy) attrs['disabled'] = '';
  if (why !== undefined) attrs['aria-describedby'] = whyId;
  const me = ctx.actions.identity?.pass()?.summary.sub;
  return h('div', { class: 'operator-control', attrs: { 'data-key': `control ${o.key}` } }, [
    h('button', { class: 'action', text: o.label, attrs }),
    why === undefined ? undefined : h('small', { class: 'why', text: why, attrs: { id: whyId, 'data-key': `why ${o.key}` } }),
    actionStatus(ctx.actions.state(o.key), ctx.zone, me),
  ]);
}

/**
 * The names an unlock of this door may carry, as the station's birth lists them: in service, the
 * pass's grants first. Undefined when the station lists no resources (an older gateway): the
 * operator then gives the name.
 */
export function unlockNames(ctx: StationContext, device: string, door: string): { names: string[]; ofDoor: number } | undefined {
  if (!ctx.resources) return undefined;
  const ofDoor = doorResources(ctx.resources, device, door);
  const usable = ofDoor.filter((r) => !r.outOfService).map((r) => r.name);
  const granted = usable.filter((name) => ctx.actions.permits('unlock', ctx.stationId, name).ok);
  return { names: granted.length ? granted : usable, ofDoor: ofDoor.length };
}

export function unlockControl(device: string, door: string): HTMLElement | undefined {
  const ctx = stationContext();
  if (!ctx) return undefined;
  const t = words(OPERATOR_TEXT);
  const data: Record<string, string> = { 'data-device': device, 'data-door': door };
  const o = { key: unlockKey(device, door), label: t.unlock, describe: t.unlockDoor(door), action: 'unlock', data };
  const listed = unlockNames(ctx, device, door);
  if (!listed) return control(ctx, { ...o, allowed: ctx.actions.permits('unlock', ctx.stationId) });
  // The station lists its resources and none is this door: there is no name to unlock it by.
  if (listed.ofDoor === 0) return undefined;
  // Every name of this door is out of service in the station file: no command puts it back.
  if (listed.names.length === 0) return control(ctx, { ...o, allowed: ctx.actions.permits('unlock', ctx.stationId), blocked: t.outOfServiceInFile });
  const name = listed.names[0] as string;
  data['data-resource'] = name;
  return control(ctx, { ...o, allowed: ctx.actions.permits('unlock', ctx.stationId, name) });
}

/** The snapshot button: `cmd/snapshot` takes no token, but, as every action here, it is offered to an operator with a pass. */
export function snapshotControl(): HTMLElement | undefined {
  const ctx = stationContext();
  if (!ctx) return undefined;
  const t = words(OPERATOR_TEXT);
  return control(ctx, { key: 'snapshot', label: t.snapshot, action: 'snapshot', data: {}, allowed: ctx.actions.permits(undefined, ctx.stationId) });
}

/** Who acknowledged the alarm and when, for everyone; the acknowledge button where it is not. */
export function ackLine(alarm: Alarm, zone: string | undefined): HTMLElement[] {
  const t = words(OPERATOR_TEXT);
  const acked = (alarm as Alarm & { acknowledged?: { by: string; at: string; note?: string } }).acknowledged;
  const out: HTMLElement[] = [];
  if (acked) {
    out.push(
      h('p', { class: 'alarm-ack', attrs: { 'data-acknowledged-by': acked.by } }, [
        h('span', { text: '✔ ', attrs: { 'aria-hidden': 'true' } }),
        t.ackedBy(acked.by, stationTime(acked.at, zone)),
        acked.note ? ` · ${t.ackNote(acked.note)}` : '',
      ]),
    );
  }
  const ctx = stationContext();
  if (!ctx) return out;
  const key = ackKey(alarm.alarm, alarm.device);
  // An acknowledged alarm needs no second one, but the reply of one sent from here stays shown.
  if (!acked || ctx.actions.state(key)) {
    const data: Record<string, string> = { 'data-alarm': alarm.alarm };
    if (alarm.device) data['data-device'] = alarm.device;
    const c = control(ctx, { key, label: t.ack, describe: `${t.ack}: ${alarmText(alarm.alarm).name}`, action: 'ack', data, allowed: ctx.actions.permits('operate', ctx.stationId, ctx.stationId) });
    if (acked) c.querySelector('button')?.remove();
    out.push(c);
  }
  return out;
}

/** An older gateway's door: the operator types the name, remembered per door in this browser (door-names.ts). */
function typedResource(ctx: StationContext, device: string, door: string): DialogField {
  const t = words(OPERATOR_TEXT);
  const pass = ctx.actions.identity?.pass()?.summary;
  const named = [...new Set((pass?.grants ?? []).filter((g) => g.act === 0 && g.res !== null).map((g) => g.res as string))];
  const remembered = rememberedResource(ctx.stationId, device, door);
  return { name: 'resource', label: t.resourceLabel, note: t.resourceNote, required: true, missing: t.resourceMissing, maxLength: 64, value: remembered ?? (named.length === 1 ? (named[0] ?? '') : ''), suggestions: named };
}

export function registerStationControls(): void {
  onAction('unlock', (button, ctx) => {
    const t = words(OPERATOR_TEXT);
    const device = button.dataset['device'] ?? '';
    const door = button.dataset['door'] ?? '';
    const listed = unlockNames(ctx, device, door);
    if (listed && listed.names.length === 0) return;
    openActionDialog({
      id: 'unlock-dialog',
      heading: t.unlockHeading(door, ctx.stationId),
      fields: [
        listed ? { name: 'resource', label: t.resourceChoiceLabel, note: t.resourceChoiceNote, required: true, maxLength: 64, choices: listed.names } : typedResource(ctx, device, door),
        { name: 'reason', label: t.reasonLabel, required: true, missing: t.reasonMissing, maxLength: MAX_TEXT, multiline: true },
      ],
      confirm: (v) => t.confirmUnlock(v['resource'] ?? '', door, ctx.stationId, v['reason'] ?? ''),
      confirmLabel: t.unlockNow,
      onConfirm: (v) => {
        const res = v['resource'] ?? '';
        const sent = ctx.actions.run({ key: unlockKey(device, door), stationId: ctx.stationId, command: 'unlock', body: { reason: v['reason'] }, code: { act: 'unlock', res } });
        // The station named this door's resource itself: nothing to remember or to correct.
        if (listed) return;
        rememberResource(ctx.stationId, device, door, res);
        void sent.then((reply) => {
          const opened = reply.ok ? reply.result['door'] : undefined;
          if (opened === undefined || String(opened) === door) return;
          // The station opened another door for that name: the name belongs there, not here.
          forgetResource(ctx.stationId, device, door);
          rememberResource(ctx.stationId, device, String(opened), res);
        });
      },
    });
  });
  onAction('ack', (button, ctx) => {
    const t = words(OPERATOR_TEXT);
    const alarm = button.dataset['alarm'] ?? '';
    const device = button.dataset['device'];
    const name = alarmText(alarm).name;
    openActionDialog({
      id: 'ack-dialog',
      heading: t.ackHeading(name),
      fields: [{ name: 'note', label: t.noteLabel, required: false, maxLength: MAX_TEXT, multiline: true }],
      confirm: (v) => t.confirmAck(name, v['note'] || undefined),
      confirmLabel: t.ackNow,
      onConfirm: (v) => {
        const body: Record<string, unknown> = { alarm };
        if (device) body['device'] = device;
        if (v['note']) body['note'] = v['note'];
        void ctx.actions.run({ key: ackKey(alarm, device), stationId: ctx.stationId, command: 'ack', body, code: { act: 'operate', res: ctx.stationId } });
      },
    });
  });
  onAction('snapshot', (_button, ctx) => {
    void ctx.actions.run({ key: 'snapshot', stationId: ctx.stationId, command: 'snapshot', body: {} });
  });
  onAction('dismiss', (button, ctx) => ctx.actions.dismiss(button.dataset['actionKey'] ?? ''));
}
