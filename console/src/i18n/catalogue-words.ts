import type { ALARM_CATALOGUE, AlarmSeverity } from '../../../cloud-bridge/alarm-catalogue.js';
import type { EventType } from '../../../cloud-bridge/event-catalogue.js';

/*
 * The alarm and event catalogues (cloud-bridge/alarm-catalogue.ts, event-catalogue.ts) in words an
 * operator reads: a name, what it means, what to do. Only types are imported from the catalogues
 * (the event catalogue carries zod schemas the page must not bundle); the tables are keyed by the
 * catalogues' own name types, so an alarm or event added there without words here is a type error,
 * and test/console/catalogue-text.test.ts checks every entry has text in both languages.
 */

import type { Lang, Texts } from './locale.js';

/** A catalogue name as written there: patterns keep their `<n>`. */
export type AlarmPattern = (typeof ALARM_CATALOGUE)[number]['name'];
type Numbered = Extract<AlarmPattern, `${string}.<n>`>;

export interface CatalogueWords {
  name: string;
  meaning: string;
  action: string;
}

/** A pattern's name takes the instance (a door number): "3 号仓过热". */
type AlarmWords = { [K in AlarmPattern]: K extends Numbered ? { name: (n: string) => string; meaning: string; action: string } : CatalogueWords };
type EventWords = Record<EventType, CatalogueWords>;

export interface CatalogueTable {
  alarms: AlarmWords;
  events: EventWords;
  severities: Record<AlarmSeverity, string>;
  unknownAlarm: (name: string) => CatalogueWords;
  unknownEvent: (type: string) => CatalogueWords;
}

const NOTHING_ZH = '无需处理。';
const NOTHING_EN = 'Nothing to do.';

