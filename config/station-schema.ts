import { z } from 'zod';
import { DEVICE_KINDS } from './device-kinds.js';
import { brokerUrlProblem, listenAddressProblem } from './network-address.js';
import { isKnownTimeZone, nearestTimeZone } from './time-zone.js';
import { wiringProblems } from './wiring-checks.js';

/*
 * The station configuration: one YAML file per station (deploy/station.example.yaml shows one).
 * This schema is the single source of truth: validation, defaults and the reference in
 * docs/configuration.md all come from it (see `npm run docs:config`).
 */

const ID = /^[a-z0-9-]{1,64}$/;
const BROKER_URL = /^mqtts?:\/\/[^/\s]+$/;
const HHMM_RANGE = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

const id = (what: string) =>
  z.string().regex(ID, `must be 1 to 64 characters of a-z, 0-9 and '-' (${what})`).describe(`${what}: 1 to 64 of a-z, 0-9, '-'`);

const filePath = (what: string) => z.string().min(1).describe(what);

const serialLine = {
  path: filePath('serial device, e.g. /dev/serial/by-id/usb-FTDI_...-if00-port0 (stable across replugs)'),
  baudRate: z.number().int().positive().default(9600).describe('bits per second'),
  dataBits: z.literal([7, 8]).default(8).describe('data bits per character'),
  parity: z.enum(['none', 'even', 'odd']).default('none').describe('parity bit'),
  stopBits: z.literal([1, 2]).default(1).describe('stop bits'),
};

const LISTEN = /^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):\d{1,5}$/;
const listenAddress = z
  .string()
  .regex(LISTEN, 'must be host:port, e.g. 127.0.0.1:9464 (port 0 picks a free one)')
  .superRefine((listen, ctx) => {
    // Only once the shape is right: one line per problem, not two for one value.
    const problem = LISTEN.test(listen) ? listenAddressProblem(listen) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const gpioPin = z.union([z.number().int().min(0), z.string().min(1)]).describe('pin number or name (e.g. 7, "A0")');

const unitId = z.number().int().min(0).max(247).describe('Modbus unit (slave) id');

export const transportSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('serial'), ...serialLine }).describe('line protocol on a serial port'),
  z
    .strictObject({
      type: z.literal('serial-tcp'),
      host: z.string().min(1).describe('IP address or host name of the serial device server'),
      port: z.number().int().min(1).max(65535).describe('TCP port of the serial port on the device server (ser2net `raw`, Moxa NPort "TCP server" mode, often 4001)'),
    })
    .describe('line protocol on a serial port of a serial device server (raw TCP: ser2net, Moxa NPort); the line settings are the server\'s'),
  z.strictObject({ type: z.literal('modbus-rtu'), ...serialLine, unitId }).describe('Modbus RTU on an RS-485 line'),
  z
    .strictObject({
      type: z.literal('modbus-tcp'),
      host: z.string().min(1).describe('IP address or host name'),
      port: z.number().int().min(1).max(65535).default(502).describe('TCP port'),
      unitId: unitId.default(1),
    })
    .describe('Modbus TCP'),
  z
    .strictObject({
      type: z.literal('modbus-rtu-over-tcp'),
      host: z.string().min(1).describe('IP address of the converter'),
      port: z.number().int().min(1).max(65535).describe('TCP port of the converter'),
      unitId,
    })
    .describe('transparent RTU frames through an RS-485-to-Ethernet converter'),
  z
    .strictObject({
      type: z.literal('gpio'),
      board: z.literal('firmata').default('firmata').describe('board protocol'),
      path: filePath('serial device of the Firmata board (devices on one board share it)'),
      baudRate: z.number().int().positive().default(57600).describe('Firmata serial speed (StandardFirmata: 57600)'),
      pin: gpioPin.optional().describe('occupancy: the PIR input pin, short for pins.presence'),
      pins: z
        .strictObject({
          presence: gpioPin.optional().describe('PIR motion sensor input (high = motion)'),
          strike: gpioPin.optional().describe('relay output that releases an electric strike (door-lock)'),
          exitButton: gpioPin.optional().describe('inside exit button input, to ground (the board\'s pull-up is used)'),
          doorContact: gpioPin.optional().describe('door contact input, to ground when the door is closed'),
          statusLed: gpioPin.optional().describe('status LED output: lit while the strike is released, or with no strike while presence is seen'),
          smoke: gpioPin.optional().describe('smoke detector alarm contact input (kind smoke-detector), on the board\'s pull-up; smokeContact says which way it switches'),
        })
        .default({})
        .describe('pins by function'),
      strikeActiveLow: z.boolean().default(false).describe('the relay module energises on a low pin'),
      smokeContact: z
        .enum(['normally-open', 'normally-closed'])
        .default('normally-open')
        .describe('smoke detectors: normally-open closes to ground on alarm; normally-closed opens on alarm, so a cut wire reads as a detector fault rather than as quiet (the fail-safe wiring)'),
      exitUnlockMs: z.number().int().min(100).max(30_000).default(5000).describe('how long the exit button releases the strike'),
    })
    .describe('pins on a Firmata board (johnny-five): a PIR sensor (kind occupancy), a door with a strike relay (kind door-lock, door 1) or a smoke detector\'s alarm contact (kind smoke-detector)'),
]);

