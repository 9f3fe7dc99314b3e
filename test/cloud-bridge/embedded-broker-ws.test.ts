import mqtt from 'mqtt';
import WebSocket from 'ws';
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

  it('sends a retained burst in few WebSocket messages, never one per piece aedes writes', async () => {
    // A browser pays per WebSocket message (docs/console.md, "Fleet load"): aedes writes a packet's
    // header and payload apart, and the stream it was given sent each write as its own message.
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    try {
      const tcp = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
      const n = 100;
      for (let i = 0; i < n; i++) await tcp.publishAsync(`stations/s${i}/status`, JSON.stringify({ online: true, i }), { qos: 1, retain: true });
      let frames = 0;
      const ws = await mqtt.connectAsync(broker.wsUrl ?? '', {
        protocolVersion: 4,
        createWebsocket: (url: string, protocols: string[]) => {
          const socket = new WebSocket(url, protocols);
          socket.on('message', () => frames++);
          return socket;
        },
      } as mqtt.IClientOptions);
      let got = 0;
      ws.on('message', () => got++);
      await ws.subscribeAsync('stations/+/status', { qos: 0 });
      const deadline = Date.now() + 10_000;
      while (got < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toBe(n);
      // At most CONNACK, SUBACK and one per publish, however the burst is cut; before, about five per publish.
      expect(frames).toBeLessThanOrEqual(n + 2);
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
