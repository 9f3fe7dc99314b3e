import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ActiveAlarm } from '../../../cloud-bridge/contract-schemas.js';
import { alarmsSchema } from '../../../cloud-bridge/contract-schemas.js';
import type { AccessClaims } from '../../../gateway/access/token-verifier.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { AlarmAckEffect } from '../../../gateway/station/alarm-acknowledgement.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import { ADDITIONS, MIGRATIONS } from '../../../gateway/store/migrations.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { useTempStores } from '../store/temp-store.js';

/*
 * Acknowledging an alarm (`cmd/ack`) on the station's side, once the access decision granted it:
 * the station's alarms on a real store on disk, and the effect the access decision calls.
 */

const stores = useTempStores();
const T0 = new Date('2026-12-02T01:00:00.000Z');

function alarmsOn(store: StationStore, clock = { now: T0 }) {
  const alarms = new StationAlarms(store.alarms, store.outbox, silentLogger(), () => clock.now);
  const published: Array<readonly ActiveAlarm[]> = [];
  alarms.on('changed', (list) => published.push(list));
  return { alarms, published, effect: new AlarmAckEffect(alarms, silentLogger()), clock };
}

const operator = (sub: string): AccessClaims =>
  ({ sub, role: 'operator', act: 'operate', res: 'demo-hz-0001', iss: 'fleet', iat: T0, exp: T0, jti: `pass:x:${sub}`, kid: 'fleet-1' }) as AccessClaims;

/** The refusal's contract code, or the result. */
async function ack(effect: AlarmAckEffect, by: string, request: Record<string, unknown>): Promise<Record<string, unknown> | string> {
  try {
    effect.check(request);
    return await effect.run(operator(by), request);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    return code;
  }
}

const events = (store: StationStore, type: string) =>
  store.outbox
    .pending(1000)
    .filter((e) => e.type === type)
    .map((e) => ({ device: e.device, data: e.data }));

const tankLow = { alarm: 'water.tank-low', severity: 'warning', device: 'water-1', detail: { tankLevel: 9.5 } } as const;

