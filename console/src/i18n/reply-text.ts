import type { ReplyCode } from '../operator/command-channel.js';
import { lang, type Lang, type Texts } from './locale.js';

/*
 * A command's reply in words, for the operator who sent it: what happened and what to do. Every
 * code of the command catalogue (config/error-catalogue.ts, area `command`) and the console's own
 * failures (operator/local-failure.ts); the table is keyed by the code type, so a code added to the
 * catalogue without words here is a type error. The station's message is shown beside the words.
 */

export interface ReplyWords {
  what: string;
  todo: string;
}

export interface ReplyTable {
  codes: Record<ReplyCode, ReplyWords>;
  ok: string;
  unknown: (code: string) => ReplyWords;
  /** A spending code waits for the next 5-s step (one per step; docs/passes.md). */
  waitingStep: (seconds: number) => string;
  waitingStation: string;
  stationSaid: (message: string) => string;
}

const zh: ReplyTable = {
  codes: {
    BAD_REQUEST: { what: '站点看不懂这个请求（字段缺失或格式不对）。', todo: '不要原样重试；请把页面版本和站点版本报告给开发人员。' },
    BAD_TOKEN: { what: '站点不认这个签名码：通行证或本机签名验证失败，或本机时间与站点相差太多。', todo: '检查这台电脑的时间是否准确，然后再试一次。' },
    UNKNOWN_KEY: { what: '站点不信任签发这张通行证的密钥。', todo: '请车队用该站点信任的密钥重新签发运维通行证。' },
    EXPIRED: { what: '请求或通行证已过期，什么也没做。', todo: '换一张有效的运维通行证后重试。' },
    NOT_YET_VALID: { what: '通行证还没有生效（站点时间早于它的生效时间）。', todo: '检查车队和站点的时间；等通行证生效后再试。' },
    WRONG_STATION: { what: '这张通行证不适用于这个站点。', todo: '请车队签发包含此站点（或其分组）的运维通行证。' },
    UNKNOWN_RESOURCE: { what: '站点没有这个设施或编号。', todo: '核对站点配置里的资源名称后再试。' },
    FORBIDDEN: { what: '站点拒绝执行：通行证不允许这个操作，或该设施已停用。', todo: '不要重试；如需此权限，请车队重新签发通行证。' },
    REPLAYED: { what: '这个签名码已经用过，站点返回了第一次的结果。', todo: '无需处理；再次操作会自动使用新的签名码。' },
    CLOSED: { what: '站点现在关闭（不在开放时间，或因烟雾报警停用）。', todo: '告诉工人；等站点开放或报警解除后再试。' },
    FULL: { what: '没有空位：座位已满，或电池柜没有空仓。', todo: '告诉工人稍后再来或去别的站点。' },
    DEVICE_OFFLINE: { what: '执行这个操作的设备离线（或尚未读到）。', todo: '请现场人员检查设备；设备离线报警会显示离线时间。' },
    DEVICE_ERROR: { what: '设备拒绝或执行失败。', todo: '重试一次；如果仍失败，请现场人员检查设备。' },
    BUSY: { what: '设备或站点正忙（另一次使用、次数用完或站点正在重启）。', todo: '稍后再试。' },
    NO_BATTERY: { what: '没有该型号的满电电池。', todo: '请骑手去别的站点。' },
    CLOCK_UNTRUSTED: { what: '站点时钟不可信，无法检查通行证时间。', todo: '请现场人员检查站点的时间源。' },
    INTERNAL: { what: '站点内部出错，什么也没打开。', todo: '稍后重试；如果反复出现请上报。' },
    REVOKED: { what: '这张通行证（或持有人）已被车队吊销。', todo: '请车队核实原因并签发新的通行证。' },
    PASSBACK: { what: '防尾随：这位工人刚进过门，之后没有检测到有人离开。', todo: '请工人先出门或稍等。' },
    NOT_ACTIVE: { what: '这个报警现在已经不是活动报警（可能已自行解除）。', todo: '无需确认；刷新后查看当前报警。' },
    NOT_CONNECTED: { what: '控制台没有连接到代理服务器，请求没有发出。', todo: '等连接恢复（页头显示“已连接”）后再试。' },
    TIMEOUT: { what: '站点没有及时回复；不知道操作是否已执行。', todo: '查看站点状态和事件；站点离线时请勿反复重试。' },
    NO_PASS: { what: '没有可用的运维通行证，无法签名。', todo: '在“运维人员”面板中导入为本机密钥签发的运维通行证。' },
    SIGN_FAILED: { what: '浏览器无法生成签名码。', todo: '刷新页面；如果仍失败，请换用支持 Ed25519 的浏览器。' },
    BAD_REPLY: { what: '收到一个无法识别的回复。', todo: '查看站点事件确认结果；请上报这个问题。' },
  },
  ok: '已完成。',
  unknown: (code) => ({ what: `站点返回了未知代码 ${code}。`, todo: '查看站点事件确认结果。' }),
  waitingStep: (s) => `等待下一个签名时段，${s} 秒后发送…`,
  waitingStation: '已发送，等待站点回复…',
  stationSaid: (m) => `站点说明：${m}`,
};