type GpioTransport = Extract<z.output<typeof transportSchema>, { type: 'gpio' }>;

/**
 * A GPIO device is a PIR sensor (occupancy), a door with a strike (door-lock) or a smoke
 * detector's alarm contact (smoke-detector); its pins must say which. A smoke pin on another kind
 * would be wired and never read: the station would believe it had a smoke detector.
 */
function gpioIssues(kind: string, t: GpioTransport): Array<[Array<string>, string]> {
  const issues: Array<[Array<string>, string]> = [];
  if (t.pin !== undefined && t.pins.presence !== undefined) issues.push([['transport', 'pin'], 'give the PIR pin once: pin or pins.presence']);
  if (kind === 'occupancy' && t.pin === undefined && t.pins.presence === undefined) issues.push([['transport', 'pins', 'presence'], 'a GPIO occupancy sensor needs its PIR pin (pin or pins.presence)']);
  else if (kind === 'door-lock' && t.pins.strike === undefined) issues.push([['transport', 'pins', 'strike'], 'a GPIO door needs its strike relay pin (pins.strike)']);
  else if (kind === 'smoke-detector' && t.pins.smoke === undefined) issues.push([['transport', 'pins', 'smoke'], 'a GPIO smoke detector needs its alarm contact pin (pins.smoke)']);
  else if (kind !== 'occupancy' && kind !== 'door-lock' && kind !== 'smoke-detector') issues.push([['kind'], 'a GPIO device is a PIR sensor (kind occupancy), a door with a strike relay (kind door-lock) or a smoke detector (kind smoke-detector)']);
  if (kind !== 'smoke-detector' && t.pins.smoke !== undefined) issues.push([['transport', 'pins', 'smoke'], `pins.smoke is a smoke detector's alarm contact: give it a device of its own, kind smoke-detector (${/^[aeio]/.test(kind) ? 'an' : 'a'} ${kind} never reads it)`]);
  const used = Object.entries({ pin: t.pin, ...t.pins }).filter(([, p]) => p !== undefined);
  const seen = new Map<string, string>();
  for (const [name, pin] of used) {
    const other = seen.get(String(pin));
    if (other) issues.push([['transport', 'pins', name], `pin ${pin} is also ${other}`]);
    seen.set(String(pin), name);
  }
  return issues;
}

/**
 * A QR scanner's longest scan by default, line end excluded: a worker pass's rolling code is up to
 * 1200 characters of ASCII (docs/passes.md), so 1024 refused the large ones; 2048 leaves room.
 */