const zh: CatalogueTable = {
  alarms: {
    'device.offline': {
      name: '设备离线',
      meaning: '设备连续多次轮询都没有应答（详情里的错误码是最后一次的错误）。',
      action: '检查设备的电源和线缆（站点自检会指出是哪个端口）；设备状态里有它的错误计数。',
    },
    'store.disk-full': {
      name: '存储空间已满',
      meaning: '网关的数据库写不进去了（磁盘或文件系统已满）；这条告警是从内存里发出的。',
      action: '清理网关磁盘空间（日志、旧的 .corrupt-* 文件）；在此期间事件先存在内存里，网关不断电就不会丢。',
    },
    'store.corrupt': {
      name: '数据库已损坏',
      meaning: '启动时数据库没有通过完整性检查，已被移到一边，换了一个新库。',
      action: '按 docs/storage.md 抢救被移开的文件；如果再次出现，更换存储卡。',
    },
    'store.lost': {
      name: '数据库丢失',
      meaning: '启动时发现数据库是个新文件，但记录显示此前有过一个（被删除、清空或替换）。',
      action: '查清楚是什么删掉了文件；重置前签发的通行凭证会被拒绝，需要重新签发。',
    },
    'store.budget': {
      name: '数据库超出容量上限',
      meaning: '数据库超过了容量上限：“重要”表示已送达的历史被提前清理，“紧急”表示未上传的事件也将被清理。',
      action: '检查云端连接（断线时未上传的事件会越积越多），以及 storage.maxBytes 的设置。',
    },
    'cloud.identity-conflict': {
      name: '站点编号冲突',
      meaning: '另一个连接使用了本站的客户端编号，把本站从消息服务器上挤了下来。',
      action: '找出用同一站点编号的第二台网关或工具（克隆的 SD 卡、测试台），把它停掉。',
    },
    'door.forced': {
      name: '门被强行打开',
      meaning: '门锁没有解锁，门却被打开了。',
      action: '派人到现场查看：可能有人闯入，也可能是门磁坏了。',
    },
    'door.held': {
      name: '门长时间未关',
      meaning: '门开着的时间超过了允许的时长。',
      action: '检查闭门器是否卡住或损坏。',
    },
    'person.still': {
      name: '站内有人长时间不动',
      meaning: '夜间站内有人，超过设定时长一直没有动。',
      action: '马上打电话或派人过去：这个人可能需要帮助。',
    },
    'water.leak': {
      name: '饮水机漏水',
      meaning: '饮水机的漏水传感器检测到水，已停止出水。',
      action: '关闭进水，找到漏点并修好。',
    },
    'water.tank-low': {
      name: '水箱水位低',
      meaning: '水箱水位已降到设定的低水位或以下。',
      action: '下一轮巡检时加水。',
    },
    'water.filter-due': {
      name: '滤芯需要更换',
      meaning: '饮水机报告滤芯到期。',
      action: '更换滤芯，并把饮水机的滤芯计数清零。',
    },
    'slot.overheat.<n>': {
      name: (n) => `${n} 号仓过热`,
      meaning: '该仓电池温度达到过热上限，或电池自己报告过温；该仓已锁定，充电已切断。',
      action: '不要打开该仓；等电池冷却后检查，并停用这块电池。',
    },
    'slot.temp-rising.<n>': {
      name: (n) => `${n} 号仓温度上升过快`,
      meaning: '该仓电池升温速度超过上限，充电已切断。',
      action: '留意该仓是否会过热；停用这块电池。',
    },
    'slot.charging-not-cut.<n>': {
      name: (n) => `${n} 号仓无法断电`,
      meaning: '该仓需要切断充电，但没能切断（详情里有原因）。',
      action: '立即手动切断电池柜的充电电源。',
    },
    'cabinet.smoke': {
      name: '电池柜冒烟',
      meaning: '电池柜自带的烟感报警：充电已切断，不再开放任何仓位。',
      action: '按火灾预案处理：不要打开电池柜，拨打 119。',
    },
    'cabinet.safety-unproven': {
      name: '电池柜安全状态待确认',
      meaning: '安全记录随数据库一起丢失了：每个仓都先按过热处理，直到读到安全的温度。',
      action: '一般不用处理；如果某个仓一直读不到安全值，要检查它的电池。',
    },
    'station.smoke': {
      name: '站内烟雾报警',
      meaning: '站内烟感检测到烟雾：所有电池柜已停止充电，所有门已解锁，站点已关闭。',
      action: '按火灾预案处理：拨打 119，任何人不要进去。',
    },
    'smoke-detector.fault': {
      name: '烟感故障',
      meaning: '烟感报告自身故障。',
      action: '测试并更换烟感：它坏了，站点就发现不了烟雾。',
    },
  },
  events: {
    'access.granted': { name: '准许通行', meaning: '通行凭证验证通过；在开门、开始换电或出水之前记录。', action: NOTHING_ZH },
    'access.denied': {
      name: '拒绝通行',
      meaning: '凭证或扫码被拒绝；短时间内大量被拒时每分钟只记一次，并附上次数。',
      action: '偶尔一次不用处理；反复出现时联系这位工人，或检查扫码器。',
    },
    'door.opened': { name: '门已打开', meaning: '门磁检测到门打开。', action: NOTHING_ZH },
    'door.closed': { name: '门已关上', meaning: '门磁检测到门关上。', action: NOTHING_ZH },
    'exit.pressed': { name: '按下出门按钮', meaning: '站内有人按了出门按钮。', action: NOTHING_ZH },
    'door.forced': { name: '门被强行打开', meaning: '门锁没有解锁，门却被打开了（同时有告警）。', action: '派人到现场查看：可能有人闯入，也可能是门磁坏了。' },
    'door.held': { name: '门长时间未关', meaning: '门开着的时间太长（同时有告警）。', action: '检查闭门器是否卡住或损坏。' },
    'swap.started': { name: '开始换电', meaning: '换电开始：已打开一个空仓，等骑手放入电池。', action: NOTHING_ZH },
    'swap.completed': { name: '换电完成', meaning: '骑手放入了自己的电池，取走了一块充好的电池。', action: NOTHING_ZH },
    'swap.aborted': { name: '换电中止', meaning: '换电没有完成，原因见详情。', action: '偶尔一次不用处理；同一个仓反复中止时检查仓门。' },
    'water.dispensed': { name: '取水', meaning: '一次取水结束。', action: NOTHING_ZH },
    'occupancy.session': { name: '一次使用结束', meaning: '站内有人进来过，现在又空了。', action: NOTHING_ZH },
    'alarm.raised': { name: '告警发生', meaning: '发生了一条告警（或告警级别有变化）。', action: '按该告警的处理办法处理。' },
    'alarm.cleared': { name: '告警解除', meaning: '一条告警已经结束。', action: NOTHING_ZH },
    'alarm.acknowledged': { name: '告警已认领', meaning: '一位运维人员认领了一条仍在进行的告警：有人在处理。', action: NOTHING_ZH },
    'device.online': { name: '设备上线', meaning: '设备恢复应答（或启动后第一次应答）。', action: NOTHING_ZH },
    'device.offline': { name: '设备离线', meaning: '设备不再应答（同时有“设备离线”告警）。', action: '检查设备的电源和线缆。' },
    'gateway.started': { name: '网关启动', meaning: '站点网关启动了。', action: '不用处理；如果频繁重启，检查网关供电。' },
    'fire.started': { name: '站内烟雾报警', meaning: '站内有烟雾：所有电池柜停止充电，所有门已解锁。', action: '按火灾预案处理：拨打 119，任何人不要进去。' },
    'diagnostics.requested': {
      name: '远程诊断请求',
      meaning: '有运维人员远程调取站点日志或自检结果（无论是否批准都会记录）。',
      action: '不用处理；如果有陌生的请求被拒绝，核实是谁发的。',
    },
    'fire.ended': { name: '烟雾报警解除', meaning: '各处烟雾都已消散：门恢复正常，允许充电。', action: '派人到现场确认安全。' },
    'resource.service': { name: '设施停用或恢复', meaning: '运维人员远程停用了一个设施（门禁入口、饮水机、电池柜……）或让它恢复使用；停用期间工人的通行码会被拒绝。', action: '停用时：安排检修，修好后在控制台恢复使用。' },
  },
  severities: { critical: '紧急', major: '重要', minor: '次要', warning: '提示' },
  unknownAlarm: (name) => ({ name, meaning: '这条告警不在本控制台的告警目录里（站点软件可能比控制台新）。', action: '查看站点文档中的告警说明。' }),
  unknownEvent: (type) => ({ name: type, meaning: '这种事件不在本控制台的事件目录里。', action: NOTHING_ZH }),
};

