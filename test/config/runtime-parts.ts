import mqtt from 'mqtt';
import pino from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import { composeStation } from '../../gateway/runtime/compose-station.js';

/**
 * Everything `station-gateway run` builds and starts from a loaded config, through the same
 * composition root, short of talking to devices or the broker: every place where a config value
 * can throw at start. The store is in memory; the devices are built but not polled; the bridge's
 * MQTT.js client gets the options the bridge gives it and never connects (its URL, port and TLS
 * checks are synchronous); the ops servers bind where the config says and close
 * again, so the addresses a test generates must be loopback ones.
 */
export async function buildRuntimeParts(station: LoadedStation): Promise<void> {
  const composed = composeStation(station, {
    log: pino({ level: 'silent' }),
    version: 'test',
    bootId: 'boot',
    env: {},
    storePath: ':memory:',
    // Built with the bridge's options and checked as MQTT.js checks them, never connected.
    connect: (url, options) => mqtt.connect(url, { ...options, reconnectPeriod: 0, manualConnect: true }),
  });
  try {
    await composed.parts.start({ run: false });
    await composed.bridge.run();
  } finally {
    await composed.parts.stop();
  }
}
