import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloudBridge, type BridgeDevice } from '../../cloud-bridge/cloud-bridge.js';
import { stationConfigSchema } from '../../config/station-schema.js';
import { DEFAULT_LOCK_MODEL } from '../../device-drivers/door-lock/door-lock-driver.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { EventOutbox } from '../../gateway/store/event-outbox.js';
import { openDatabase } from '../../gateway/store/open-database.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait-for.js';
import { deviceState, useBrokerFixture } from './bridge-harness.js';

/*
 * Issue 14: the birth named the lock `lock-ref` while its device state named it `lk-ref`. Both
 * read the driver's one live model; a model learnt after the birth brings a fresh birth, so
 * a subscriber's retained status and device state always agree.
 */

const fx = useBrokerFixture('stations/#');
const S = 'stations/st-model-1';

type Retained = Record<string, { body: Record<string, unknown> }>;

/** What a subscriber arriving now gets: the retained message of each topic. */
async function retainedPicture(topics: string[]): Promise<Retained> {
  const late = await MqttRecorder.connect(fx.broker.url, `${S}/#`);
  try {
    await waitFor(() => topics.every((t) => late.on(t).length > 0), 5000, 'retained messages');
    return Object.fromEntries(topics.map((t) => [t, late.on(t)[0] as { body: Record<string, unknown> }]));
  } finally {
    await late.close();
  }
}

describe('CloudBridge: the birth and the device state name the same model', () => {
  it('the door lock driver reports the reference model as its firmware names it before the first PONG', () => {
    expect(DEFAULT_LOCK_MODEL).toBe('lk-ref');
  });

  it('republishes the birth when a driver learns its model after the birth', async () => {
    const config = stationConfigSchema.parse({
      station: { id: 'st-model-1' },
      cloud: { url: fx.broker.url, protocolVersion: 4, heartbeatSeconds: 5 },
      storage: { path: join(fx.dir.path, 'g.db') },
      devices: [{ id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', path: join(fx.dir.path, 'tty') } }],
    });
    const { db } = openDatabase(config.storage.path);
    fx.closers.push(() => {
      db.close();
    });
    // A lock of another vendor: the driver says the reference model until the controller answers.
    const lock: BridgeDevice & { model: string } = { id: 'lock-1', kind: 'door-lock', model: DEFAULT_LOCK_MODEL, deadbands: () => ({}) };
    const bridge = new CloudBridge({ config, version: '9.9.9', bootId: 'boot-m', devices: [lock], outbox: new EventOutbox(db), log: silentLogger() });
    bridge.start();
    fx.closers.push(() => bridge.stop(1000));
    await fx.recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true);

    lock.model = 'acme-l2';
    bridge.deviceState('lock-1', deviceState({ doors: { '1': { bolt: 'locked', door: 'closed' } }, firmware: 'ACME-L2 3.0' }));
    await fx.recorder.waitFor(`${S}/devices/lock-1`);

    const picture = await retainedPicture([`${S}/status`, `${S}/devices/lock-1`]);
    const birth = picture[`${S}/status`]?.body as { online: boolean; devices: Array<{ id: string; model: string }> };
    expect(birth.online).toBe(true);
    expect(birth.devices).toEqual([{ id: 'lock-1', kind: 'door-lock', model: 'acme-l2' }]);
    expect(picture[`${S}/devices/lock-1`]?.body['model']).toBe('acme-l2');

    // Once announced, a state change does not bring another birth.
    const births = fx.recorder.on(`${S}/status`).length;
    bridge.deviceState('lock-1', deviceState({ doors: { '1': { bolt: 'unlocked', door: 'closed' } }, firmware: 'ACME-L2 3.0' }));
    await fx.recorder.waitFor(`${S}/devices/lock-1`, (m) => JSON.stringify(m.body['points']).includes('unlocked'));
    expect(fx.recorder.on(`${S}/status`)).toHaveLength(births);
  });
});