export const DEFAULT_MAX_SCAN_BYTES = 2048;

export const deviceSchema = z.strictObject({
  id: id('device id'),
  kind: z.enum(DEVICE_KINDS).describe('what the device is'),
  name: z.string().optional().describe('a label for people'),
  profile: z
    .string()
    .min(1)
    .optional()
    .describe('Modbus devices: a profile name from config/profiles (or a profiles/ folder beside the station file) or a path to a profile file'),
  transport: transportSchema.describe('how the gateway reaches it, by type'),
  pollMs: z.number().int().min(50).max(3_600_000).default(1000).describe('how often the device is read'),
  timeoutMs: z.number().int().min(10).max(60_000).default(500).describe('how long one request may take'),
  offlineAfter: z.number().int().min(1).max(100).default(3).describe('failed polls in a row before the device is reported offline'),
  retryMaxMs: z
    .number()
    .int()
    .min(50)
    .max(600_000)
    .optional()
    .describe(
      'longest wait between tries of a device that stopped answering (its tries back off from 1 s, doubling up to this; default 30 s). By default a Modbus unit that answered before is also probed on every poll in between (one register, with a timeout from its own turnaround), so it is read again within about one poll period of answering; set, this ceiling replaces the probe: full reads with the full timeout on this backoff only (docs/devices.md)',
    ),
  doors: z.array(z.number().int().min(1).max(16)).optional().describe('door-lock: doors to watch; default: the doors that resources name'),
  maxScanBytes: z
    .number()
    .int()
    .min(64)
    .max(16_384)
    .optional()
    .describe(`qr-scanner: longest scan accepted, in bytes, line end excluded; a longer line is dropped and counted (too-long). Default ${DEFAULT_MAX_SCAN_BYTES}: a rolling code is up to 1200 characters`),
});

const resourceSchema = z.strictObject({
  device: id('device id'),
  door: z.number().int().min(1).max(16).optional().describe('door-lock resources: door number on the controller'),
  unlockMs: z.number().int().min(100).max(30_000).default(5000).describe('how long the door stays released'),
  heldOpenSeconds: z.number().int().min(5).max(3600).default(60).describe('door resources: a door left open longer raises the door.held alarm'),
  outOfService: z.boolean().default(false).describe('refuse every token for this resource (maintenance), with FORBIDDEN'),
  roles: z
    .array(z.enum(['worker', 'operator']))
    .min(1)
    .default(['worker', 'operator'])
    .describe('token roles allowed to use this resource (a token without role counts as worker); `operate` always needs operator'),
});

/**
 * Where the station stands, for an operator's map. WGS-84 because that is what a phone's GPS and
 * every web map read; decimal degrees because a crew copies them from a map app as they are.
 */
export const geoPositionSchema = z.strictObject({
  lat: z.number().min(-90).max(90).describe('latitude, WGS-84 decimal degrees, north positive (-90 to 90)'),
  lon: z.number().min(-180).max(180).describe('longitude, WGS-84 decimal degrees, east positive (-180 to 180)'),
});
export type GeoPosition = z.output<typeof geoPositionSchema>;

