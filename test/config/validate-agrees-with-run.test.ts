import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../config/config-error.js';
import { loadStation, type LoadedStation } from '../../config/load-station-config.js';
import { DEVICE_KINDS } from '../../config/device-kinds.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { PROPERTY_TIMEOUT_MS, settings } from '../fuzz/fuzz-settings.js';
import { buildRuntimeParts } from './runtime-parts.js';

/*
 * validate and run agree: station files drawn from the schema's own value space (zones real,
 * misspelt and made up; hours at and past their bounds; ports and unit ids at and past theirs;
 * devices sharing lines and units; profiles, keys, passwords and TLS files good and bad) are
 * either refused by the loader `validate` and `run` share, with a ConfigError, or every part the
 * runtime builds at start is built from them without a throw. A throw there is a value `run`
 * rejects and `validate` let through (exit 1 under systemd instead of exit 2).
 */

let dir: ReturnType<typeof tempDir>;
let station: string;
/** A free port both servers may be given: the two on it must clash in validate, one alone binds. */
let sharedPort: number;

beforeAll(async () => {
  dir = tempDir('station-agree-');
  station = join(dir.path, 'station.yaml');
  const put = (name: string, text: string): void => {
    mkdirSync(join(dir.path, name, '..'), { recursive: true });
    writeFileSync(join(dir.path, name), text);
  };
  const pub = (kid: string): object => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid });
  put('keys/good.json', JSON.stringify({ keys: [pub('k1'), pub('k2')] }));
  put('keys/private.json', JSON.stringify({ keys: [{ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'k1' }] }));
  put('keys/empty.json', '{"keys": []}');
  put('keys/sign-only.json', JSON.stringify({ keys: [{ ...pub('k1'), key_ops: ['sign'] }] }));
  put('keys/garbage.json', 'not json');
  put('pw/seven', '1234567\n');
  put('pw/eight', '12345678\n');
  put('profiles/cabinet-bad.yaml', 'id: cabinet-bad\nkind: battery-cabinet\nvendor: X\nmodel: Y\npoints:\n  temp: { address: 65535, type: uint32 }\n');
  put('tls/garbage.pem', 'not pem\n');
  const openssl = (out: string): void =>
    void execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=st', '-days', '2', '-keyout', join(dir.path, `tls/${out}-key.pem`), '-out', join(dir.path, `tls/${out}-cert.pem`)], { stdio: 'ignore' });
  openssl('a');
  openssl('b');
  mkdirSync(join(dir.path, 'data'));
  put('plain', 'a file, not a folder');
  sharedPort = await freePort();
});
afterAll(() => dir?.remove());

/** Mostly a good value, sometimes one at or past a bound: most files pass, every edge is reached. */
function mostly<T>(good: fc.Arbitrary<T>, ...edges: T[]): fc.Arbitrary<T> {
  return edges.length === 0 ? good : fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}
const some = <T,>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

