import type { Texts } from './locale.js';

/*
 * Taking a cabinet slot, or a whole resource (a door entrance, a dispenser, a cabinet), out of
 * service and back (console/src/station/service-*.ts, cmd/slot and cmd/service). Replies are worded
 * by reply-text.ts; times come in already formatted in the station's zone.
 */

const zh = {
  slotActions: '仓位停用与恢复',
  slotRow: (n: string) => `${n} 号仓`,
  slotOff: (n: string) => `停用 ${n} 号仓`,
  slotOn: (n: string) => `恢复 ${n} 号仓`,
  slotOffShort: '停用',
  slotOnShort: '恢复',
  slotIsOff: '已停用',
  slotIsOffTitle: '本控制台的操作结果，等待站点确认',
  slotOffBy: (by: string, at: string) => `${by} 于 ${at}`,
  slotNote: (res: string) => `按柜门上的编号。停用的仓位不再提供给换电；以资源 ${res} 的名义签名。停用状态由站点公布，所有运维人员都能看到；可用电池数会随之变化。`,
  outOfService: '停用中的设施',
  noneOut: '没有停用的设施。',
  outBy: (res: string, by: string, at: string) => `${res}：${by} 于 ${at} 停用`,
  outNoBy: (res: string, at: string) => `${res}：自 ${at} 起停用`,
  outReason: (r: string) => `原因：${r}`,
  slotOutBy: (res: string, n: string, by: string, at: string) => `${res} ${n} 号仓：${by} 于 ${at} 停用`,
  slotOutNoBy: (res: string, n: string, at: string) => `${res} ${n} 号仓：自 ${at} 起停用`,
  putBackSlot: (res: string, n: string) => `恢复 ${res} ${n} 号仓`,
  fromConfig: '在站点配置文件中停用，只能在现场修改配置文件恢复。',
  putBack: (res: string) => `恢复使用 ${res}`,
  takeOut: '停用设施',
  takeOutHint: '门禁入口、饮水机或电池柜：填写站点配置中的资源名称。停用后工人的通行码会被拒绝。',
  resource: '资源名称',
  reason: '原因（可选，最多 200 字）',
  takeOutButton: '停用',
  putBackButton: '恢复使用',
  needResource: '请先填写资源名称。',
  changed: { off: (res: string) => `${res} 已停用。`, on: (res: string) => `${res} 已恢复使用。`, same: (res: string) => `${res} 原本就是这个状态，没有变化。` },
  slotDone: { off: (n: string) => `${n} 号仓已停用。`, on: (n: string) => `${n} 号仓已恢复。` },
  /** A `resource.service` event's data as a sentence. */
  event: (res: string, enabled: boolean, by: string, reason: string | undefined) => `${by} ${enabled ? '恢复了' : '停用了'} ${res}${reason ? `，原因：${reason}` : ''}。`,
  /** `services.doors.reason` (contract DOOR_CLOSED_REASONS) in words. */
  closedReason: { smoke: '烟雾报警', 'out-of-service': '入口已停用', 'doors-offline': '门禁设备离线' } as Record<string, string>,
  denied: {
    'no-pass': '需要运维通行证才能操作（见“运维人员”面板）。',
    expired: '运维通行证已过期，请车队重新签发。',
    'not-yet-valid': '运维通行证还没有生效。',
    'other-station': '运维通行证不包含这个站点。',
    'no-grant': '运维通行证没有“运维（operate）”权限。',
  } as Record<'no-pass' | 'expired' | 'not-yet-valid' | 'other-station' | 'no-grant', string>,
};

const en: typeof zh = {
  slotActions: 'Slots out of service and back',
  slotRow: (n) => `Slot ${n}`,
  slotOff: (n) => `Take slot ${n} out of service`,
  slotOn: (n) => `Put slot ${n} back in service`,
  slotOffShort: 'Out of service',
  slotOnShort: 'Back in service',
  slotIsOff: 'out of service',
  slotIsOffTitle: 'as this console did it, until the station confirms',
  slotOffBy: (by, at) => `by ${by} at ${at}`,
  slotNote: (res) => `Numbers as on the cabinet's doors. A slot out of service is not offered for swaps; signed for resource ${res}. The station publishes which slots are out of service: every operator sees them; the ready batteries change with it.`,
  outOfService: 'Out of service',
  noneOut: 'Nothing is out of service.',
  outBy: (res, by, at) => `${res}: taken out of service by ${by} at ${at}`,
  outNoBy: (res, at) => `${res}: out of service since ${at}`,
  outReason: (r) => `reason: ${r}`,
  slotOutBy: (res, n, by, at) => `${res} slot ${n}: taken out of service by ${by} at ${at}`,
  slotOutNoBy: (res, n, at) => `${res} slot ${n}: out of service since ${at}`,
  putBackSlot: (res, n) => `Put ${res} slot ${n} back in service`,
  fromConfig: 'Out of service in the station file: only a change of that file on site puts it back.',
  putBack: (res) => `Put ${res} back in service`,
  takeOut: 'Take a resource out of service',
  takeOutHint: 'A door entrance, a dispenser or a cabinet: its resource name in the station file. While it is out, workers\' codes for it are refused.',
  resource: 'Resource name',
  reason: 'Reason (optional, up to 200 characters)',
  takeOutButton: 'Take out of service',
  putBackButton: 'Put back in service',
  needResource: 'Enter a resource name first.',
  changed: { off: (res) => `${res} is out of service.`, on: (res) => `${res} is back in service.`, same: (res) => `${res} was already so; nothing changed.` },
  slotDone: { off: (n) => `Slot ${n} is out of service.`, on: (n) => `Slot ${n} is back in service.` },
  event: (res, enabled, by, reason) => `${by} ${enabled ? 'put' : 'took'} ${res} ${enabled ? 'back in service' : 'out of service'}${reason ? `: ${reason}` : ''}.`,
  closedReason: { smoke: 'smoke alarm', 'out-of-service': 'entrance out of service', 'doors-offline': 'door devices offline' },
  denied: {
    'no-pass': 'An operator pass is needed (see the Operator panel).',
    expired: 'The operator pass has expired; ask the fleet for a new one.',
    'not-yet-valid': 'The operator pass is not valid yet.',
    'other-station': 'The operator pass does not include this station.',
    'no-grant': 'The operator pass does not allow "operate".',
  },
};

export const SERVICE_TEXT: Texts<typeof zh> = { 'zh-CN': zh, en };