const en: ReplyTable = {
  codes: {
    BAD_REQUEST: { what: 'The station could not read the request (a field missing or of the wrong shape).', todo: 'Do not retry it as it is; report the console and station versions.' },
    BAD_TOKEN: { what: 'The station did not accept the signed code: the pass or this browser\'s signature did not verify, or this computer\'s clock is far off.', todo: 'Check this computer\'s clock, then try again.' },
    UNKNOWN_KEY: { what: 'The station does not trust the key that signed this pass.', todo: 'Ask the fleet to issue the operator pass with a key this station trusts.' },
    EXPIRED: { what: 'The request or the pass had expired; nothing was done.', todo: 'Take a valid operator pass and try again.' },
    NOT_YET_VALID: { what: 'The pass is not valid yet (the station\'s clock is before its start).', todo: 'Check the fleet\'s and the station\'s clocks; try again once the pass is valid.' },
    WRONG_STATION: { what: 'This pass is not for this station.', todo: 'Ask the fleet for an operator pass naming this station (or its group).' },
    UNKNOWN_RESOURCE: { what: 'The station has no such resource or number.', todo: 'Check the resource name against the station\'s configuration.' },
    FORBIDDEN: { what: 'The station refused: the pass does not allow this action, or the resource is out of service.', todo: 'Do not retry; ask the fleet to issue a pass with this grant if you need it.' },
    REPLAYED: { what: 'This signed code was used already; the station returned the first result.', todo: 'Nothing to do: another action signs a new code.' },
    CLOSED: { what: 'The station is closed (outside its opening hours, or for smoke).', todo: 'Tell the worker; try again when it opens or the alarm clears.' },
    FULL: { what: 'No room: every seat taken, or no empty cabinet slot.', todo: 'Tell the worker to try later or another station.' },
    DEVICE_OFFLINE: { what: 'The device that would act is offline (or not read yet).', todo: 'Have a crew check the device; its offline alarm says since when.' },
    DEVICE_ERROR: { what: 'The device refused or failed.', todo: 'Retry once; if it repeats, have a crew check the device.' },
    BUSY: { what: 'The device or station is busy (another session, a spent budget, or a restart).', todo: 'Try again shortly.' },
    NO_BATTERY: { what: 'No charged battery of that pack type.', todo: 'Send the rider to another station.' },
    CLOCK_UNTRUSTED: { what: 'The station\'s clock cannot be trusted, so pass times cannot be checked.', todo: 'Have a crew check the station\'s time source.' },
    INTERNAL: { what: 'The station failed inside; nothing was opened.', todo: 'Try again later; report it if it repeats.' },
    REVOKED: { what: 'This pass (or its holder) was revoked by the fleet.', todo: 'Ask the fleet why, and for a new pass.' },
    PASSBACK: { what: 'Anti-passback: this worker just went in and no one has been seen leaving since.', todo: 'The worker leaves first, or waits.' },
    NOT_ACTIVE: { what: 'This alarm is no longer active (it may have cleared by itself).', todo: 'Nothing to acknowledge; see the current alarms.' },
    NOT_CONNECTED: { what: 'The console is not connected to the broker; nothing was sent.', todo: 'Wait for the connection ("Connected" in the header), then try again.' },
    TIMEOUT: { what: 'The station did not answer in time; whether it acted is not known.', todo: 'Check the station\'s state and events; do not keep retrying while it is offline.' },
    NO_PASS: { what: 'No usable operator pass to sign with.', todo: 'Load an operator pass issued for this browser\'s key in the Operator panel.' },
    SIGN_FAILED: { what: 'The browser could not make the signed code.', todo: 'Reload the page; if it still fails, use a browser with Ed25519.' },
    BAD_REPLY: { what: 'A reply of no known shape came back.', todo: 'Check the station\'s events for the result; report this.' },
  },
  ok: 'Done.',
  unknown: (code) => ({ what: `The station answered an unknown code ${code}.`, todo: 'Check the station\'s events for the result.' }),
  waitingStep: (s) => `Waiting for the next code step: sending in ${s} s…`,
  waitingStation: 'Sent; waiting for the station…',
  stationSaid: (m) => `The station said: ${m}`,
};

export const REPLY_TEXT: Texts<ReplyTable> = { 'zh-CN': zh, en };

/** The words for a reply code in the language in use (or `l`); an unknown code is shown as it is. */
export function replyWords(code: string, l: Lang = lang()): ReplyWords {
  const t = REPLY_TEXT[l];
  return (t.codes as Record<string, ReplyWords>)[code] ?? t.unknown(code);
}

export function replyTable(l: Lang = lang()): ReplyTable {
  return REPLY_TEXT[l];
}