const pad = (n: number): string => String(n).padStart(2, '0');
const clock = fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([h, m]) => `${pad(h)}:${pad(m)}`);
const hours = fc.oneof(
  { weight: 60, arbitrary: some('00:00-24:00', '06:00-22:00', '22:00-06:00', '00:00-00:00', '23:59-24:00') },
  { weight: 2, arbitrary: fc.tuple(clock, fc.oneof(clock, fc.constant('24:00'))).map(([a, b]) => `${a}-${b}`) },
  { weight: 1, arbitrary: some('24:00-06:00', '6:00-22:00', '', '06:00 - 22:00') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const ZONES = Intl.supportedValuesOf('timeZone');
const zone = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...ZONES, 'UTC', 'utc', 'Etc/GMT+5', 'EST') },
  // A real zone with one character changed, as a crew mistypes it.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ZONES), fc.nat(), some('a', 'i', 'x', '/', ' ', '_')).map(([z, at, c]) => z.slice(0, at % z.length) + c + z.slice((at % z.length) + 1)) },
  { weight: 1, arbitrary: some('GMT+5', '+05:00', 'Z', ' UTC', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

/** Loopback or invalid only: the ops servers really bind what validate accepts. */
const listen = (): fc.Arbitrary<string> =>
  fc
    .tuple(mostly(some('127.0.0.1', 'localhost'), '999.1.1.1', '1.2.3', '0.0.0.0.0'), mostly(some('0', '0', '0', 'clash'), '65536', '99999'))
    .map(([h, p]) => `${h}:${p === 'clash' ? sharedPort : p}`);

// Ports a connect attempt is refused on at once; MQTT.js is ended before it could send anything anyway.
const brokerUrl = (tls: boolean): fc.Arbitrary<string> => fc
  .tuple(tls ? mostly(fc.constant('mqtts'), 'mqtt') : some('mqtt', 'mqtts'), mostly(some('127.0.0.1', 'localhost', '[::1]'), 'st:pw@127.0.0.1', 'a:b', '[::1'), mostly(some(':1', ':2', ':65535'), ':0', ':65536', ':99999', ':x'), mostly(fc.constant(''), '?q', '#f'))
  .map(([scheme, host, port, tail]) => `${scheme}://${host}${port}${tail}`);

const tls = mostly<Record<string, string>>(
  some<Record<string, string>>({}, { ca: 'tls/a-cert.pem' }, { cert: 'tls/a-cert.pem', key: 'tls/a-key.pem' }, { ca: 'tls/b-cert.pem', cert: 'tls/a-cert.pem', key: 'tls/a-key.pem' }),
  { ca: 'tls/garbage.pem' },
  { cert: 'tls/a-cert.pem', key: 'tls/b-key.pem' },
  { cert: 'tls/garbage.pem', key: 'tls/a-key.pem' },
  { cert: 'tls/a-cert.pem', key: 'tls/garbage.pem' },
  { cert: 'tls/a-cert.pem', key: 'tls/missing.pem' },
);

const unitId = mostly(some(1, 2, 3, 247), 0, 248);
const lineTransport = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('serial'), path: some('tty/a', 'tty/b', 'tty/c', 'tty/l1', 'tty/l2', 'tty/l3') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('gpio'), path: some('tty/g1', 'tty/g2'), pins: fc.record({ strike: some(3, 4), doorContact: some(4, 5) }, { requiredKeys: ['strike'] }) }) },
);
const modbusTransport = fc.oneof(
  fc.record({ type: fc.constant('modbus-rtu'), path: some('tty/a', 'tty/b', 'tty/rs485'), unitId, baudRate: mostly(fc.constant(9600), 19200, 0) }),
  fc.record({ type: fc.constant('modbus-tcp'), host: some('127.0.0.1', 'localhost'), port: mostly(some(1, 2, 65535), 0, 65536), unitId }),
  fc.record({ type: fc.constant('modbus-rtu-over-tcp'), host: fc.constant('127.0.0.1'), port: some(1, 2), unitId }),
);
const gpioPir = fc.record({ type: fc.constant('gpio'), path: some('tty/g1', 'tty/g2'), pin: some<number | string>(2, 3, 'A0') });
const PROFILE_OF: Record<string, string> = { 'battery-cabinet': 'cabinet-ref', 'water-dispenser': 'dispenser-ref', occupancy: 'occupancy-ref' };

/** A device as a crew would write it (kind, transport and profile that fit), now and then one that does not. */
const device = fc
  .record({
    kind: fc.constantFrom(...DEVICE_KINDS),
    pollMs: mostly(some(50, 1000), 49),
    timeoutMs: mostly(some(10, 500), 9),
    offlineAfter: mostly(some(1, 3, 100), 0, 101),
    line: lineTransport,
    modbus: modbusTransport,
    pir: gpioPir,
    fit: mostly(fc.constant(true), false),
    wrongProfile: some('cabinet-ref', 'dispenser-ref', 'cabinet-bad', 'nope', undefined),
    wrongTransport: fc.oneof(lineTransport, modbusTransport),
  })
  .map(({ kind, pollMs, timeoutMs, offlineAfter, line, modbus, pir, fit, wrongProfile, wrongTransport }) => {
    const lineDevice = kind === 'door-lock' || kind === 'qr-scanner';
    const transport = !fit ? wrongTransport : lineDevice ? (kind === 'qr-scanner' ? { type: 'serial', path: 'tty/s' } : line) : kind === 'occupancy' && pollMs === 50 ? pir : modbus;
    const profile = !fit ? wrongProfile : transport.type.startsWith('modbus') ? PROFILE_OF[kind] : undefined;
    return { kind, transport, pollMs, timeoutMs, offlineAfter, ...(profile !== undefined ? { profile } : {}) };
  });