const en: CatalogueTable = {
  alarms: {
    'device.offline': {
      name: 'Device offline',
      meaning: 'The device failed several polls in a row (the detail’s code is the last error).',
      action: 'Check the device’s power and cable (the station’s doctor names the port); the device state shows its error counts.',
    },
    'store.disk-full': {
      name: 'Disk full',
      meaning: 'The gateway’s database cannot be written (disk or file system full); this alarm is published from memory.',
      action: 'Free space on the gateway’s disk (logs, old .corrupt-* files); events are held in memory meanwhile, not lost while it runs.',
    },
    'store.corrupt': {
      name: 'Database corrupt',
      meaning: 'At start the database failed its integrity check and was moved aside; a fresh one was begun.',
      action: 'Salvage the moved-aside file (docs/storage.md); replace the storage medium if it happens again.',
    },
    'store.lost': {
      name: 'Database lost',
      meaning: 'At start the database was a fresh file where an earlier one is remembered (missing, emptied or replaced).',
      action: 'Find out what removed the file; tokens issued before the reset are refused, issue fresh ones.',
    },
    'store.budget': {
      name: 'Database over its size budget',
      meaning: 'The database is over its size budget: major when delivered history had to go early, critical when undelivered events would have to.',
      action: 'Check the cloud link (undelivered events pile up while it is down) and storage.maxBytes.',
    },
    'cloud.identity-conflict': {
      name: 'Station id in use elsewhere',
      meaning: 'Another connection with this station’s client id took it off the broker.',
      action: 'Find the second gateway or tool using this station id (a cloned SD card, a test bench) and stop it.',
    },
    'door.forced': { name: 'Door forced open', meaning: 'The door opened while its lock was not released.', action: 'Go and look: a break-in or a faulty door sensor.' },
    'door.held': { name: 'Door held open', meaning: 'The door stayed open longer than its limit.', action: 'Check for a wedged or broken door closer.' },
    'person.still': {
      name: 'Person not moving',
      meaning: 'Someone inside has not moved for the still limit at night.',
      action: 'Call or send someone now: the person may need help.',
    },
    'water.leak': { name: 'Water leak', meaning: 'The dispenser’s leak sensor reports water; dispensing has stopped.', action: 'Shut the supply, find and fix the leak.' },
    'water.tank-low': { name: 'Water tank low', meaning: 'The tank level is at or below its low mark.', action: 'Refill the tank on the next round.' },
    'water.filter-due': { name: 'Filter change due', meaning: 'The dispenser reports its filter due.', action: 'Change the filter and reset the dispenser’s filter counter.' },
    'slot.overheat.<n>': {
      name: (n) => `Slot ${n} overheating`,
      meaning: 'The battery in this slot is at or above the overheat limit, or flags over-temperature; the slot is locked out and its charging cut.',
      action: 'Do not open the slot; check the battery once cool and take it out of service.',
    },
    'slot.temp-rising.<n>': {
      name: (n) => `Slot ${n} temperature rising fast`,
      meaning: 'The battery in this slot warms faster than the rise limit; charging is cut.',
      action: 'Watch the slot for an overheat; take the battery out of service.',
    },
    'slot.charging-not-cut.<n>': {
      name: (n) => `Slot ${n} charging could not be cut`,
      meaning: 'Charging of this slot had to be cut and could not be (the detail says why).',
      action: 'Cut the cabinet’s charging power by hand, now.',
    },
    'cabinet.smoke': {
      name: 'Smoke in the cabinet',
      meaning: 'The cabinet’s own smoke sensor reports smoke; charging is cut and no slot is offered.',
      action: 'Fire procedure: do not open the cabinet; call the fire service.',
    },
    'cabinet.safety-unproven': {
      name: 'Cabinet safety not yet proven',
      meaning: 'The safety record was lost with the database: every slot is held as if it had overheated until it reads safe.',
      action: 'Nothing unless it lasts: a slot that never reads safe needs its battery checked.',
    },
    'station.smoke': {
      name: 'Smoke in the station',
      meaning: 'A station smoke detector reports smoke: charging is cut in every cabinet, doors released, the station closed.',
      action: 'Fire procedure: call the fire service; nobody goes in.',
    },
    'smoke-detector.fault': {
      name: 'Smoke detector fault',
      meaning: 'The smoke detector reports a fault of its own.',
      action: 'Test and replace the detector: the station cannot see smoke through it.',
    },
  },
  events: {
    'access.granted': { name: 'Access granted', meaning: 'A token was accepted; written before the door opens, the swap starts or the water flows.', action: NOTHING_EN },
    'access.denied': {
      name: 'Access refused',
      meaning: 'A token or a scan was refused; floods are written once a minute with the count.',
      action: 'Nothing if it is once; if it repeats, contact the worker or check the scanner.',
    },
    'door.opened': { name: 'Door opened', meaning: 'A door sensor saw the door open.', action: NOTHING_EN },
    'door.closed': { name: 'Door closed', meaning: 'A door sensor saw the door close.', action: NOTHING_EN },
    'exit.pressed': { name: 'Exit button pressed', meaning: 'Someone pressed the exit button inside.', action: NOTHING_EN },
    'door.forced': { name: 'Door forced open', meaning: 'The door opened while locked (with the alarm).', action: 'Go and look: a break-in or a faulty door sensor.' },
    'door.held': { name: 'Door held open', meaning: 'The door stayed open too long (with the alarm).', action: 'Check for a wedged or broken door closer.' },
    'swap.started': { name: 'Swap started', meaning: 'A battery swap began: an empty slot is offered for the rider’s battery.', action: NOTHING_EN },
    'swap.completed': { name: 'Swap completed', meaning: 'The rider put their battery in and took a charged one.', action: NOTHING_EN },
    'swap.aborted': { name: 'Swap aborted', meaning: 'A swap ended without an exchange; the reason says why.', action: 'Nothing if it is once; if one slot keeps aborting, check its door.' },
    'water.dispensed': { name: 'Water dispensed', meaning: 'A water session ended.', action: NOTHING_EN },
    'occupancy.session': { name: 'Visit ended', meaning: 'The station was occupied and is empty again.', action: NOTHING_EN },
    'alarm.raised': { name: 'Alarm raised', meaning: 'An alarm was raised (or its severity changed).', action: 'Follow that alarm’s action.' },
    'alarm.cleared': { name: 'Alarm cleared', meaning: 'An alarm is over.', action: NOTHING_EN },
    'alarm.acknowledged': { name: 'Alarm acknowledged', meaning: 'An operator took on an alarm that is still active: someone is on it.', action: NOTHING_EN },
    'device.online': { name: 'Device online', meaning: 'A device answered again (or for the first time since start).', action: NOTHING_EN },
    'device.offline': { name: 'Device offline', meaning: 'A device stopped answering (with the device offline alarm).', action: 'Check the device’s power and cable.' },
    'gateway.started': { name: 'Gateway started', meaning: 'The station’s gateway started.', action: 'Nothing; if it restarts often, check its power supply.' },
    'fire.started': { name: 'Smoke in the station', meaning: 'Smoke in the station: charging held off in every cabinet, every door released.', action: 'Fire procedure: call the fire service; nobody goes in.' },
    'diagnostics.requested': {
      name: 'Diagnostics requested',
      meaning: 'An operator asked for the station’s logs or doctor checks from afar, granted or refused.',
      action: 'Nothing; if a request you do not recognise was refused, find out who sent it.',
    },
    'fire.ended': { name: 'Smoke cleared', meaning: 'Smoke cleared everywhere: doors back to normal, charging allowed again.', action: 'Send someone to check the station is safe.' },
    'resource.service': { name: 'Out of service or back', meaning: 'An operator took a resource (a door entrance, a dispenser, a cabinet, …) out of service from afar, or put it back; while it is out, workers\' codes for it are refused.', action: 'When taken out: have it repaired, then put it back from the console.' },
  },
  severities: { critical: 'Critical', major: 'Major', minor: 'Minor', warning: 'Warning' },
  unknownAlarm: (name) => ({ name, meaning: 'This alarm is not in this console’s catalogue (the station may run newer software).', action: 'See the station’s documentation of its alarms.' }),
  unknownEvent: (type) => ({ name: type, meaning: 'This event type is not in this console’s catalogue.', action: NOTHING_EN }),
};