const stationShape = z
  .strictObject({
    station: z
      .strictObject({
      id: id('station id; also the MQTT client id'),
      name: z.string().min(1).optional().describe('a label for people'),
      timezone: z
        .string()
        .min(1)
        .superRefine((zone, ctx) => {
          if (zone === '' || isKnownTimeZone(zone)) return;
          const near = nearestTimeZone(zone);
          ctx.addIssue({ code: 'custom', message: `unknown time zone "${zone}"${near ? ` (did you mean ${near}?)` : ''}: an IANA name such as Asia/Shanghai` });
        })
        .default('UTC').describe('IANA zone for opening hours, e.g. Asia/Shanghai'),
      openHours: z.string().regex(HHMM_RANGE, 'must look like "06:00-22:00" (24-hour clock; "00:00-24:00" for always)').default('00:00-24:00').describe('when access is granted at all, HH:MM-HH:MM in the station timezone; may wrap midnight'),
      code: z
        .string()
        .regex(ID, "must be 1 to 64 characters of a-z, 0-9 and '-' (station code)")
        .optional()
        .describe('a short code printed on the door that phones may sign into a rolling code instead of the station id (docs/passes.md); 1 to 64 of a-z, 0-9, \'-\''),
      groups: z
        .array(id('station group id'))
        .max(32)
        .default([])
        .describe('station groups this station belongs to: a worker pass may name a group instead of stations (docs/passes.md)'),
      location: geoPositionSchema
        .optional()
        .describe('where the station stands, e.g. { lat: 30.2590, lon: 120.1615 } (WGS-84, not the GCJ-02 of Chinese map apps); sent in the birth message for the operators\' map'),
    }),
    cloud: z.strictObject({
      url: z
        .string()
        .regex(BROKER_URL, 'must be mqtt://host:port or mqtts://host:port')
        .superRefine((url, ctx) => {
          const problem = BROKER_URL.test(url) ? brokerUrlProblem(url) : undefined;
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .describe('the broker: mqtt://host:port or mqtts://host:port'),
      topicPrefix: z.string().regex(/^[^#+\s\u0000]+$/, 'must not contain #, +, spaces or NUL').default('stations').describe('topics are <prefix>/<station id>/...'),
      protocolVersion: z.literal([4, 5]).default(5).describe('5 = MQTT 5, 4 = MQTT 3.1.1 (the embedded broker speaks only 4)'),
      ca: filePath('CA certificate (PEM) that signed the broker').optional(),
      cert: filePath('client certificate (PEM)').optional(),
      key: filePath('client private key (PEM)').optional(),
      username: z.string().min(1).optional().describe('broker user name, with passwordFile'),
      passwordFile: filePath('file holding the broker password').optional(),
      password: z.never({ error: 'secrets are never inline: put the password in a file and name it in cloud.passwordFile' }).optional(),
      heartbeatSeconds: z.number().int().min(5).max(3600).default(60).describe('device state is republished at least this often'),
      renewBeforeDays: z.number().int().min(1).max(365).default(30).describe('an enrolled station renews its certificate this many days before it expires (docs/enrolment.md)'),
      keepaliveSeconds: z.number().int().min(10).max(1200).default(60).describe('MQTT keep-alive; 60 s suits 4G links that drop idle NAT mappings'),
      sessionExpirySeconds: z.number().int().min(0).default(604_800).describe('MQTT 5 persistent session lifetime'),
    }),
    storage: z.strictObject({
      path: filePath('SQLite database file'),
      retainDays: z.number().int().min(1).max(3650).default(90).describe('delivered usage events are kept this long'),
      maxMegabytes: z.number().int().min(8).default(512).describe('disk budget of the database'),
    }),
    access: z
      .strictObject({
        trustedKeys: filePath('JWKS file with the public keys that sign access tokens'),
        maxTokenSeconds: z.number().int().min(10).max(86_400).default(300).describe('longest token lifetime (exp - iat) accepted'),
        clockSkewSeconds: z.number().int().min(0).max(3600).default(60).describe('clock difference tolerated between the cloud and the box'),
        clockTrust: z
          .enum(['ntp', 'system'])
          .default('ntp')
          .describe('ntp: the clock is trusted once systemd-timesyncd reports it synchronised (a Pi without RTC); system: always trusted (a box with a battery-backed RTC, the demo, the tests)'),
        untrustedClock: z
          .enum(['floor', 'refuse'])
          .default('floor')
          .describe('while the clock is not trusted: floor = accept only tokens issued after the newest trusted time seen (docs/access.md); refuse = refuse every token with CLOCK_UNTRUSTED'),
        maxPeopleInside: z.number().int().min(1).optional().describe('door unlocks are refused with FULL while the occupancy sensor counts this many people inside'),
        maxPassSeconds: z
          .number()
          .int()
          .min(60)
          .max(30 * 86_400)
          // 7 days: the pass format's own bound (gateway/access/pass/pass-format.ts, MAX_PASS_SECONDS), which config may not import.
          .default(7 * 86_400)
          .describe('longest worker pass lifetime (exp - iat) accepted for rolling codes (docs/passes.md)'),
        antiPassback: z
          .strictObject({
            seconds: z.number().int().min(10).max(86_400).describe('how long a worker whose pass or token opened an entry door is not let in again, unless the occupancy sensor saw someone leave since (docs/access.md#anti-passback)'),
            resources: z.array(id('resource name')).min(1).optional().describe('the entry doors it applies to; default: every door-lock resource'),
          })
          .optional()
          .describe('anti-passback: one pass lets one person in; off when absent; exit is never blocked'),
        scansPerMinute: z.number().int().min(1).max(600).default(20).describe('verified attempts a minute, per source (each scanner; the cloud) and per worker; beyond it BUSY. Junk (no valid signature) never spends it: it is counted and dropped'),
      })
      .optional()
      .describe('offline verification of access tokens'),
    remoteConfig: z
      .strictObject({
        keys: filePath('JWKS file with the public keys of the fleet configuration key (never the access-token keys): a pushed station file must be signed by one'),
        stateDir: filePath('folder where pushed revisions are kept (the running one and the last good one)'),
        gateSeconds: z.number().int().min(5).max(3600).default(120).describe('how long a pushed revision has to prove itself (broker connected, devices online again, a store write) before it is rolled back'),
      })
      .optional()
      .describe('configuration pushed by the fleet on S/desired/config (docs/remote-config.md); read from the on-site file only, never from a pushed one; off when absent'),
    update: z
      .strictObject({
        releaseKey: filePath('PEM file with the public half of the release key: every bundle must be signed by it (never the access-token or configuration keys)'),
        keys: filePath('JWKS file with the fleet configuration keys that sign release documents on S/desired/version (usually the remoteConfig.keys file)'),
        ca: filePath('PEM file with the CA certificates the bundle server\'s HTTPS certificate must chain to').optional(),
        maxBundleMiB: z.number().int().min(1).max(512).default(200).describe('a bundle larger than this is refused before a byte is fetched, and a download is cut off at its announced size'),
        bandwidthKiBps: z.number().int().min(8).optional().describe('the download\'s bandwidth cap in KiB/s, for a metered 4G uplink; no cap when absent'),
        gateSeconds: z.number().int().min(10).max(3600).default(120).describe('how long a new version has to prove itself (broker connected, devices online again, a store write) before it is rolled back'),
      })
      .optional()
      .describe('software updates from the fleet on S/desired/version (docs/updates.md); read from the on-site file only; needs the launcher\'s release layout (deploy/install.sh); off when absent'),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino log level') })
      .default({ level: 'info' }),
    metrics: z
      .strictObject({
        listen: listenAddress.describe('where Prometheus scrapes /metrics and a watchdog or load balancer asks /healthz, host:port; keep it on 127.0.0.1 unless the LAN is trusted'),
      })
      .optional()
      .describe('Prometheus metrics and /healthz over HTTP; off when absent'),
    statusPage: z
      .strictObject({
        listen: listenAddress.describe('where the page is served, host:port, e.g. 0.0.0.0:8080 for the station LAN'),
        user: z.string().min(1).default('crew').describe('HTTP basic auth user name'),
        passwordFile: filePath('file holding the HTTP basic auth password (first line); the page is never served without one'),
      })
      .optional()
      .describe('a password-protected status page for crews on the station LAN; off when absent'),
    resources: z.record(id('resource name'), resourceSchema).default({}).describe('what access tokens may name in `res`'),
    devices: z.array(deviceSchema).min(1).describe('the field devices of the station'),
    swap: z
      .strictObject({
        doorOpenSeconds: z.number().int().min(1).max(60).default(5).describe('a pulsed slot door that has not read open by then counts as jammed: the next battery is offered, or the swap aborts (door-jammed)'),
        insertSeconds: z.number().int().min(10).max(1800).default(120).describe('how long a rider has to put their battery in the opened empty slot and shut its door (else insert-timeout)'),
        takeSeconds: z.number().int().min(10).max(1800).default(120).describe('how long a rider has to take the charged battery and shut its door (else take-timeout)'),
      })
      .prefault({})
      .describe('battery swaps on the cabinets (docs/decisions.md, Station logic)'),
    water: z
      .strictObject({
        sessionIdleSeconds: z.number().int().min(5).max(3600).default(60).describe('a dispense session nobody draws from is closed (valve shut) after this'),
        tankLowPercent: z.number().min(0).max(100).default(15).describe('the water.tank-low warning is raised at or below this tank level'),
        tankOkPercent: z.number().min(0).max(100).default(25).describe('and cleared at or above this one (hysteresis; above tankLowPercent)'),
      })
      .prefault({})
      .refine((w) => w.tankOkPercent > w.tankLowPercent, { message: 'tankOkPercent must be above tankLowPercent', path: ['tankOkPercent'] })
      .describe('water dispensers'),
    occupancy: z
      .strictObject({
        nightHours: z
          .string()
          .regex(HHMM_RANGE, 'must look like "22:00-06:00" (24-hour clock)')
          .default('22:00-06:00')
          .describe('when a motionless person raises the person.still alarm, HH:MM-HH:MM in the station timezone; may wrap midnight'),
        stillAlarmSeconds: z.number().int().min(10).max(65_535).default(600).describe('how long a person may stay without moving, at night, before the alarm'),
        leftAfterSeconds: z.number().int().min(0).max(600).default(10).describe('the room must read empty this long before a stay ends (an occupancy.session event)'),
      })
      .prefault({})
      .describe('occupancy sessions and the motionless-person alarm'),
    batterySafety: z
      .strictObject({
        riseCPerMinute: z
          .number()
          .min(0.5)
          .max(60)
          .default(2)
          .describe('a slot whose battery temperature rises faster than this (°C per minute, sustained over riseWindowSeconds) has its charging cut and is locked out before the 60 °C limit (slot.temp-rising.N)'),
        riseWindowSeconds: z.number().int().min(20).max(600).default(60).describe('the window the rise is measured over; the cabinet must be polled at least every quarter of it'),
      })
      .prefault({})
      .describe('battery safety on the cabinets beyond the fixed overheat limits (60 °C alarm, release below 45 °C)'),
  });

/**
 * The station file's shapes without the checks across sections: the loader parses with it to get
 * the values of the parts that are right while other parts are wrong, so that cross-checks,
 * profiles and named files are all checked in the same round as the shapes.
 */
export const stationShapeSchema = stationShape;
export type StationShape = z.output<typeof stationShape>;

export const stationConfigSchema = stationShape
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.devices.forEach((d, i) => {
      const first = seen.get(d.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id "${d.id}" (also devices[${first}])` });
      } else seen.set(d.id, i);
      const t = d.transport.type;
      const lineDevice = d.kind === 'door-lock' || d.kind === 'qr-scanner';
      if (lineDevice && t !== 'serial' && t !== 'serial-tcp' && !(d.kind === 'door-lock' && t === 'gpio')) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'transport', 'type'], message: `a ${d.kind} speaks the line protocol: transport.type must be serial or serial-tcp` });
      }
      if (t.startsWith('modbus') && !d.profile && !lineDevice) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'profile'], message: `a Modbus ${d.kind} needs a profile (e.g. cabinet-ref, dispenser-ref, occupancy-ref)` });
      }
      if (!t.startsWith('modbus') && d.profile) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'profile'], message: `profiles describe Modbus devices; transport ${t} takes none` });
      }
      if (d.maxScanBytes !== undefined && d.kind !== 'qr-scanner') {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'maxScanBytes'], message: `maxScanBytes is the longest scan a QR scanner accepts; a ${d.kind} reads no scans` });
      }
      if (d.transport.type === 'gpio') gpioIssues(d.kind, d.transport).forEach(([path, message]) => ctx.addIssue({ code: 'custom', path: ['devices', i, ...path], message }));
      // The rise is measured only across readings no further apart than a quarter of its window
      // (gateway/station/temperature-rise.ts); a fifth leaves room for a slow poll on a busy bus.
      const risePollMs = (cfg.batterySafety.riseWindowSeconds * 1000) / 5;
      if (d.kind === 'battery-cabinet' && d.pollMs > risePollMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'pollMs'],
          message: `a cabinet read every ${d.pollMs} ms never has its battery temperature rise measured (batterySafety.riseWindowSeconds ${cfg.batterySafety.riseWindowSeconds} needs a reading at least every ${risePollMs} ms): poll it more often, or widen the window`,
        });
      }
    });
    const byId = new Map<string, (typeof cfg.devices)[number]>();
    for (const d of cfg.devices) if (!byId.has(d.id)) byId.set(d.id, d);
    for (const [name, r] of Object.entries(cfg.resources)) {
      const dev = byId.get(r.device);
      if (!dev) {
        ctx.addIssue({ code: 'custom', path: ['resources', name, 'device'], message: `no device with id "${r.device}" in devices` });
      } else if (dev.kind === 'door-lock' && r.door === undefined) {
        ctx.addIssue({ code: 'custom', path: ['resources', name, 'door'], message: `${r.device} is a door lock: say which door (1..16)` });
      }
    }
    // Anti-passback on a name that is not an entry door would be a rule that never holds anyone.
    cfg.access?.antiPassback?.resources?.forEach((name, i) => {
      const r = cfg.resources[name];
      const kind = r ? byId.get(r.device)?.kind : undefined;
      if (!r) ctx.addIssue({ code: 'custom', path: ['access', 'antiPassback', 'resources', i], message: `no resource "${name}" in resources` });
      else if (kind !== undefined && kind !== 'door-lock') ctx.addIssue({ code: 'custom', path: ['access', 'antiPassback', 'resources', i], message: `${name} is a ${kind}, not a door: anti-passback holds entries only` });
    });
    const c = cfg.cloud;
    if ((c.cert === undefined) !== (c.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cloud', c.cert ? 'key' : 'cert'], message: 'cert and key go together' });
    }
    for (const key of ['cert', 'key', 'ca'] as const) {
      if (c[key]?.includes('-----BEGIN')) {
        ctx.addIssue({ code: 'custom', path: ['cloud', key], message: 'PEM text is never inline: save it to a file and name the file here' });
      }
    }
    if (c.passwordFile && !c.username) {
      ctx.addIssue({ code: 'custom', path: ['cloud', 'username'], message: 'passwordFile needs a username' });
    }
    if ((c.ca || c.cert) && c.url.startsWith('mqtt://')) {
      ctx.addIssue({ code: 'custom', path: ['cloud', 'url'], message: 'ca/cert are set but the url is plain mqtt://: use mqtts://' });
    }
  })
  .superRefine((cfg, ctx) => {
    for (const { path, message } of wiringProblems(cfg)) ctx.addIssue({ code: 'custom', path, message });
  });

export type StationConfig = z.output<typeof stationConfigSchema>;
export type DeviceConfig = StationConfig['devices'][number];
export type TransportConfig = DeviceConfig['transport'];
export type ResourceConfig = StationConfig['resources'][string];
