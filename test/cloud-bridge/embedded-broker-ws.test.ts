import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';

describe('the embedded broker\'s WebSocket listener', () => {
  it('carries MQTT over WebSocket to the same broker as TCP, retained messages included', async () => {
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    try {
      expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const tcp = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
      await tcp.publishAsync('stations/a/status', JSON.stringify({ online: true }), { qos: 1, retain: true });
      const ws = await mqtt.connectAsync(broker.wsUrl ?? '', { protocolVersion: 4 });
      const got = new Promise<string>((resolve) => ws.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await ws.subscribeAsync('stations/+/status', { qos: 0 });
      expect(await got).toBe('stations/a/status {"online":true}');
      await ws.endAsync(true);
      await tcp.endAsync(true);
    } finally {
      await broker.close();
    }
  });

  it('has no WebSocket listener unless asked for one', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    expect(broker.wsUrl).toBeUndefined();
    await broker.close();
  });
});