export const CATALOGUE_TEXT: Texts<CatalogueTable> = { 'zh-CN': zh, en };

/** Splits `slot.overheat.3` into its catalogue pattern and door number. */
export function alarmPattern(name: string): { pattern: string; instance?: string | undefined } {
  const m = /^(.+)\.([1-9]\d*)$/.exec(name);
  if (m && Object.hasOwn(zh.alarms, `${m[1]}.<n>`)) return { pattern: `${m[1]}.<n>`, instance: m[2] };
  return { pattern: name };
}

/** An alarm's words in one language; an instance's number goes into its name. */
export function alarmWords(l: Lang, name: string): CatalogueWords {
  const t = CATALOGUE_TEXT[l];
  const { pattern, instance } = alarmPattern(name);
  if (!Object.hasOwn(t.alarms, pattern)) return t.unknownAlarm(name);
  const entry = t.alarms[pattern as AlarmPattern];
  const label = typeof entry.name === 'function' ? entry.name(instance ?? 'n') : entry.name;
  return { name: label, meaning: entry.meaning, action: entry.action };
}

export function eventWords(l: Lang, type: string): CatalogueWords {
  const t = CATALOGUE_TEXT[l];
  return Object.hasOwn(t.events, type) ? t.events[type as EventType] : t.unknownEvent(type);
}

export function severityWords(l: Lang, severity: string): string {
  const t = CATALOGUE_TEXT[l].severities;
  return Object.hasOwn(t, severity) ? t[severity as AlarmSeverity] : severity;
}
