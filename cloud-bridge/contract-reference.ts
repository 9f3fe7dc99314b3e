import { z } from 'zod';
import {
  alarmsSchema,
  availabilitySchema,
  birthSchema,
  commandSchemas,
  COMMAND_ERROR_CODES,
  deviceStateSchema,
  doctorResultSchema,
  eventSchema,
  logsResultSchema,
  offlineSchema,
  replySchema,
  snapshotResultSchema,
} from './contract-schemas.js';
import { MAX_COMMAND_PAYLOAD_BYTES, SNAPSHOTS_PER_MINUTE } from './command-router.js';
import { MAX_PACKET_BYTES } from './mqtt-frame-scanner.js';
import { renderCatalogueFiles } from './catalogue-reference.js';
import { configReportSchema, desiredConfigSchema } from './remote-config-contract.js';
import { revocationsMessageSchema, revocationPayloadSchema } from './revocation-contract.js';
import { desiredVersionSchema, releaseDocumentPayloadSchema, updateReportSchema } from './update-contract.js';

/**
 * Renders the contract's JSON Schemas (docs/contract/*.schema.json) and the topic reference
 * (docs/mqtt-topics.md) from the zod schemas, and with them the catalogue pages
 * (catalogue-reference.ts). `write-contract-reference` writes them; a test fails when the
 * committed files differ from what this renders.
 */

interface PayloadDoc {
  file: string;
  schema: z.ZodType;
  example: unknown;
}

const SCHEMA_BASE = 'https://station-gateway.dev/contract/v1/';

const EXAMPLE_BOOT = '01JR8Y3M2Q4K5N6P7R8S9T0V1W';
const deviceExample = {
  ts: '2025-03-04T05:06:07.089Z',
  online: true,
  kind: 'water-dispenser',
  model: 'DSP-REF',
  points: { tankLevel: 72.5, session: 'idle', filterOk: true },
  health: { lastSeen: '2025-03-04T05:06:07.011Z', errors: { timeout: 0, crc: 2 }, latencyMs: 18.4 },
};
const alarmExample = { alarm: 'water.tank-low', severity: 'warning', device: 'water-1', detail: { tankLevel: 9.5 }, since: '2025-03-04T04:40:00.000Z' };
const availabilityExample = { open: true, services: { doors: { usable: true }, batteries: { ready: { '48V': 3 } }, water: { ok: false }, occupancy: { inside: 1 } } };