describe('acknowledging an alarm', () => {
  it('records the acknowledgement on the active alarm, lists it, and puts alarm.acknowledged in the outbox', async () => {
    const store = stores.start();
    const { alarms, published, effect } = alarmsOn(store);
    alarms.raise(tankLow);
    const result = await ack(effect, 'op-lin', { alarm: 'water.tank-low', device: 'water-1', note: 'crew refills at 10:00' });
    const acknowledged = { by: 'op-lin', at: T0.toISOString(), note: 'crew refills at 10:00' };
    expect(result).toEqual({ alarm: 'water.tank-low', device: 'water-1', acknowledged });
    expect(alarms.active()).toEqual([expect.objectContaining({ alarm: 'water.tank-low', device: 'water-1', acknowledged })]);
    // S/alarms is handed the new list at once, and it is what the contract says.
    expect(published.at(-1)).toEqual(alarms.active());
    expect(alarmsSchema.safeParse(JSON.parse(JSON.stringify({ ts: T0.toISOString(), alarms: published.at(-1) }))).success).toBe(true);
    expect(events(store, 'alarm.acknowledged')).toEqual([{ device: 'water-1', data: { alarm: 'water.tank-low', device: 'water-1', by: 'op-lin', note: 'crew refills at 10:00' } }]);
  });

  it('refuses an alarm that is not active with NOT_ACTIVE, naming where it is active; nothing is recorded', async () => {
    const store = stores.start();
    const { alarms, effect } = alarmsOn(store);
    expect(await ack(effect, 'op-lin', { alarm: 'door.forced', device: 'lock-1' })).toBe('NOT_ACTIVE');
    alarms.raise(tankLow);
    // The alarm has a device; a request without it (or with another) names another alarm.
    expect(() => effect.check({ alarm: 'water.tank-low' })).toThrow(/water.tank-low is not active now; it is active on water-1/);
    expect(await ack(effect, 'op-lin', { alarm: 'water.tank-low', device: 'water-2' })).toBe('NOT_ACTIVE');
    // Cleared between the check and the ack: refused when carried out too.
    effect.check({ alarm: 'water.tank-low', device: 'water-1' });
    alarms.clear('water.tank-low', 'water-1');
    await expect(effect.run(operator('op-lin'), { alarm: 'water.tank-low', device: 'water-1' })).rejects.toMatchObject({ code: 'NOT_ACTIVE' });
    expect(events(store, 'alarm.acknowledged')).toEqual([]);
  });

  it('a second acknowledgement returns the first unchanged: two operators racing see who took it', async () => {
    const store = stores.start();
    const { alarms, effect, clock } = alarmsOn(store);
    alarms.raise({ alarm: 'store.corrupt', severity: 'major' });
    const first = await ack(effect, 'op-lin', { alarm: 'store.corrupt' });
    clock.now = new Date(T0.getTime() + 30_000);
    const second = await ack(effect, 'op-wang', { alarm: 'store.corrupt', note: 'on my way' });
    expect(first).toEqual({ alarm: 'store.corrupt', acknowledged: { by: 'op-lin', at: T0.toISOString() } });
    expect(second).toEqual(first);
    expect(events(store, 'alarm.acknowledged')).toHaveLength(1);
  });

  it('a rise in severity clears the acknowledgement, a drop keeps it', async () => {
    const store = stores.start();
    const { alarms, effect } = alarmsOn(store);
    alarms.raise({ alarm: 'slot.overheat.3', severity: 'major', device: 'cabinet-1', detail: { tempC: 62 } });
    await ack(effect, 'op-lin', { alarm: 'slot.overheat.3', device: 'cabinet-1' });
    alarms.raise({ alarm: 'slot.overheat.3', severity: 'minor', device: 'cabinet-1', detail: { tempC: 58 } });
    expect(alarms.active()[0]).toMatchObject({ severity: 'minor', detail: { tempC: 58 }, acknowledged: { by: 'op-lin' } });
    alarms.raise({ alarm: 'slot.overheat.3', severity: 'critical', device: 'cabinet-1', detail: { tempC: 75 } });
    expect(alarms.active()[0]).toMatchObject({ severity: 'critical' });
    expect(alarms.active()[0]).not.toHaveProperty('acknowledged');
    expect(store.alarms.get('slot.overheat.3', 'cabinet-1')).not.toHaveProperty('acknowledged');
    // The worse condition is acknowledged anew.
    expect(await ack(effect, 'op-wang', { alarm: 'slot.overheat.3', device: 'cabinet-1' })).toMatchObject({ acknowledged: { by: 'op-wang' } });
  });

  it('a clear removes the acknowledgement with the alarm; raised again, it is unacknowledged', async () => {
    const store = stores.start();
    const { alarms, effect } = alarmsOn(store);
    alarms.raise(tankLow);
    await ack(effect, 'op-lin', { alarm: 'water.tank-low', device: 'water-1' });
    alarms.clear('water.tank-low', 'water-1');
    expect(alarms.active()).toEqual([]);
    alarms.raise(tankLow);
    expect(alarms.active()).toEqual([expect.objectContaining({ alarm: 'water.tank-low' })]);
    expect(alarms.active()[0]).not.toHaveProperty('acknowledged');
  });

  it('survives reopening the store: a restarted station lists the alarm as acknowledged, and a repeat of the same raise keeps it', async () => {
    const store = stores.start();
    const { alarms, effect } = alarmsOn(store);
    alarms.raise({ alarm: 'door.forced', severity: 'critical', device: 'lock-1', detail: { door: 1 } });
    await ack(effect, 'op-lin', { alarm: 'door.forced', device: 'lock-1', note: '巡检员已到场' });
    const reopened = alarmsOn(stores.restart(store));
    const acknowledged = { by: 'op-lin', at: T0.toISOString(), note: '巡检员已到场' };
    expect(reopened.alarms.active()).toEqual([expect.objectContaining({ alarm: 'door.forced', acknowledged })]);
    reopened.alarms.raise({ alarm: 'door.forced', severity: 'critical', device: 'lock-1', detail: { door: 1 } });
    expect(reopened.alarms.active()[0]).toMatchObject({ acknowledged });
    expect(await ack(reopened.effect, 'op-wang', { alarm: 'door.forced', device: 'lock-1' })).toEqual({ alarm: 'door.forced', device: 'lock-1', acknowledged });
  });

  it('a station upgraded in place keeps its alarms: a file of the previous release gains the columns, its alarms unacknowledged, and its schema version stays 3 so that release can still open it', async () => {
    // The file as the previous release left it, with an alarm active.
    const old = openDatabase(stores.path, { migrations: MIGRATIONS, additions: [] });
    expect(old.version).toBe(3);
    expect(old.db.prepare("SELECT count(*) AS n FROM pragma_table_info('alarms') WHERE name = 'ack_by'").get()).toEqual({ n: 0 });
    old.db.prepare("INSERT INTO alarms (alarm, device, severity, detail, since) VALUES ('water.tank-low', 'water-1', 'warning', '{\"tankLevel\":9.5}', '2026-12-01T00:00:00.000Z')").run();
    old.db.close();

    const store = stores.start();
    const { alarms, effect } = alarmsOn(store);
    expect(alarms.active()).toEqual([{ alarm: 'water.tank-low', severity: 'warning', device: 'water-1', detail: { tankLevel: 9.5 }, since: '2026-12-01T00:00:00.000Z' }]);
    expect(await ack(effect, 'op-lin', { alarm: 'water.tank-low', device: 'water-1' })).toMatchObject({ acknowledged: { by: 'op-lin' } });
    // The previous release refuses a schema version newer than its own: it must find 3.
    const reader = new BetterSqlite3(stores.path, { readonly: true });
    try {
      expect(reader.pragma('user_version', { simple: true })).toBe(3);
      expect(reader.prepare("SELECT value FROM meta WHERE key = 'schemaAdditions'").get()).toEqual({ value: String(ADDITIONS.at(-1)?.id) });
    } finally {
      reader.close();
    }
  });
});
