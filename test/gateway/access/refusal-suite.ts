import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStation } from '../../../config/load-station-config.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationRuntime } from '../../../gateway/runtime/station-runtime.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * A refusal that is policy (the cabinet full, no charged battery, the station closed for smoke,
 * the cabinet offline) is decided before the grant is written and the token spent: the cloud gets
 * that code, and the same token works once the cause is gone. Run with the gateway's real
 * composition root against the simulators, over the embedded broker (3.1.1) and Mosquitto
 * (MQTT 5 with response topic and correlation data, and 3.1.1 with replyTo in the payload).
 */

export interface RefusalBroker {
  /** The `cloud:` section of the station file, for this broker (url, TLS files). */
  cloudSection(stationId: string, protocolVersion: 4 | 5): string;
  /** A connected client of the cloud back end. */
  backend(stationId: string, protocolVersion: 4 | 5): Promise<MqttClient>;
  /** Where replies go: a topic prefix the broker's ACL lets the station publish and the back end read. */
  replyPrefix(stationId: string): string;
}

interface Reply {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

interface SlotSnapshot {
  slot: number;
  state: string;
  door: string;
}

export function refusalSuite(label: string, protocolVersion: 4 | 5, broker: () => RefusalBroker): void {
  describe(`refusals before the grant, ${label}`, () => {
    const stationId = `refuse-${protocolVersion}-${label.replace(/[^a-z0-9]+/gi, '').toLowerCase()}`;
    let dir: ReturnType<typeof tempDir>;
    let sim: StationSimulator;
    let runtime: StationRuntime;
    let key: IssuerKey;
    let client: MqttClient;
    const replies = new Map<string, Reply>();
    /** The cabinet's state and the station's alarms as the gateway publishes them. */
    let device: { online: boolean; points?: { slots?: Array<{ state?: unknown }> } } | undefined;
    let alarms: string[] = [];
    let seq = 0;
    const smokeClearBefore = process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'];

    beforeAll(async () => {
      dir = tempDir();
      key = await generateIssuerKey('refusal-issuer');
      writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [key]);
      const cabinetPort = await freePort();
      const file = join(dir.path, 'station.yaml');
      writeFileSync(
        file,
        `
station: { id: ${stationId}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
${broker().cloudSection(stationId, protocolVersion)}
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system, scansPerMinute: 600 }
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 300, offlineAfter: 2 }
`,
      );
      // The smoke hold in seconds, so the CLOSED case can see the station open again.
      process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'] = '500';
      const station = await loadStation(file);
      sim = await startStationSimulator(station, { seed: 5 });
      runtime = new StationRuntime({ station, log: silentLogger(), version: 'test' });
      await runtime.start();
      client = await broker().backend(stationId, protocolVersion);
      client.on('message', (topic, payload, packet) => {
        if (topic === `stations/${stationId}/devices/cabinet-1`) {
          device = JSON.parse(payload.toString('utf8')) as typeof device;
          return;
        }
        if (topic === `stations/${stationId}/alarms`) {
          const body = JSON.parse(payload.toString('utf8')) as { alarms?: Array<{ alarm: string }> };
          alarms = (body.alarms ?? []).map((a) => a.alarm);
          return;
        }
        const id = protocolVersion === 5 ? packet.properties?.correlationData?.toString('utf8') : topic.split('/').pop();
        if (id) replies.set(id, JSON.parse(payload.toString('utf8')) as Reply);
      });
      await client.subscribeAsync([`${broker().replyPrefix(stationId)}/#`, `stations/${stationId}/devices/cabinet-1`, `stations/${stationId}/alarms`], { qos: 1 });
      await waitFor(() => cabinet().length > 0 && device?.online === true, 15_000, 'cabinet read by the gateway');
    }, 60_000);

    afterAll(async () => {
      if (smokeClearBefore === undefined) delete process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'];
      else process.env['STATION_GATEWAY_SMOKE_CLEAR_MS'] = smokeClearBefore;
      await client?.endAsync(true);
      await runtime?.stop();
      await sim?.stop();
      dir?.remove();
    });

    const cabinet = (): SlotSnapshot[] => (sim.device('cabinet-1').state() as { slots?: SlotSnapshot[] }).slots ?? [];

    async function send(token: string): Promise<Reply> {
      const id = `r-${++seq}`;
      const topic = `stations/${stationId}/cmd/swap`;
      const replyTo = `${broker().replyPrefix(stationId)}/${id}`;
      if (protocolVersion === 5) {
        const opts: IClientPublishOptions = { qos: 1, properties: { responseTopic: replyTo, correlationData: Buffer.from(id) } };
        await client.publishAsync(topic, JSON.stringify({ token }), opts);
      } else {
        await client.publishAsync(topic, JSON.stringify({ token, replyTo, correlationId: id }), { qos: 1 });
      }
      return waitFor(() => replies.get(id), 10_000, `reply ${id}`);
    }

    /** The cabinet as the gateway last read it, once it agrees with `check`. */
    async function gatewaySees(check: (slots: Array<{ state?: unknown }>) => boolean, what: string): Promise<void> {
      await waitFor(() => {
        const slots = device?.points?.slots;
        return device?.online === true && slots !== undefined && check(slots);
      }, 10_000, what);
    }

    /** Plays the rider through a swap the gateway began at `emptySlot`, so the next case finds the cabinet idle. */
    async function completeSwap(emptySlot: number): Promise<void> {
      await waitFor(() => cabinet().find((s) => s.slot === emptySlot)?.door === 'open', 10_000, `slot ${emptySlot} opened`);
      await sim.command(`cabinet-1 slot ${emptySlot} insert 20 48`);
      await sim.command(`cabinet-1 slot ${emptySlot} door close`);
      const offered = await waitFor(() => cabinet().find((s) => s.slot !== emptySlot && s.door === 'open' && s.state !== 'empty'), 10_000, 'a charged slot opened');
      await sim.command(`cabinet-1 slot ${offered.slot} remove`);
      await sim.command(`cabinet-1 slot ${offered.slot} door close`);
      await gatewaySees((slots) => slots[offered.slot - 1]?.state === 'empty', 'the taken battery gone');
    }

    /** At least one empty slot and one charged 48 V battery, as the gateway reads them. */
    async function stock(): Promise<void> {
      if (!cabinet().some((s) => s.state === 'empty')) await sim.command(`cabinet-1 slot ${cabinet()[0]?.slot ?? 1} remove`);
      const empty = cabinet().filter((s) => s.state === 'empty');
      if (!cabinet().some((s) => s.state === 'ready') || empty.length < 2) await sim.command(`cabinet-1 slot ${empty[0]?.slot ?? 1} insert 100 48`);
      await gatewaySees((slots) => slots.some((s) => s.state === 'empty') && slots.some((s) => s.state === 'ready'), 'an empty slot and a charged battery');
    }

    async function fill(): Promise<void> {
      for (const s of cabinet()) if (s.state === 'empty') await sim.command(`cabinet-1 slot ${s.slot} insert 100 48`);
      await gatewaySees((slots) => slots.every((s) => s.state !== 'empty'), 'no empty slot');
    }

    it('FULL: no empty slot; the same token opens a slot once one is free', async () => {
      await fill();
      const token = await issueToken(key, { station: stationId, sub: 'rider-full', res: 'cabinet-1', act: 'swap' });
      const first = await send(token);
      expect(first.error?.code).toBe('FULL');
      await sim.command('cabinet-1 slot 1 remove');
      await gatewaySees((slots) => slots[0]?.state === 'empty', 'slot 1 empty');
      const again = await send(token);
      expect(again).toMatchObject({ ok: true, result: { slot: 1 } });
      await completeSwap(1);
    }, 40_000);

    it('NO_BATTERY: nothing charged of any pack; the same token works once one is', async () => {
      for (const s of cabinet()) if (s.state !== 'empty') await sim.command(`cabinet-1 slot ${s.slot} remove`);
      await gatewaySees((slots) => slots.every((s) => s.state === 'empty'), 'cabinet emptied');
      const token = await issueToken(key, { station: stationId, sub: 'rider-none', res: 'cabinet-1', act: 'swap' });
      expect((await send(token)).error?.code).toBe('NO_BATTERY');
      await sim.command('cabinet-1 slot 3 insert 100 48');
      await gatewaySees((slots) => slots[2]?.state === 'ready', 'slot 3 ready');
      const again = await send(token);
      expect(again).toMatchObject({ ok: true });
      await completeSwap(Number(again.result?.['slot']));
    }, 40_000);

    it('CLOSED: smoke in the cabinet; the same token works once it cleared', async () => {
      await stock();
      const token = await issueToken(key, { station: stationId, sub: 'rider-smoke', res: 'cabinet-1', act: 'swap' });
      await sim.command('cabinet-1 smoke on');
      await waitFor(() => alarms.includes('cabinet.smoke'), 10_000, 'smoke alarm');
      expect((await send(token)).error?.code).toBe('CLOSED');
      await sim.command('cabinet-1 smoke off');
      await waitFor(() => !alarms.includes('cabinet.smoke'), 10_000, 'smoke cleared');
      const again = await send(token);
      expect(again).toMatchObject({ ok: true });
      await completeSwap(Number(again.result?.['slot']));
    }, 40_000);

    it('DEVICE_OFFLINE: the cabinet does not answer; the same token works once it does', async () => {
      await stock();
      const token = await issueToken(key, { station: stationId, sub: 'rider-offline', res: 'cabinet-1', act: 'swap' });
      await sim.command('cabinet-1 fault silent on');
      await waitFor(() => device?.online === false, 15_000, 'cabinet offline');
      expect((await send(token)).error?.code).toBe('DEVICE_OFFLINE');
      await sim.command('cabinet-1 fault clear');
      await waitFor(() => device?.online === true, 15_000, 'cabinet online');
      const again = await send(token);
      expect(again).toMatchObject({ ok: true });
      await completeSwap(Number(again.result?.['slot']));
    }, 60_000);
  });
}