/** Every payload of the contract, with the example shown in the reference (and checked by a test). */
export const PAYLOADS: Record<string, PayloadDoc> = {
  'status-birth': {
    file: 'status-birth.schema.json',
    schema: birthSchema,
    example: { online: true, ts: '2025-03-04T05:06:07.089Z', version: '0.1.0', bootId: EXAMPLE_BOOT, devices: [{ id: 'water-1', kind: 'water-dispenser', model: 'DSP-REF' }], location: { lat: 30.2562, lon: 120.1668 }, timezone: 'Asia/Shanghai', revocations: { seq: 42, issuedAt: '2025-03-04T04:00:00.000Z', receivedAt: '2025-03-04T04:00:01.250Z' } },
  },
  'status-offline': { file: 'status-offline.schema.json', schema: offlineSchema, example: { online: false, bootId: EXAMPLE_BOOT } },
  'device-state': { file: 'device-state.schema.json', schema: deviceStateSchema, example: deviceExample },
  alarms: {
    file: 'alarms.schema.json',
    schema: alarmsSchema,
    example: {
      ts: '2025-03-04T05:06:07.089Z',
      alarms: [{ alarm: 'door.held', severity: 'major', device: 'lock-1', detail: { door: 1, seconds: 60 }, since: '2025-03-04T05:01:00.000Z', acknowledged: { by: 'op-lin', at: '2025-03-04T05:03:10.000Z', note: 'crew on the way' } }, alarmExample],
    },
  },
  availability: {
    file: 'availability.schema.json',
    schema: availabilitySchema,
    example: { ts: '2025-03-04T05:06:07.089Z', ...availabilityExample, outOfService: [{ resource: 'water-1', since: '2025-03-04T04:00:00.000Z', by: 'ops-7', reason: 'filter change', source: 'command' }, { resource: 'cabinet-1', device: 'cabinet-1', slot: 3, since: '2025-03-04T04:20:00.000Z', by: 'ops-7', reason: 'door latch sticks', source: 'command' }] },
  },
  event: {
    file: 'event.schema.json',
    schema: eventSchema,
    example: { id: '01JR8Y4A0B1C2D3E4F5G6H7J8K', ts: '2025-03-04T05:06:07.089Z', type: 'door.opened', device: 'lock-1', data: { door: 1 } },
  },
  'cmd-unlock': { file: 'cmd-unlock.schema.json', schema: commandSchemas.unlock, example: { token: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ…', correlationId: 'c-42', replyTo: 'stations/hz-0001/replies/app-7' } },
  'cmd-swap': { file: 'cmd-swap.schema.json', schema: commandSchemas.swap, example: { token: 'eyJ…' } },
  'cmd-dispense': { file: 'cmd-dispense.schema.json', schema: commandSchemas.dispense, example: { token: 'eyJ…', expiresAt: '2025-03-04T05:06:37.000Z' } },
  'cmd-snapshot': { file: 'cmd-snapshot.schema.json', schema: commandSchemas.snapshot, example: {} },
  'cmd-slot': { file: 'cmd-slot.schema.json', schema: commandSchemas.slot, example: { token: 'eyJ…', device: 'cabinet-1', slot: 3, enabled: false, reason: 'door latch sticks' } },
  'cmd-service': {
    file: 'cmd-service.schema.json',
    schema: commandSchemas.service,
    example: { token: 'RC1:…', resource: 'water-1', enabled: false, reason: 'filter change', replyTo: 'stations/hz-0001/replies/console-3', correlationId: 'c-11' },
  },
  'cmd-ack': {
    file: 'cmd-ack.schema.json',
    schema: commandSchemas.ack,
    example: { token: 'RC1:…', alarm: 'water.tank-low', device: 'water-1', note: 'crew refills at 10:00', replyTo: 'stations/hz-0001/replies/console-3', correlationId: 'c-9' },
  },
  'cmd-logs': {
    file: 'cmd-logs.schema.json',
    schema: commandSchemas.logs,
    example: { token: 'eyJ…', since: '2025-03-04T00:00:00.000Z', until: '2025-03-05T00:00:00.000Z', type: 'access.*', limit: 2000, replyTo: 'stations/hz-0001/replies/ops-1', correlationId: 'c-7' },
  },
  'cmd-doctor': { file: 'cmd-doctor.schema.json', schema: commandSchemas.doctor, example: { token: 'eyJ…' } },
  'desired-config': { file: 'desired-config.schema.json', schema: desiredConfigSchema, example: { document: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImZsZWV0LWNvbmZpZy0xIiwidHlwIjoic3RhdGlvbi1jb25maWcrandzIn0.eyJ…' } },
  'config-report': {
    file: 'config-report.schema.json',
    schema: configReportSchema,
    example: { revision: 3, documentHash: 'f'.repeat(64), state: 'rolled-back', running: 2, code: 'CONFIG_GATE_FAILED', problems: ['device water-2 did not come online within 120 s'], drift: [], ts: '2025-03-04T05:06:07.089Z' },
  },
  'desired-version': { file: 'desired-version.schema.json', schema: desiredVersionSchema, example: { document: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImZsZWV0LWNvbmZpZy0xIiwidHlwIjoic3RhdGlvbi1yZWxlYXNlK2p3cyJ9.eyJ…' } },
  'release-document': {
    file: 'release-document.schema.json',
    schema: releaseDocumentPayloadSchema,
    example: {
      typ: 'station-release',
      station: 'hz-0001',
      revision: 1764600000,
      issuedAt: '2026-12-01T18:00:00.000Z',
      version: '0.2.0',
      bundles: { arm64: { url: 'https://releases.example.net/station-gateway-0.2.0-linux-arm64.tar.gz', bytes: 19_000_000, sha256: 'a'.repeat(64), signature: `${'A'.repeat(86)}==`, unpackedBytes: 61_000_000 } },
      rollout: 'r-0.2.0-1',
    },
  },
  revocations: { file: 'revocations.schema.json', schema: revocationsMessageSchema, example: { document: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImZsZWV0LTIwMjYtMTIiLCJ0eXAiOiJzdGF0aW9uLXJldm9jYXRpb25zK2p3cyJ9.eyJ…' } },
  'revocation-list': {
    file: 'revocation-list.schema.json',
    schema: revocationPayloadSchema,
    example: {
      seq: 42,
      issuedAt: '2026-12-01T18:00:00.000Z',
      passes: [{ id: 'ASNFZ4mrze8BI0VniavN7w', until: '2026-12-02T19:00:00.000Z' }],
      workers: [{ sub: 'w-5f3c9a1e', before: '2026-12-01T17:55:00.000Z', until: '2026-12-08T17:55:00.000Z' }],
    },
  },
  'update-report': {
    file: 'update-report.schema.json',
    schema: updateReportSchema,
    example: { revision: 1764600000, version: '0.2.0', running: '0.1.0', state: 'rolled-back', code: 'UPDATE_GATE_FAILED', problems: ['device water-1 did not come online within 120 s'], rollout: 'r-0.2.0-1', ts: '2026-12-01T18:06:07.089Z' },
  },
  reply: { file: 'reply.schema.json', schema: replySchema, example: { ok: false, error: { code: 'EXPIRED', message: 'the request expired at 2025-03-04T05:06:37.000Z' }, correlationId: 'c-42' } },
  'logs-result': {
    file: 'logs-result.schema.json',
    schema: logsResultSchema,
    example: {
      rows: [
        {
          id: '01JR8Y4A0B1C2D3E4F5G6H7J8K',
          ts: '2025-03-04T05:06:07.089Z',
          type: 'access.granted',
          device: 'lock-1',
          data: { res: 'main-door', act: 'unlock', sub: 'w-1', role: 'worker', via: 'cloud', jti: '01JR8Y4A0B1C2D3E4F5G6H7J8M', kid: 'k1', clock: 'synchronised' },
          deliveredAt: '2025-03-04T05:06:07.300Z',
        },
      ],
      next: 'eyJrIjoiZSIsInNlcSI6NDJ9',
      truncated: true,
    },
  },
  'doctor-result': {
    file: 'doctor-result.schema.json',
    schema: doctorResultSchema,
    example: {
      station: 'hz-0001',
      ts: '2025-03-04T05:06:07.089Z',
      ok: true,
      checks: [{ check: 'device water-1', status: 'pass', detail: 'online on 192.168.1.20:502 unit 2, 1200 polls, 2 failed' }],
      devices: [{ id: 'water-1', kind: 'water-dispenser', model: 'DSP-REF', bus: '192.168.1.20:502', unitId: 2, online: true, lastSeen: '2025-03-04T05:06:07.011Z', latencyMs: 18.4, polls: 1200, errors: { timeout: 0, crc: 2 } }],
      clock: { now: '2025-03-04T05:06:07.089Z', trusted: true, reason: 'synchronised', floor: '2025-03-04T05:05:00.000Z' },
      disk: { path: '/var/lib/station-gateway', freeBytes: 12_000_000_000, totalBytes: 31_000_000_000, budgetBytes: 536_870_912 },
      database: { path: '/var/lib/station-gateway/gateway.db', bytes: 4_200_000, pending: 0, oldestPending: null },
      certificate: { file: '/etc/station-gateway/station.crt', notAfter: '2025-06-01T00:00:00.000Z', daysToExpiry: 88.8, commonName: 'hz-0001' },
      sdCard: { device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' },
    },
  },
  'snapshot-result': {
    file: 'snapshot-result.schema.json',
    schema: snapshotResultSchema,
    example: {
      station: 'hz-0001',
      ts: '2025-03-04T05:06:07.089Z',
      version: '0.1.0',
      bootId: EXAMPLE_BOOT,
      devices: { 'water-1': deviceExample },
      alarms: [alarmExample],
      availability: availabilityExample,
      outbox: { pending: 0 },
    },
  },
};

/** The JSON Schema document of one payload, as committed under docs/contract/. */
export function jsonSchemaOf(name: string): Record<string, unknown> {
  const doc = PAYLOADS[name];
  if (!doc) throw new Error(`no contract payload ${name}`);
  const generated = z.toJSONSchema(doc.schema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: `${SCHEMA_BASE}${doc.file}`, ...rest, examples: [doc.example] };
}

/** Every generated file, path relative to docs/ → content. */
export function renderContractFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, doc] of Object.entries(PAYLOADS)) files.set(`contract/${doc.file}`, `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`);
  files.set('mqtt-topics.md', renderTopicReference());
  for (const [rel, content] of renderCatalogueFiles()) files.set(rel, content);
  return files;
}

interface TopicDoc {
  topic: string;
  direction: string;
  retained: string;
  payloads: string[];
  what: string;
}

const TOPICS: TopicDoc[] = [
  { topic: 'S/status', direction: 'station → cloud', retained: 'yes', payloads: ['status-birth', 'status-offline'], what: 'birth on every (re)connect; the Last Will when the link dies; `online:false` with `ts` on a clean stop' },
  { topic: 'S/devices/<deviceId>', direction: 'station → cloud', retained: 'yes', payloads: ['device-state'], what: 'on change beyond the deadbands, on online/offline, at least every `heartbeatSeconds`, and after every reconnect' },
  { topic: 'S/alarms', direction: 'station → cloud', retained: 'yes', payloads: ['alarms'], what: 'the alarms active now, replaced whole on every change' },
  { topic: 'S/availability', direction: 'station → cloud', retained: 'yes', payloads: ['availability'], what: 'what a map or app shows a worker' },
  { topic: 'S/events', direction: 'station → cloud', retained: 'no', payloads: ['event'], what: 'the usage and access log from the durable outbox, in order, at least once (dedup by `id`)' },
  { topic: 'S/cmd/<name>', direction: 'cloud → station', retained: 'no', payloads: ['cmd-unlock', 'cmd-swap', 'cmd-dispense', 'cmd-snapshot', 'cmd-slot', 'cmd-service', 'cmd-ack', 'cmd-logs', 'cmd-doctor'], what: 'requests; `<name>` is unlock, swap, dispense, snapshot, slot, service, ack, logs or doctor (service: an operator\'s `operate` code for the resource; ack: an operator\'s `operate` code for the station; logs and doctor: an operator\'s `diagnose` token, [diagnostics.md](diagnostics.md))' },
  { topic: 'S/desired/config', direction: 'cloud → station', retained: 'yes', payloads: ['desired-config'], what: 'the configuration the fleet wants the station to run, signed with the fleet configuration key ([remote-config.md](remote-config.md)); the station may only read it' },
  { topic: 'S/config', direction: 'station → cloud', retained: 'yes', payloads: ['config-report'], what: "where the station's configuration stands: the revision it runs, and each push applying, applied, rejected or rolled back, with the problems" },
  { topic: 'S/desired/version', direction: 'cloud → station', retained: 'yes', payloads: ['desired-version', 'release-document'], what: 'the gateway version the fleet wants the station to run, a release document signed with the fleet configuration key, naming each architecture\'s bundle (URL, size, SHA-256, release-key signature) ([updates.md](updates.md)); the station may only read it' },
  { topic: 'S/update', direction: 'station → cloud', retained: 'yes', payloads: ['update-report'], what: "where the station's software update stands: the version it runs, and each document deferred, downloading, verifying, installing, switching, on trial, committed, rejected or rolled back, with the code and the reason" },
  { topic: '<prefix>/_fleet/revocations', direction: 'cloud → station', retained: 'yes', payloads: ['revocations', 'revocation-list'], what: "the fleet's revocation list, one message for every station: passes and workers revoked, a compact JWS signed with an access key; the station keeps it on disk and honours it offline, and may only read it ([passes.md](passes.md#revocation))" },
  { topic: 'responseTopic / replyTo', direction: 'station → cloud', retained: 'no', payloads: ['reply', 'snapshot-result', 'logs-result', 'doctor-result'], what: 'the reply, on the topic the request named; with the fleet ACL that is `S/replies/<anything>`' },
];

function renderTopicReference(): string {
  const out: string[] = [];
  out.push(
    '# MQTT topic reference',
    '',
    '<!-- Generated from cloud-bridge/contract-schemas.ts by `npm run build && node dist/cloud-bridge/write-contract-reference.js`; do not edit. -->',
    '',
    'The contract between a station and the cloud, as the gateway implements it: the public interface that the fleet\'s back end, the operators\' console and the map rely on.',
    '`S` = `<topicPrefix>/<stationId>`, by default `stations/<stationId>`. Every message is QoS 1 and JSON (UTF-8).',
    'Every payload has a JSON Schema (draft 2020-12) in [`contract/`](contract/); the tests validate what the gateway publishes against them.',
    'Consumers ignore fields they do not know: fields are added, never renamed.',
    '',
    '| topic | direction | retained | QoS | payload | when |',
    '|---|---|---|---|---|---|',
  );
  for (const t of TOPICS) {
    const links = t.payloads.map((p) => `[${p}](contract/${PAYLOADS[p]?.file ?? ''})`).join(', ');
    out.push(`| \`${t.topic}\` | ${t.direction} | ${t.retained} | 1 | ${links} | ${t.what} |`);
  }
  out.push(
    '',
    '## Connection',
    '',
    '- **MQTT 5 where the broker speaks it** (Mosquitto 2, EMQX, HiveMQ), **MQTT 3.1.1 everywhere else** (`cloud.protocolVersion`).',
    '  The embedded broker of the demo (aedes) speaks 3.1.1 only, so every feature has a 3.1.1 form: request/response carries',
    '  `replyTo` and `correlationId` in the payload instead of the MQTT 5 properties.',
    '- **Client id = station id**, so a broker ACL can confine a station to `S/#`; with client certificates the certificate\'s CN',
    '  is the station id too ([broker-setup.md](broker-setup.md)). Tools that connect beside a station (`doctor`, the operators\'',
    '  clients) use client ids of their own: two connections with one client id take each other off the broker.',
    '- **Persistent session** (clean start off; MQTT 5 session expiry `cloud.sessionExpirySeconds`, default 7 days) and **QoS 1**',
    '  for everything that must not be lost. Events live in the gateway\'s own durable outbox (SQLite) and leave it only after',
    '  the broker\'s PUBACK; MQTT.js keeps nothing across a restart.',
    `- **Maximum packet size ${MAX_PACKET_BYTES / 1024} KiB** in both directions of the station's connection: MQTT 5 sends it as the CONNECT`,
    '  `maximumPacketSize` property, so a compliant broker never forwards a larger packet (it drops it as if delivered); on 3.1.1,',
    '  a larger QoS 1 PUBLISH is acknowledged and dropped unread by the station (logged as `MQTT_PACKET_TOO_LARGE`, once a minute),',
    '  anything else that large ends the connection. The embedded broker disconnects a client that sends a larger packet, as',
    '  Mosquitto does with `max_packet_size`.',
    '- **One connection per identity.** A station taken off the broker by another connection with its client id (MQTT 5 DISCONNECT',
    '  0x8E, or connections ended within 10 s of CONNACK three times in a row) raises `cloud.identity-conflict` and keeps backing off',
    '  (up to 60 s) until a connection has stayed up for 5 minutes.',
    '- **Last Will**: `S/status` `{"online":false,"bootId"}`, retained, for a crash or a lost link. A clean stop publishes',
    '  `{"online":false,"ts",...}` itself and then disconnects properly, so the broker discards the will: a fresh subscriber',
    '  can tell a planned restart (`ts` present) from a crash (no `ts`).',
    '- **Events** are `{"id","ts","type","device"?,"data"}`: `id` a ULID (unique, sortable), `ts` ISO-8601 UTC with milliseconds.',
    '  Delivery is at least once, in order per station; a consumer dedups by `id`.',
    '- **Alarms** are `{"alarm","severity","device","detail"}` with severity `critical`, `major`, `minor` or `warning`, raised and',
    '  cleared with hysteresis; `S/alarms` is the whole list active now. [alarms-and-events.md](alarms-and-events.md) lists every',
    '  alarm (what raises and clears it, what a crew does) and every event type with the JSON Schema of its `data`.',
    '- **Time**: every `ts` is UTC. People read times in the station\'s `station.timezone`: the console and `station-gateway log`',
    '  convert for display.',
    '',
    '## Trying it with mosquitto clients',
    '',
    'With the fleet broker of [broker-setup.md](broker-setup.md) (TLS, an operator certificate); against the demo’s embedded broker drop the TLS options and use `-p 1883`.',
    '',
    '```sh',
    'TLS="-h broker.example.net -p 8883 --cafile ca.crt --cert operator.crt --key operator.key"',
    '# the whole fleet, retained state first',
    "mosquitto_sub $TLS -V mqttv5 -t 'stations/+/status' -t 'stations/+/devices/+' -t 'stations/+/alarms' -t 'stations/+/availability' -v",
    '# one station’s event stream (use a persistent session, -c -i, so nothing is missed while you are away)',
    "mosquitto_sub $TLS -V mqttv5 -c -i ops-events-1 -q 1 -t 'stations/hz-0001/events' -v",
    '# a cloud back end sharing the event stream of the fleet between its instances (MQTT 5 shared subscription)',
    "mosquitto_sub $TLS -V mqttv5 -c -i backend-a -q 1 -t '$share/backend/stations/+/events'",
    '# a command, MQTT 5 request/response (mosquitto_rr sets responseTopic and correlationData)',
    "mosquitto_rr $TLS -V mqttv5 -q 1 -t stations/hz-0001/cmd/snapshot -e stations/hz-0001/replies/ops-1 -m '{}'",
    '# the same with a message expiry of 30 s: a station that gets it later does nothing',
    "mosquitto_rr $TLS -V mqttv5 -q 1 -t stations/hz-0001/cmd/unlock -e stations/hz-0001/replies/ops-1 -D publish message-expiry-interval 30 -m '{\"token\":\"eyJ…\"}'",
    '# MQTT 3.1.1: the reply topic and correlation id travel in the payload',
    "mosquitto_sub $TLS -V mqttv311 -t 'stations/hz-0001/replies/ops-1' -v &",
    'mosquitto_pub $TLS -V mqttv311 -q 1 -t stations/hz-0001/cmd/snapshot -m \'{"replyTo":"stations/hz-0001/replies/ops-1","correlationId":"c-1"}\'',
    '```',
    '',
    '## Commands',
    '',
    'A request on `S/cmd/<name>` names where to reply: the MQTT 5 `responseTopic` property (with `correlationData`, returned as it came),',
    'or on MQTT 3.1.1 `replyTo` in the payload (with `correlationId`, returned in the reply payload). A request that names neither is',
    'carried out and logged, and nobody is told. An empty payload is an empty request (`{}`).',
    '',
    '- **A reply topic must be a place to answer**: no wildcard (`+`, `#`), not empty, and inside the station\'s own tree only under',
    '  `S/replies/<anything>` (never `S/status`, `S/events` or another topic the station publishes). A request naming any other is',
    '  not carried out and not answered; the station counts it and logs it once a minute.',
    '- **Retained requests are never carried out** (the retain flag on delivery): a broker would hand a retained command to the',
    '  station again after every reconnect. Counted and logged once a minute; clear it with an empty retained publish.',
    `- **At most ${MAX_COMMAND_PAYLOAD_BYTES / 1024} KiB per request** payload: larger ones get \`BAD_REQUEST\` unread (MQTT 5; on 3.1.1 the reply topic is`,
    '  in the unread payload, so there is no reply).',
    '- **Refusals are logged once a minute per command and code**, with the count since, never one line per request.',
    '- **Late requests do nothing and say so.** A request with `expiresAt` in the past, or handled after its MQTT 5 message expiry, gets',
    '  `EXPIRED`. A broker drops an MQTT 5 request whose expiry passes while the station is off-line; then there is no reply at all.',
    '- **Malformed requests** (not JSON, not an object, a field of the wrong type, an unknown command name) get `BAD_REQUEST` with a',
    '  message that names the field.',
    `- **\`snapshot\`** replies with the whole station state ([snapshot-result](contract/snapshot-result.schema.json)), at most ${SNAPSHOTS_PER_MINUTE} a minute`,
    '  (burst as many); past that `BUSY`. The retained topics carry the same state for anyone who needs it more often.',
    '- **`unlock`, `swap`, `dispense`, `slot`** go to the station’s access logic. A station without it answers `FORBIDDEN`',
    '  ("this station does not carry out … commands"). A `slot` the cabinet does not have is `UNKNOWN_RESOURCE` (`DEVICE_OFFLINE`',
    '  before the cabinet was first read), decided before the token is spent: the same token works for the right slot.',
    '- **`service`** takes any resource out of service or back, for an operator\'s `operate` code with `res` the resource (the kinds\' actions',
    '  do not apply); kept across restarts, listed in `S/availability` `outOfService`, refused `FORBIDDEN` for a resource out of service in',
    '  the station file and `UNKNOWN_RESOURCE` for one the file does not name, before the code is spent.',
    '- **`ack`** acknowledges an active alarm, for an operator\'s `operate` code with `res` the station id; opens nothing. Recorded with',
    '  the alarm (kept across restarts) and listed in `S/alarms` as `acknowledged` until the alarm clears or its severity rises; a second',
    '  `ack` returns the first unchanged; an alarm that is not active (with the `device` it has) is `NOT_ACTIVE`, before the code is spent.',
    '',
    `Error codes: ${COMMAND_ERROR_CODES.map((c) => `\`${c}\``).join(', ')}. Their meaning: [errors.md](errors.md#command-replies).`,
    '',
  );
  for (const [name, doc] of Object.entries(PAYLOADS)) {
    const schema = jsonSchemaOf(name);
    out.push(`## ${name}`, '', `Schema: [contract/${doc.file}](contract/${doc.file}). ${String(schema['description'] ?? '')}`, '');
    const rows = fieldRows(schema);
    if (rows.length) out.push('| field | type | required | meaning |', '|---|---|---|---|', ...rows, '');
    out.push('```json', JSON.stringify(doc.example), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function fieldRows(schema: Record<string, unknown>): string[] {
  const variants = (schema['anyOf'] as Record<string, unknown>[] | undefined) ?? [schema];
  const rows: string[] = [];
  const seen = new Set<string>();
  for (const v of variants) {
    const props = (v['properties'] ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((v['required'] as string[] | undefined) ?? []);
    for (const [key, p] of Object.entries(props)) {
      const type = typeOf(p);
      const row = `| \`${key}\` | ${type} | ${required.has(key) ? 'yes' : 'no'} | ${String(p['description'] ?? '').replace(/\|/g, '\\|')} |`;
      if (!seen.has(row)) rows.push(row);
      seen.add(row);
    }
  }
  return rows;
}

function typeOf(p: Record<string, unknown>): string {
  if ('const' in p) return `\`${JSON.stringify(p['const'])}\``;
  if (Array.isArray(p['enum'])) return (p['enum'] as unknown[]).map((e) => `\`${String(e)}\``).join(' \\| ');
  if (Array.isArray(p['anyOf'])) return (p['anyOf'] as Record<string, unknown>[]).map(typeOf).join(' \\| ');
  if (p['$ref']) return 'JSON value';
  const t = p['type'];
  if (t === 'array') return `array of ${typeOf((p['items'] ?? {}) as Record<string, unknown>)}`;
  if (t === 'object') return 'object';
  if (t === 'string' && p['pattern']) return String(p['description'] ?? '').startsWith('ISO') ? 'timestamp' : 'string';
  return typeof t === 'string' ? t : 'any';
}
