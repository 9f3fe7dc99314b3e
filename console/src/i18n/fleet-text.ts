import type { Texts } from './locale.js';

/*
 * The words of the fleet list and the map. Status is always said in words (and drawn as a shape)
 * beside its colour: an operator who cannot tell red from green, or reads a grey screenshot, must
 * still see which station is down.
 */

const zh = {
  // The list
  searchPlaceholder: '搜索站点编号、告警或设备',
  searchLabel: '搜索站点',
  sortLabel: '排序',
  filterLabel: '筛选',
  filters: { all: '全部', offline: '离线', critical: '紧急告警', 'no-batteries': '无可用电池' },
  sorts: { alarm: '告警最紧急', status: '离线优先', batteries: '可用电池最少', heard: '最近上报', id: '站点编号' },
  columns: { station: '站点', alarm: '最紧急告警', availability: '营业与电池', heard: '最后上报' },
  listLabel: '站点列表',
  counts: (c: { total: number; online: number; offline: number; critical: number; noBatteries: number; shown: number }) =>
    `共 ${c.total} 个站点 · 在线 ${c.online} · 离线 ${c.offline} · 紧急告警 ${c.critical} · 无可用电池 ${c.noBatteries} · 当前显示 ${c.shown}`,
  empty: (q: string) => `没有匹配的站点：“${q}”`,
  emptyFilter: '没有符合当前筛选条件的站点',
  emptyFleet: '还没有收到任何站点的数据',
  emptyHint: '请检查站点编号或告警名称，或清空搜索框',
  status: { online: '在线', offline: '离线', unknown: '状态未知' },
  offlineFor: (age: string) => `离线 · 最后上报 ${age}`,
  noAlarms: '无告警',
  moreAlarms: (n: number) => `另有 ${n} 条`,
  open: '营业中',
  closed: '暂停营业',
  ready: (n: number) => `可换电池 ${n} 块`,
  lastKnown: (what: string) => `离线前：${what}`,
  // The map
  mapLabel: '站点位置图：用方向键在站点之间移动，按回车键打开',
  mapCounts: (c: { placed: number; offline: number; critical: number; unplaced: number }) =>
    `图上 ${c.placed} 个站点 · 离线 ${c.offline} · 紧急告警 ${c.critical} · 无位置 ${c.unplaced}`,
  mapState: { ok: '在线', critical: '紧急告警', offline: '离线（最后已知位置）' },
  legend: { ok: '在线：实心圆点', critical: '紧急告警：大圆点加黑圈', offline: '离线：空心圆圈' },
  pinLabel: (id: string, state: string) => `${id}，${state}`,
  noPosition: (n: number) => `无位置信息（${n}）`,
  moreUnplaced: (n: number) => `还有 ${n} 个，请在列表中搜索`,
};

const en: typeof zh = {
  searchPlaceholder: 'Search station, alarm or device',
  searchLabel: 'Search stations',
  sortLabel: 'Sort',
  filterLabel: 'Filter',
  filters: { all: 'All', offline: 'Offline', critical: 'Critical', 'no-batteries': 'No ready batteries' },
  sorts: { alarm: 'Worst alarm', status: 'Offline first', batteries: 'Fewest batteries', heard: 'Last heard', id: 'Station id' },
  columns: { station: 'Station', alarm: 'Worst alarm', availability: 'Availability', heard: 'Last heard' },
  listLabel: 'Stations',
  counts: (c) =>
    `${c.total} stations · ${c.online} online · ${c.offline} offline · ${c.critical} critical · ${c.noBatteries} without ready batteries · showing ${c.shown}`,
  empty: (q) => `No station matches “${q}”`,
  emptyFilter: 'No station matches this filter',
  emptyFleet: 'No station has reported yet',
  emptyHint: 'Check the station id or alarm name, or clear the search',
  status: { online: 'online', offline: 'offline', unknown: 'status unknown' },
  offlineFor: (age) => `offline · last heard ${age}`,
  noAlarms: 'no alarms',
  moreAlarms: (n) => `+${n} more`,
  open: 'open',
  closed: 'closed',
  ready: (n) => `${n} ready`,
  lastKnown: (what) => `before going offline: ${what}`,
  mapLabel: 'Station positions: arrow keys move between stations, Enter opens one',
  mapCounts: (c) => `${c.placed} stations on the map · ${c.offline} offline · ${c.critical} critical · ${c.unplaced} with no position`,
  mapState: { ok: 'online', critical: 'critical alarm', offline: 'offline (last known place)' },
  legend: { ok: 'online: filled dot', critical: 'critical alarm: large dot, black ring', offline: 'offline: hollow ring' },
  pinLabel: (id, state) => `${id}, ${state}`,
  noPosition: (n) => `No position (${n})`,
  moreUnplaced: (n) => `and ${n} more: search for them in the list`,
};

export const FLEET_TEXT: Texts<typeof zh> = { 'zh-CN': zh, en };