/** Devices with ids, mostly one each; resources naming them, mostly ones that exist. */
const devicesAndResources = fc
  .tuple(fc.array(fc.tuple(device, mostly(fc.constant(true), false)), { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(some('door', 'cabinet', 'water'), fc.nat(), mostly(some<number | undefined>(1, 2, undefined), 17), mostly(fc.constant(true), false)), { maxLength: 2 }))
  .map(([devices, resources]) => {
    const listed = devices.map(([d, own], i) => ({ id: own ? `d${i + 1}` : 'd1', ...d }));
    const named = Object.fromEntries(resources.map(([name, n, door, exists]) => [name, { device: exists ? (listed[n % listed.length]?.id ?? 'd1') : 'd9', ...(door !== undefined ? { door } : {}) }]));
    return { devices: listed, resources: named };
  });

const stationFile = fc.record(
  {
    station: fc.record({ id: mostly(fc.constant('st-1'), 'St_1'), timezone: zone, openHours: hours }, { requiredKeys: ['id'] }),
    cloud: tls
      .chain((files) => fc.tuple(brokerUrl(Object.keys(files).length > 0), fc.constant(files), mostly(some<Record<string, unknown>>({}, { username: 'st', passwordFile: 'pw/eight' }), { username: 'st', passwordFile: 'pw/missing' }, { passwordFile: 'pw/eight' }), mostly(some(4, 5), 3), mostly(some(10, 60, 1200), 9, 1201)))
      .map(([url, files, login, protocolVersion, keepaliveSeconds]) => ({ url, ...files, ...login, protocolVersion, keepaliveSeconds })),
    storage: fc.record({ path: mostly(fc.constant('data/gw.db'), 'data', 'plain/gw.db'), retainDays: mostly(some(1, 90, 3650), 0, 3651) }, { requiredKeys: ['path'] }),
    access: fc.record(
      {
        trustedKeys: mostly(fc.constant('keys/good.json'), 'keys/private.json', 'keys/empty.json', 'keys/sign-only.json', 'keys/garbage.json', 'keys/missing.json'),
        maxTokenSeconds: mostly(some(10, 300, 86_400), 9, 86_401),
        clockSkewSeconds: mostly(some(0, 60, 3600), -1, 3601),
      },
      { requiredKeys: ['trustedKeys'] },
    ),
    metrics: fc.record({ listen: listen() }),
    statusPage: fc.record({ listen: listen(), passwordFile: mostly(fc.constant('pw/eight'), 'pw/seven', 'pw/missing') }),
    wiring: devicesAndResources,
    water: fc.record({ tankLowPercent: mostly(some(0, 15), -1, 100), tankOkPercent: mostly(some(25, 100), 0, 101) }, { requiredKeys: [] }),
    occupancy: fc.record({ nightHours: hours, stillAlarmSeconds: mostly(some(10, 600, 65_535), 9, 65_536) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['station', 'cloud', 'storage', 'wiring'] },
).map(({ wiring, ...rest }) => ({ ...rest, ...wiring }));

async function validated(): Promise<LoadedStation | undefined> {
  try {
    return await loadStation(station);
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

describe('validate and run agree', () => {
  it(
    'a station file validate accepts builds every runtime part without a throw',
    async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(stationFile, async (file) => {
          writeFileSync(station, stringify(file));
          const loaded = await validated();
          if (!loaded) return;
          accepted++;
          // Throws here (RangeError for a zone, ListenAddressError, a TLS error, a ConfigError from
          // the keys...) are the values validate must have refused.
          await buildRuntimeParts(loaded);
        }),
        settings(150),
      );
      // Not vacuous: the generators reach files that pass.
      expect(accepted).toBeGreaterThan(5);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
