import type { StationConfig } from '../../../config/station-schema.js';
import { stationTopics } from '../../../cloud-bridge/topics.js';
import { findRunningGateway, type PidFileContent } from '../../runtime/gateway-pid-file.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

const METRICS_TIMEOUT_MS = 3000;

/** The gateway running on this station's database, if any (its pid file names a live `station-gateway run`). */
export function runningGateway(config: StationConfig): PidFileContent | undefined {
  return findRunningGateway(config.storage.path);
}

/**
 * What doctor says instead of probing devices and the broker while a gateway runs. Probing would
 * disturb it: a second open of a serial port fails on its lock or, without one, interleaves frames
 * on the line; a second master on a Modbus bus competes for its answers; and a second MQTT
 * connection with the station's identity takes over its session where the broker forces the
 * client id to the certificate's CN (docs/broker-setup.md), which makes the broker publish the
 * gateway's Last Will. The gateway's own view of its link comes from its metrics, when it has them.
 */
export async function runningGatewayChecks(config: StationConfig): Promise<CheckResult[]> {
  return [
    warn('devices', `not probed: the running gateway has the ports and buses (its view: ${stationTopics(config.cloud.topicPrefix, config.station.id).device('<id>')})`),
    await gatewayLink(config),
  ];
}

/** The table's first row after the config when a gateway runs: everything below is read in that light. */
export function runningGatewayRow(running: PidFileContent): CheckResult {
  const since = running.startedAt ? `, since ${running.startedAt}` : '';
  return warn('gateway running', `pid ${running.pid}, boot ${running.bootId}${since}: devices and broker not probed, so as not to disturb it; stop it for a full check`);
}

async function gatewayLink(config: StationConfig): Promise<CheckResult> {
  const name = 'broker (gateway)';
  const listen = config.metrics?.listen;
  if (!listen) return warn(name, 'not checked while the gateway runs (it holds the station\'s broker identity); metrics.listen would let doctor ask it');
  const url = `http://${listen}/metrics`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) });
    const text = await res.text();
    const value = /^station_mqtt_connected(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
    if (value === undefined) return warn(name, `${url} has no station_mqtt_connected`);
    return Number(value) === 1 ? pass(name, `the gateway reports its connection to ${config.cloud.url} up (${url})`) : fail(name, `the gateway reports its connection to ${config.cloud.url} down (${url})`);
  } catch (err) {
    return warn(name, `cannot ask the gateway at ${url}: ${(err as Error).message}`);
  }
}
