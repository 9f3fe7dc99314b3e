import type { Lang, Texts } from './locale.js';

/*
 * The console's frame: header, navigation, the link's state, the connect form and why a
 * connection failed. broker-link.ts reports typed states; the words for them are here.
 */

/** Why a connection failed, as broker-link.ts can tell from inside a browser. */
export type FailReason = 'auth' | 'refused' | 'tls' | 'timeout' | 'closed' | 'subscribe' | 'broker';

const zh = {
  pageTitle: '站点 · 运维控制台',
  title: '站点',
  nav: '视图',
  list: '列表',
  map: '地图',
  disconnect: '断开连接',
  /** The switch shows the language it switches to, in that language. */
  switchTo: 'English',
  switchLabel: 'Switch the console to English',
  state: {
    closed: '未连接',
    connecting: '正在连接…',
    connected: '已连接',
    reconnecting: '连接中断，正在重连…',
  },
  failed: (why: string) => `连接失败：${why}`,
  retrying: '稍后自动重试',
  reason: {
    auth: '用户名或密码不对，代理服务器拒绝登录。请核对账号后重新连接。',
    refused: '该地址没有服务在监听（连接被拒绝）。请检查地址和端口，并确认代理服务器已开启 WebSocket。',
    tls: 'TLS 加密连接失败：浏览器不信任证书，或该端口不是 TLS 端口（wss:// 连到了普通端口）。请检查证书，或改用 ws://。',
    timeout: '连接超时：代理服务器没有响应。请检查网络，以及地址是否能从这台电脑访问。',
    closed: 'WebSocket 一打开就被关闭：路径可能不对（EMQX 需要 /mqtt），或该端口不是 MQTT over WebSocket 端口。',
    subscribe: '代理服务器拒绝订阅：该账号无权读取这些站点主题，请联系管理员检查 ACL。',
    broker: '代理服务器拒绝连接。',
  } satisfies Record<FailReason, string>,
  detail: (d: string) => `（${d}）`,
  noStations: (prefix: string, seconds: number) =>
    `已连接，但 ${seconds} 秒内在主题前缀“${prefix}”下没有收到任何站点状态（${prefix}/+/status）。该车队的前缀可能不同，请核对“主题前缀”。`,
  form: {
    heading: '连接代理服务器',
    url: 'WebSocket 地址',
    urlHint: 'Mosquitto：ws://主机:8080 · EMQX：ws://主机:8083/mqtt（TLS 用 wss://）',
    username: '用户名',
    password: '密码',
    passwordHint: '只保存在本标签页中，关闭标签页或点“断开连接”即清除。',
    prefix: '主题前缀',
    prefixHint: '一般为 stations，除非车队另有配置。',
    submit: '连接',
  },
};

const en: typeof zh = {
  pageTitle: 'Stations · operator console',
  title: 'Stations',
  nav: 'Views',
  list: 'List',
  map: 'Map',
  disconnect: 'Disconnect',
  switchTo: '中文',
  switchLabel: '切换为中文',
  state: {
    closed: 'not connected',
    connecting: 'connecting…',
    connected: 'connected',
    reconnecting: 'connection lost, reconnecting…',
  },
  failed: (why) => `Connection failed: ${why}`,
  retrying: 'retrying shortly',
  reason: {
    auth: 'The broker refused the user name or password. Check the account and connect again.',
    refused: 'Nothing is listening at this address (connection refused). Check the address and port, and that the broker has a WebSocket listener.',
    tls: 'The TLS connection failed: this browser does not trust the certificate, or the port does not speak TLS (wss:// to a plain port). Check the certificate, or use ws://.',
    timeout: 'The connection timed out: the broker did not answer. Check the network and that this computer can reach the address.',
    closed: 'The WebSocket was closed as soon as it opened: the path may be wrong (EMQX wants /mqtt), or this port is not an MQTT over WebSocket listener.',
    subscribe: 'The broker refused the subscription: this account may not read the stations’ topics. Ask for the ACL to be checked.',
    broker: 'The broker refused the connection.',
  },
  detail: (d) => ` (${d})`,
  noStations: (prefix, seconds) =>
    `Connected, but no station status arrived under the topic prefix “${prefix}” (${prefix}/+/status) within ${seconds} s. The fleet’s prefix may be different: check “Topic prefix”.`,
  form: {
    heading: 'Connect to the broker',
    url: 'WebSocket URL',
    urlHint: 'Mosquitto: ws://host:8080 · EMQX: ws://host:8083/mqtt (wss:// with TLS)',
    username: 'User',
    password: 'Password',
    passwordHint: 'Kept in this tab only: forgotten when the tab closes or on Disconnect.',
    prefix: 'Topic prefix',
    prefixHint: 'Usually stations, unless the fleet configured another.',
    submit: 'Connect',
  },
};

export const CHROME_TEXT: Texts<typeof zh> = { 'zh-CN': zh, en };

/** The language the header's switch offers. */
export function otherLang(l: Lang): Lang {
  return l === 'en' ? 'zh-CN' : 'en';
}
