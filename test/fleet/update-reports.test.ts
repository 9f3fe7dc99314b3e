import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { updateTopics, type UpdateReport } from '../../cloud-bridge/update-contract.js';
import { subscribe } from '../../fleet/config/operator-connection.js';
import { UpdateReports } from '../../fleet/update/update-reports.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The rollout's view of the stations' retained S/update, on a real broker. A broker may send a new
 * subscription's retained report after a live one that replaced it (aedes does: it registers the
 * subscription, then streams the retained messages); the view keeps the live one.
 */

const PREFIX = 'stations';
const topic = updateTopics(PREFIX, 'st-1').report;
const report = (state: UpdateReport['state'], ts: string): UpdateReport => ({ revision: 7, version: '0.2.0', running: '0.1.0', state, problems: [], rollout: 'r', ts });

let broker: EmbeddedBroker;
let station: MqttClient;
let operator: MqttClient;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  station = await mqtt.connectAsync(broker.url, { clientId: 'st-1', reconnectPeriod: 0 });
  operator = await mqtt.connectAsync(broker.url, { clientId: 'operator', reconnectPeriod: 50 });
});
afterAll(async () => {
  await station?.endAsync();
  await operator?.endAsync(true);
  await broker?.close();
});

describe('UpdateReports', () => {
  it('keeps a live report over a retained one that comes after it, and takes the retained one again after a reconnect', async () => {
    await station.publishAsync(topic, JSON.stringify(report('trial', '2026-12-02T06:00:00.000Z')), { qos: 1, retain: true });
    const reports = await UpdateReports.follow(operator, PREFIX, ['st-1']);
    await waitFor(() => reports.latest.get('st-1')?.state === 'trial', 5000, 'the retained trial');

    // Live, not retained: the broker keeps the trial as the retained one.
    await station.publishAsync(topic, JSON.stringify(report('committed', '2026-12-02T06:00:01.000Z')), { qos: 1, retain: false });
    await waitFor(() => reports.latest.get('st-1')?.state === 'committed', 5000, 'the live commit');

    // A fresh subscription makes the broker send the retained trial after the commit, as the race does.
    const seen: string[] = [];
    const off = reports.onReport((_s, r) => seen.push(r.state));
    await operator.unsubscribeAsync(topic);
    await subscribe(operator, [topic]);
    await new Promise((r) => setTimeout(r, 300));
    off();
    expect(reports.latest.get('st-1')?.state).toBe('committed');
    expect(seen).toEqual([]);

    // A new connection subscribes afresh: what the broker retains is the truth again.
    operator.stream.destroy();
    await waitFor(() => reports.latest.get('st-1')?.state === 'trial', 10_000, 'the retained trial after the reconnect');
  });
});
