/**
 * Every error code the project raises, in one place: what it means, where it shows and what a crew
 * or an operator does about it. It sits in the bottom layer because every layer raises codes; the
 * typed lists are cut from it (`DeviceErrorCode`, and the contract's `COMMAND_ERROR_CODES`, which
 * the command replies on MQTT carry). docs/errors.md is generated from it, and
 * test/config/error-catalogue.test.ts fails when the code raises a code this lacks, or when an
 * entry here is raised by nothing.
 */

/** The families of codes, in the order docs/errors.md gives them, with what a section says first. */
export const ERROR_AREAS = {
  device: {
    title: 'Device layer',
    about:
      'Raised by the drivers (`DeviceError`, device-drivers/device-error.ts). Counted per device in `health.errors` of `S/devices/<id>` (in lower case, in this order) and in `station_device_errors_total{device,code}`, carried by the `device.offline` event (`data.code`) and alarm (`detail.code`), and shown by `doctor`\'s device check. A command that fails on a device is answered `DEVICE_ERROR`.',
  },
  command: {
    title: 'Command replies',
    about:
      'Published on MQTT in `{"ok":false,"error":{"code","message"}}` on a command\'s reply topic (`CommandError`, cloud-bridge/command-handler.ts; the access logic\'s `AccessDenied` is one); the list is the contract\'s ([reply](contract/reply.schema.json)), in this order. `access.denied` events carry the same codes in `data.code`. The column says what the cloud does.',
  },
  bridge: {
    title: 'Cloud connection',
    about: 'Raised by the MQTT client (`cloud-bridge/`). The `cloud.identity-conflict` alarm says when another connection takes this station\'s identity ([alarms-and-events.md](alarms-and-events.md)).',
  },
  store: {
    title: 'Store',
    about: 'Raised by the SQLite store (`gateway/store/`); [storage.md](storage.md) says how the store survives each.',
  },
  config: {
    title: 'Configuration',
    about: 'The station file and what it names, checked by `station-gateway validate` and again at start.',
  },
  station: {
    title: 'Station assembly',
    about: 'Raised while the composition root puts a station together: a wiring bug in the gateway, never a field condition.',
  },
  ops: {
    title: 'Operations',
    about: 'Metrics, the status page, systemd and reload (`gateway/ops/`, [operations.md](operations.md)).',
  },
  enrolment: {
    title: 'Enrolment and certificate renewal',
    about:
      'A box\'s first start with a claim (`station-gateway enrol`), the renewal of a running station\'s certificate, and the fleet\'s enrolment service (`station-fleet enrol`) ([enrolment.md](enrolment.md)). The service answers a refused request with `{"ok":false,"error":{"code","message"}}` on the request\'s reply topic; the box prints that code and writes nothing.',
  },
  update: {
    title: 'Software updates',
    about: 'A release bundle checked before it is unpacked (its signature) and after (every file against its manifest, the architecture, the Node.js major).',
  },
  cli: {
    title: 'Command lines',
    about: 'Every tool (`station-gateway`, `station-sim`, `station-fleet`, `station-token`, the demo) reports a wrong command line the same way.',
  },
  simulator: {
    title: 'Simulators',
    about: 'Raised by `station-sim` and the device simulators on a bench or in the tests; never by a station.',
  },
  console: {
    title: 'Operator console',
    about:
      'Raised in the operator\'s browser before or instead of a station\'s reply (`LocalFailure`, console/src/operator/local-failure.ts) and shown in words where the action was asked ([console.md](console.md)); a station never sends them. A reply that does not come within 15 s is shown as `TIMEOUT`, in the console\'s words.',
  },
} as const satisfies Record<string, { title: string; about: string }>;
export type ErrorArea = keyof typeof ERROR_AREAS;

/** Where a code can be seen, for the person looking. */
export const ERROR_SHOWN_IN = ['log', 'device state', 'metrics', 'event', 'alarm', 'doctor', 'command reply', 'config report', 'update report', 'control API', 'stderr', 'console'] as const;
export type ErrorShownIn = (typeof ERROR_SHOWN_IN)[number];

/** The tools' exit statuses (gateway/cli/exit-codes.ts is checked against these). */
export const EXIT_STATUSES = {
  0: 'stopped cleanly',
  1: 'runtime failure (systemd restarts the gateway)',
  2: 'bad configuration or command line (a restart will not help: a person must fix it)',
  75: 'run only: the gateway switched to a new release and stopped for the launcher to start it (docs/updates.md)',
} as const;

export interface ErrorCodeEntry {
  area: ErrorArea;
  /** The error class that carries it, or the part that logs it. */
  raisedBy: string;
  meaning: string;
  shows: readonly [ErrorShownIn, ...ErrorShownIn[]];
  /** The exit status of the tool a run ends with when this stops it. */
  exit?: 1 | 2;
  /** What a crew on site, an operator or (for command replies) the cloud does about it. */
  action: string;
}

const DEVICE = 'DeviceError';
const DEVICE_SHOWS = ['device state', 'metrics', 'event', 'alarm', 'doctor', 'log'] as const;
const BRIDGE = 'the bridge (cloud-bridge/command-router.ts)';
const ACCESS = 'the access logic (`AccessDenied`)';
const TOKEN = 'the token check (`AccessDenied`)';
const REPLY = ['command reply', 'event'] as const;
const REMOTE = '`RemoteConfigError` (gateway/remote-config/remote-config-error.ts)';
const REMOTE_SHOWS = ['config report', 'log'] as const;
const REVOCATION = '`RevocationError` (gateway/access/revocation/revocation-error.ts)';
const REVOCATION_SHOWS = ['log'] as const;

export const ERROR_CATALOGUE = {
  // Device: the order of `health.errors` on `S/devices/<id>`.
  TIMEOUT: { area: 'device', raisedBy: DEVICE, meaning: 'the device did not answer within `timeoutMs`', shows: DEVICE_SHOWS, action: 'check power and wiring; on RS-485, termination and unit ids' },
  CRC: { area: 'device', raisedBy: DEVICE, meaning: 'a Modbus frame failed its CRC check', shows: DEVICE_SHOWS, action: 'noise on the line: check shielding, termination, baud rate' },
  CHECKSUM: { area: 'device', raisedBy: DEVICE, meaning: 'a line-protocol frame failed its `*XX` checksum', shows: DEVICE_SHOWS, action: 'as for `CRC`' },
  EXCEPTION: {
    area: 'device',
    raisedBy: DEVICE,
    meaning: 'the device answered with a Modbus exception (`detail.exception` holds its code)',
    shows: DEVICE_SHOWS,
    action: 'the profile names a register the device does not have, or the device refuses',
  },
  DISCONNECTED: {
    area: 'device',
    raisedBy: DEVICE,
    meaning: 'the serial port or TCP link is closed or cannot be opened',
    shows: DEVICE_SHOWS,
    action: 'unplugged adapter, wrong path, converter down; the gateway retries with backoff',
  },
  PROTOCOL: { area: 'device', raisedBy: DEVICE, meaning: 'the device answered something the protocol does not allow', shows: DEVICE_SHOWS, action: 'wrong device or firmware on that port' },
  REFUSED: {
    area: 'device',
    raisedBy: DEVICE,
    meaning: 'the device refused a request (`ERR <code>` from a lock controller, in `detail.code`)',
    shows: DEVICE_SHOWS,
    action: 'see the controller\'s code: `BADDOOR`, `BADARG`, `JAMMED`, `BUSY`, `UNKNOWN`',
  },
  UNSUPPORTED: {
    area: 'device',
    raisedBy: DEVICE,
    meaning: 'a command needs a part the device\'s profile says it lacks, or binds no role for (a cabinet without per-slot charging switches told to switch one); nothing was written',
    shows: DEVICE_SHOWS,
    action: 'nothing on site: the station logic falls back ([device-roles.md](device-roles.md)) and raises the alarm that says what it could not do; if the device does have the part, bind it in the profile',
  },
  ENCODING: {
    area: 'device',
    raisedBy: DEVICE,
    meaning: 'a command value does not fit the type, scale or range the profile gives (70000 into a uint16); nothing was written',
    shows: DEVICE_SHOWS,
    action: 'the profile\'s command type or scale is wrong for this device: check the vendor\'s register sheet',
  },

  // Command replies: the order of the contract's enum, which is on the wire.
  BAD_REQUEST: {
    area: 'command',
    raisedBy: BRIDGE,
    meaning: 'not JSON, not an object, a field missing or of the wrong type, an unknown command name, or a payload over 8 KiB; the message names the field',
    shows: ['command reply'],
    action: 'fix the request; do not retry it as it is',
  },
  BAD_TOKEN: { area: 'command', raisedBy: TOKEN, meaning: 'the token is not a valid JWS, its signature does not verify, or its claims are malformed; for a worker pass\'s rolling code (docs/passes.md): not canonical CBOR in base45, a pass or phone signature that does not verify, or a time step outside the window', shows: REPLY, action: 'issue a fresh token; if every token fails, check how the cloud signs them' },
  UNKNOWN_KEY: { area: 'command', raisedBy: TOKEN, meaning: 'the token\'s `kid` names no trusted key of this station', shows: REPLY, action: 'check key rotation: the station\'s trusted keys lack the signing key' },
  EXPIRED: {
    area: 'command',
    raisedBy: 'the bridge and the token check',
    meaning: 'the request arrived or was handled after its `expiresAt` / MQTT 5 message expiry, or the token expired (or was issued before the station lost its records); nothing was done',
    shows: REPLY,
    action: 'ask the worker again with a fresh token',
  },
  NOT_YET_VALID: { area: 'command', raisedBy: TOKEN, meaning: 'the token\'s `iat` is in the future beyond the allowed skew', shows: REPLY, action: 'check the clocks of the cloud and of the station' },
  WRONG_STATION: { area: 'command', raisedBy: TOKEN, meaning: 'the token\'s `aud` is another station, or the worker pass names neither this station nor one of its groups', shows: REPLY, action: 'issue the token for this station' },
  UNKNOWN_RESOURCE: {
    area: 'command',
    raisedBy: ACCESS,
    meaning: 'the token\'s `res` names nothing in this station\'s configuration, or `cmd/slot` names a slot the cabinet does not have, or `cmd/service` a resource the file does not name (the token is not spent)',
    shows: REPLY,
    action: 'check the station\'s `resources` (or the cabinet\'s slots) against what was asked',
  },
  FORBIDDEN: {
    area: 'command',
    raisedBy: 'the bridge and the access logic',
    meaning: 'the station does not carry out this command (no access logic plugged in), the token\'s action or role does not allow it, or the resource is out of service (in the station file, or by `cmd/service`; one out of service in the file cannot be put back by command)',
    shows: REPLY,
    action: 'do not retry',
  },
  REPLAYED: { area: 'command', raisedBy: ACCESS, meaning: 'the token\'s `jti` was used already; the first result is returned', shows: REPLY, action: 'nothing: a new attempt needs a new token' },
  CLOSED: { area: 'command', raisedBy: ACCESS, meaning: 'the station is closed: outside its opening hours, or for safety (smoke) until it clears', shows: REPLY, action: 'tell the worker; try again when it opens' },
  FULL: { area: 'command', raisedBy: ACCESS, meaning: 'no room: every seat taken, or no empty cabinet slot to take a battery', shows: REPLY, action: 'tell the worker; try later or another station' },
  DEVICE_OFFLINE: { area: 'command', raisedBy: ACCESS, meaning: 'the device that would act is off-line (or not read yet)', shows: REPLY, action: 'a crew checks the device: its `device.offline` alarm says since when' },
  DEVICE_ERROR: { area: 'command', raisedBy: ACCESS, meaning: 'the device refused or failed while the grant was carried out', shows: REPLY, action: 'retry once; if it repeats, a crew checks the device (its state topic shows its error counts)' },
  BUSY: {
    area: 'command',
    raisedBy: 'the bridge and the access logic',
    meaning: 'the device is busy with another session, a budget of attempts is spent, more than 10 snapshots were asked for within a minute, or the station is restarting (stopping, or switching to a pushed revision)',
    shows: REPLY,
    action: 'retry shortly',
  },
  NO_BATTERY: { area: 'command', raisedBy: ACCESS, meaning: 'no charged battery of the pack type', shows: REPLY, action: 'send the rider to another station' },
  CLOCK_UNTRUSTED: {
    area: 'command',
    raisedBy: TOKEN,
    meaning: 'the station\'s clock cannot be trusted, so token times cannot be checked',
    shows: REPLY,
    action: 'a crew checks the station\'s time source ([access.md](access.md))',
  },
  INTERNAL: {
    area: 'command',
    raisedBy: 'the bridge and the access logic',
    meaning: 'the gateway failed unexpectedly (or could not record the access: disk full; nothing was opened); its log has the detail. The simulators\' control API answers it too, with HTTP 500',
    shows: ['command reply', 'event', 'control API'],
    action: 'retry later; report it if it repeats',
  },
  REVOKED: {
    area: 'command',
    raisedBy: ACCESS,
    meaning: 'the worker pass, or its worker, was revoked by the fleet\'s revocation list (the list kept on the station\'s disk, honoured offline)',
    shows: REPLY,
    action: 'the worker asks for a new pass; an operator checks why the pass or the worker was revoked',
  },
  PASSBACK: {
    area: 'command',
    raisedBy: ACCESS,
    meaning: 'anti-passback (`access.antiPassback`): this worker opened an entry door within the last `seconds` and the occupancy sensor has not seen anyone leave since; the token or code is not spent',
    shows: REPLY,
    action: 'the worker leaves first (exit is never blocked) or waits; one pass lets one person in',
  },
  NOT_ACTIVE: {
    area: 'command',
    raisedBy: ACCESS,
    meaning: '`cmd/ack` names an alarm (with its `device`) that is not active now: it cleared, or never was; nothing was recorded and the operator\'s code is not spent',
    shows: REPLY,
    action: 'refresh the alarm list (`S/alarms`); an alarm raised again after it cleared is a new one to acknowledge',
  },

  MQTT_PACKET_TOO_LARGE: {
    area: 'bridge',
    raisedBy: '`PacketTooLargeError` (cloud-bridge/inbound-packet-guard.ts)',
    meaning:
      'the broker sent a packet over 64 KiB. A QoS 1 PUBLISH is acknowledged and dropped unread (logged once a minute with the count, counted as `oversizePackets`), so the broker does not redeliver it; any other packet that large, or one that is not MQTT, ends the connection (the station reconnects)',
    shows: ['log'],
    action: 'on MQTT 5 a compliant broker never sends one (the CONNECT says 64 KiB): look for a broker without a limit, or a misbehaving one',
  },

  STORE_FULL: {
    area: 'store',
    raisedBy: '`StoreFullError` (gateway/store/store-errors.ts)',
    meaning:
      'the disk is full (or the file system went read-only); the write did not happen. Events wait in memory (up to 10,000) and are written when there is room again; the `store.disk-full` alarm is up meanwhile; the time floor and the boot counter are held in memory and written then too. At start, a full disk opens the database in exclusive mode or, when it cannot be brought up to date, runs on a stand-in in memory until it can ([storage.md](storage.md#bounded-disk)); the station comes up either way',
    shows: ['log', 'alarm'],
    action: 'free space on the gateway\'s disk (logs, old `.corrupt-*` files)',
  },
  STORE_CORRUPT: {
    area: 'store',
    raisedBy: '`StoreCorruptError` (gateway/store/store-errors.ts)',
    meaning:
      'the database file failed its integrity check or is not a database; it is moved aside as `<file>.corrupt-<time>` (with its WAL), the gateway starts on a fresh file, raises the `store.corrupt` alarm and holds every cabinet slot until it reads safe',
    shows: ['log', 'alarm'],
    action: 'salvage what is readable in the old file with `sqlite3 .dump` ([storage.md](storage.md#a-damaged-file); Debian 12\'s `.recover` does not work); replace the storage medium if it happens again',
  },
  STORE_LOST: {
    area: 'store',
    raisedBy: 'the store at start (gateway/store/station-store.ts)',
    meaning:
      'the database is a fresh file (gone, 0 bytes, or another file) where the anchor beside it (`<file>.anchor`) remembers an earlier one; the store is reset: the `store.lost` alarm, the time floor and the operator settings restored from the anchor, no token issued before the reset accepted ([storage.md](storage.md#a-lost-file-and-replay-protection)), every cabinet slot held until it reads safe ([storage.md](storage.md#battery-safety-across-restarts))',
    shows: ['log', 'alarm'],
    action: 'find out what removed the file; issue fresh tokens',
  },
  STORE_SCHEMA_TOO_NEW: {
    area: 'store',
    raisedBy: '`SchemaTooNewError` (gateway/store/migrations.ts)',
    meaning: 'the database was written by a newer gateway; the gateway refuses to guess at its schema and does not start',
    shows: ['log'],
    exit: 1,
    action: 'upgrade the gateway (or roll the database back with the version that wrote it)',
  },
  STORE_SESSIONS_BEHIND: {
    area: 'store',
    raisedBy: 'the store\'s usage-session catch-up (gateway/store/station-store.ts)',
    meaning:
      'the usage sessions could not be derived from the event log (a database or disk fault other than a full disk, which is `STORE_FULL`). The events are safe and go on to the cloud; sessions lack the newest of them until a catch-up works: tried again after the next write, at every upkeep round and at stop ([storage.md](storage.md#usage-sessions))',
    shows: ['log'],
    action: 'read the error in the log; if it names corruption, see `STORE_CORRUPT`',
  },
  STORE_CLOSED: {
    area: 'store',
    raisedBy: '`StoreClosedError` (gateway/store/store-errors.ts)',
    meaning: 'the store was used before start or after stop: a wiring bug, never a field condition',
    shows: ['log'],
    action: 'report it with the log',
  },

  CONFIG_INVALID: {
    area: 'config',
    raisedBy: '`ConfigError` (config/config-error.ts)',
    meaning:
      'the station file, a profile it names or a file it names (keys, TLS, passwords) is wrong; every problem is printed in one round as `file:line: key.path: what is wrong` (a profile\'s problems with the profile file\'s line), from `validate` and from `run` alike',
    shows: ['stderr'],
    exit: 2,
    action: 'fix the file at the line named; `station-gateway validate` checks it without starting',
  },
  DEVICE_UNSUPPORTED: {
    area: 'config',
    raisedBy: '`UnsupportedDeviceError` (gateway/runtime/device-factory.ts)',
    meaning: 'the config names a device this version cannot drive (a kind on a transport it does not speak); the device is left out and logged, the rest of the station runs',
    shows: ['log'],
    action: 'fix the device\'s `kind` or `transport`, or upgrade the gateway',
  },

  // Remote configuration (docs/remote-config.md): a document on S/desired/config refused, or an apply undone.
  CONFIG_DOCUMENT_MALFORMED: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the desired configuration on `S/desired/config` is not a compact JWS signed with EdDSA, or its payload is not JSON of the document\'s shape (`typ`, `station`, `revision`, `issuedAt`, `files` with a `station.yaml`); the message names the field. Nothing was written',
    shows: REMOTE_SHOWS,
    action: 'make the document with `station-fleet config push`; another tool must follow docs/remote-config.md',
  },
  CONFIG_DOCUMENT_TOO_LARGE: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the document is over 60 KiB (or holds more than 64 files), unread',
    shows: REMOTE_SHOWS,
    action: 'push only the profiles the station file names and that the gateway does not ship',
  },
  CONFIG_UNKNOWN_KEY: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the document\'s `kid` names no key in the station\'s configuration-key file (a separate file from the access-token keys)',
    shows: REMOTE_SHOWS,
    action: 'check key rotation: give the station the public key (`station-fleet config keygen` writes it) before signing with it',
  },
  CONFIG_BAD_SIGNATURE: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the document\'s signature does not verify against the configuration key its `kid` names: changed on the way, or signed with another key',
    shows: REMOTE_SHOWS,
    action: 'push it again with the fleet\'s configuration key; if it repeats, find who writes `S/desired/config` (the ACL lets only operators)',
  },
  CONFIG_WRONG_STATION: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the document is for another station (its `station`). A station file inside it with another `station.id` is a `CONFIG_INVALID` problem of that file',
    shows: REMOTE_SHOWS,
    action: 'push the right file to the right station',
  },
  CONFIG_REVISION_NOT_NEWER: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the document\'s revision is not greater than the one the station runs; the station keeps what it runs',
    shows: REMOTE_SHOWS,
    action: 'push with a higher `--revision` (`station-fleet config status` shows what each station runs)',
  },
  CONFIG_PATH_UNSAFE: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'a file of the document has an absolute path, a `..` or `.` segment, a hidden or odd name, or a path that is also another file\'s folder: it would be written outside the revision folder or not at all. Nothing was written',
    shows: REMOTE_SHOWS,
    action: 'name files `station.yaml` and `profiles/<name>.yaml`',
  },
  CONFIG_DRIFT: {
    area: 'config',
    raisedBy: REMOTE,
    meaning: 'the station file the station runs was changed on site since the station applied it (its hash differs): a new revision is refused rather than replace that change silently. `drift` in `S/config` lists the files',
    shows: REMOTE_SHOWS,
    action: 'ask the crew what they changed, put it into the fleet\'s file, and push with `--replace-drift`',
  },
  CONFIG_GATE_FAILED: {
    area: 'config',
    raisedBy: '`HealthGate` (gateway/remote-config/health-gate.ts)',
    meaning: 'an applied revision did not pass its health gate in time (the broker connection, every device online before it online again, a write to the store), or the station restarted in it too often; the station went back to the last good revision. `problems` says what was missing',
    shows: REMOTE_SHOWS,
    action: 'fix what the problems name (a device that does not answer at its new address, a broker URL) and push a newer revision',
  },
  CONFIG_STORE_DAMAGED: {
    area: 'config',
    raisedBy: '`RevisionStore` (gateway/remote-config/revision-store.ts)',
    meaning: 'the revision store\'s pointer (`active.json`) cannot be read, or names a revision whose folder is gone: the station runs its on-site station file instead',
    shows: ['log', 'config report'],
    action: 'check the disk; the next push writes a new store',
  },
  CONFIG_KEY_FILE: {
    area: 'config',
    raisedBy: '`ConfigKeyFileError` (fleet/config/config-keys.ts)',
    meaning: '`station-fleet config push --key FILE` was given a file that is not an Ed25519 private JWK with a `kid`',
    shows: ['stderr'],
    exit: 2,
    action: 'give the private key `station-fleet config keygen` wrote (`config.private.jwk.json`)',
  },

  // The fleet's revocation list (docs/passes.md, "Revocation"): a list refused, or the kept one unusable. The list in use stays.
  REVOCATION_MALFORMED: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list on `<prefix>/_fleet/revocations` (or kept on disk) is not a compact JWS signed with EdDSA and `typ` station-revocations+jws, or its payload is not a list (`seq`, `issuedAt`, `passes`, `workers`); the message names the field',
    shows: REVOCATION_SHOWS,
    action: 'make the list with `station-fleet revoke`; another tool must follow docs/passes.md',
  },
  REVOCATION_TOO_LARGE: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list is over 1 MiB signed or holds more than 20,000 entries; refused unread (past its size) and the list the station keeps stays. A message over the connection\'s 64 KiB packet limit never gets this far: it is dropped on the wire as `MQTT_PACKET_TOO_LARGE` (docs/passes.md, "Bounds")',
    shows: REVOCATION_SHOWS,
    action: 'leave expired entries out (`station-fleet revoke` does); revoke a worker instead of each of their passes',
  },
  REVOCATION_UNKNOWN_KEY: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list\'s `kid` names no key of the station\'s `access.trustedKeys`: the authority that issues passes revokes them',
    shows: REVOCATION_SHOWS,
    action: 'sign the list with the pass issuer\'s key, or give the station that public key first',
  },
  REVOCATION_BAD_SIGNATURE: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list\'s signature does not verify: forged or changed on the way',
    shows: REVOCATION_SHOWS,
    action: 'find out who wrote `<prefix>/_fleet/revocations` (only the operators\' account may)',
  },
  REVOCATION_NOT_NEWER: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list\'s `seq` is not greater than the one the station keeps: an old list replayed (or the same one again, which is taken silently)',
    shows: REVOCATION_SHOWS,
    action: 'publish a new list with `station-fleet revoke` (it bumps `seq` from the list file the operators keep)',
  },
  REVOCATION_FILE_DAMAGED: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'the revocation list kept beside the database (`revocations.jws`) cannot be read or no longer verifies with the trusted keys; the station runs with no list until the fleet\'s arrives, and `S/status` says `revocations: null`',
    shows: ['log', 'doctor'],
    action: 'nothing on site: the retained list arrives at the next connect; check `doctor` for its age',
  },
  REVOCATION_NOT_SAVED: {
    area: 'config',
    raisedBy: REVOCATION,
    meaning: 'a revocation list was accepted but could not be written to disk (a full or read-only disk); it is honoured until the gateway stops, and taken again from the broker at the next start',
    shows: ['log'],
    action: 'free space under storage.path (doctor\'s disk row)',
  },
  PART_ORDER: {
    area: 'station',
    raisedBy: '`LifecycleError` (gateway/lifecycle/part.ts)',
    meaning: 'the parts of a station cannot be put in a start order: two share a name, one needs a part that does not exist, they need each other in a circle, or a station was started twice',
    shows: ['log'],
    exit: 1,
    action: 'report it with the log: the gateway\'s own wiring is wrong',
  },

  LISTEN_ADDRESS: {
    area: 'ops',
    raisedBy: '`ListenAddressError` (gateway/ops/local-http-server.ts)',
    meaning: '`metrics.listen` or `statusPage.listen` is not `host:port`',
    shows: ['log'],
    exit: 1,
    action: 'fix the key in the station file',
  },
  NOTIFY_SOCKET: {
    area: 'ops',
    raisedBy: '`NotifySocketError` (gateway/ops/notify-socket.ts)',
    meaning: '`$NOTIFY_SOCKET` is not a path or `@name`, or the `socat` child that carries systemd notifications cannot start or exited (logged with this code); without it no watchdog ping arrives and systemd restarts the gateway',
    shows: ['log'],
    action: '`apt install socat`',
  },
  STATUS_PAGE_PASSWORD: {
    area: 'ops',
    raisedBy: '`StatusPagePasswordError` (gateway/ops/status-page/status-page-server.ts)',
    meaning: 'the file in `statusPage.passwordFile` holds fewer than 8 characters on its first line; the gateway does not start rather than serve the page unprotected',
    shows: ['log'],
    exit: 1,
    action: 'write a longer password to the file',
  },
  STATUS_PAGE_LOGIN: {
    area: 'ops',
    raisedBy: 'the status page (gateway/ops/status-page/failed-login-log.ts)',
    meaning: 'failed status-page logins: the first at once, then one summary a minute with counts and the busiest addresses; a throttled address gets 429 with `Retry-After`',
    shows: ['log'],
    action: 'nothing for one; many from one address is someone guessing the password',
  },
  RELOAD_REFUSED: {
    area: 'ops',
    raisedBy: 'reload on SIGHUP (gateway/ops/station-ops.ts, the runtime)',
    meaning: 'the reloaded station file changes keys that only a restart applies (listed in `restartKeys`), or the trusted-keys file no longer validates (its `problems` listed by file and key); nothing was changed and the keys in use stay',
    shows: ['log'],
    action: 'fix the file, or `systemctl restart station-gateway`',
  },

  ENROL_BAD_REQUEST: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (fleet/enrolment/enrolment-service.ts)',
    meaning: 'an enrolment or renewal request is not JSON, lacks a field, has one of the wrong type, or its topic\'s request id differs from the payload\'s; nothing was counted or signed',
    shows: ['command reply', 'log'],
    action: 'a box of another version or a bug: compare the request with [enrolment.md](enrolment.md)',
  },
  ENROL_BAD_CSR: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (`verifyCsr`, gateway/enrolment/csr.ts)',
    meaning: 'the certificate signing request is not a PKCS#10 request, is not for an EC P-256 key, or its self-signature does not verify (no proof that the sender holds the private key); nothing was counted or signed',
    shows: ['command reply', 'log'],
    action: 'run the enrolment again (the box makes a fresh key and request); a repeat from one claim is a broken or forged box',
  },
  ENROL_CLAIM_UNKNOWN: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (fleet/enrolment/enrolment-service.ts)',
    meaning: 'the claim in the request\'s topic is not in the service\'s claims file (the broker let its account in, so the two lists differ)',
    shows: ['command reply', 'log'],
    action: 'add the claim to the claims file, or remove its account from the claim listener\'s password file',
  },
  ENROL_CLAIM_SPENT: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (`ClaimLedger`, fleet/enrolment/claim-ledger.ts)',
    meaning: 'the claim has enrolled as many boxes as its `uses` allow (once, or N); the count is kept in the service\'s state file across restarts',
    shows: ['command reply', 'log'],
    action: 'an operator raises `uses` for a box that really is new (a replaced box), or looks for a cloned claim',
  },
  ENROL_CLAIM_WINDOW: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (fleet/enrolment/enrolment-service.ts)',
    meaning: 'the request came before the claim\'s `from` or after its `until`',
    shows: ['command reply', 'log'],
    action: 'check the box\'s batch and the claim\'s window; widen it if the roll-out is late',
  },
  ENROL_NOT_IN_PLAN: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (fleet/enrolment/enrolment-service.ts)',
    meaning: 'no station of the claim\'s plan has this hardware id or one-time code, or the box asked for another station id than the plan gives it',
    shows: ['command reply', 'log'],
    action: 'add the box\'s hardware id (printed by `station-gateway enrol`) or code to the plan',
  },
  ENROL_CODE_USED: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (`ClaimLedger`, fleet/enrolment/claim-ledger.ts)',
    meaning: 'the one-time code enrolled a box already',
    shows: ['command reply', 'log'],
    action: 'give the box a fresh code in the plan; a code seen twice may have leaked',
  },
  ENROL_SIGN_FAILED: {
    area: 'enrolment',
    raisedBy: 'the fleet CA (`FleetCa`, fleet/enrolment/fleet-ca.ts)',
    meaning: '`openssl` could not sign the certificate (CA files missing or unreadable, a key that does not match the CA certificate, `openssl` not installed); the claim\'s use is counted, since the service cannot tell how far the signing got',
    shows: ['command reply', 'log'],
    action: 'fix the CA files named in the service file (`openssl x509 -noout -in ca.crt` and the key must match), then raise `uses` for the boxes refused meanwhile',
  },
  ENROL_CA: {
    area: 'enrolment',
    raisedBy: '`station-fleet enrol ca init` and the service at start (fleet/enrolment/fleet-ca.ts)',
    meaning: '`ca init` was asked to make a CA where one is already (it never overwrites a CA key), or the CA the service file names is missing or not a CA',
    shows: ['stderr'],
    exit: 2,
    action: 'choose another directory, or name the right CA files',
  },
  ENROL_STATE: {
    area: 'enrolment',
    raisedBy: 'the enrolment service (`ClaimLedger`, fleet/enrolment/claim-ledger.ts)',
    meaning: 'the service\'s state file (the claims\' use counts) is not readable JSON of the expected shape; the service does not start rather than forget how often a claim was used',
    shows: ['stderr'],
    exit: 2,
    action: 'restore the file from a backup; never delete it to make the service start',
  },
  ENROL_EXISTS: {
    area: 'enrolment',
    raisedBy: '`station-gateway enrol` (gateway/enrolment/enrol-box.ts)',
    meaning: 'the station file the claim file names exists already: the box is enrolled, and enrolling again would replace its identity',
    shows: ['stderr'],
    exit: 2,
    action: 'nothing on an enrolled box (`station-gateway run`); to enrol it anew, move its station file and keys away first',
  },
  ENROL_CONNECT: {
    area: 'enrolment',
    raisedBy: '`station-gateway enrol` (gateway/enrolment/enrol-box.ts)',
    meaning: 'the box could not reach the enrolment broker or was refused there (wrong claim password, a CA that did not sign the broker, the claim listener down)',
    shows: ['stderr'],
    exit: 1,
    action: 'check the uplink, the claim\'s secret file and `broker.ca`; the box retries when systemd restarts it',
  },
  ENROL_NO_REPLY: {
    area: 'enrolment',
    raisedBy: '`station-gateway enrol` and the certificate renewal (gateway/enrolment/)',
    meaning: 'no answer to the request within the bound (`replyTimeoutSeconds`): the enrolment service is not running, or the broker\'s ACL does not let the request or the reply through; nothing was written',
    shows: ['stderr', 'log'],
    exit: 1,
    action: 'start `station-fleet enrol serve`; check the ACL lines of [enrolment.md](enrolment.md)',
  },
  ENROL_BAD_REPLY: {
    area: 'enrolment',
    raisedBy: '`station-gateway enrol` and the certificate renewal (gateway/enrolment/)',
    meaning: 'the service\'s answer failed the box\'s checks: a certificate not for the box\'s key, a CN that is not the station id, not signed by the CA sent, already expired, or a station file that `validate` refuses; nothing was written',
    shows: ['stderr', 'log'],
    exit: 1,
    action: 'fix the claim\'s station file template or the CA on the service; the message names the check',
  },
  RENEWAL_FAILED: {
    area: 'enrolment',
    raisedBy: 'the certificate renewal (`CertificateRenewal`, gateway/enrolment/certificate-renewal.ts)',
    meaning: 'a renewal did not get a certificate (no reply, a refusal, a bad answer; `cause` holds that code); the station keeps its certificate and tries again later',
    shows: ['log'],
    action: 'none while days to expiry are many; near expiry, check that the enrolment service runs',
  },
  RENEWAL_ROLLED_BACK: {
    area: 'enrolment',
    raisedBy: 'the certificate renewal (`CertificateRenewal`, gateway/enrolment/certificate-renewal.ts)',
    meaning: 'the station could not connect with its renewed certificate, so it switched back to the old pair, which it had kept for this, and connected with it again',
    shows: ['log'],
    action: 'check that the broker trusts the CA that signed the new certificate (`cafile`)',
  },

  UPDATE_BAD_SIGNATURE: { area: 'update', raisedBy: 'the bundle check (gateway/update/verify-bundle.ts)', meaning: 'the bundle does not verify against the release key: not ours, or changed on the way', shows: ['log'], action: 'nothing on the station: it keeps its version; the fleet checks which bundle it published' },
  UPDATE_BAD_MANIFEST: { area: 'update', raisedBy: 'the bundle check (gateway/update/verify-bundle.ts)', meaning: 'the unpacked bundle has no readable manifest', shows: ['log'], action: 'rebuild the bundle with npm run release' },
  UPDATE_WRONG_ARCH: { area: 'update', raisedBy: 'the bundle check (gateway/update/verify-bundle.ts), the release document check (gateway/update/verify-release-document.ts)', meaning: 'the bundle was built for, or the document names bundles only for, another architecture than the box (its native modules would not load)', shows: ['log'], action: 'publish the bundle for linux-arm64 or linux-armhf as the box needs' },
  UPDATE_WRONG_NODE: { area: 'update', raisedBy: 'the bundle check (gateway/update/verify-bundle.ts)', meaning: 'the bundle was not built for the Node.js major the box runs', shows: ['log'], action: 'build for that Node.js major, or update Node.js on the box first' },
  UPDATE_FILE_MISMATCH: { area: 'update', raisedBy: 'the bundle check (gateway/update/verify-bundle.ts) and unpacking (gateway/update/unpack-bundle.ts: a damaged archive, a link out of the release, a device node)', meaning: 'an unpacked file is missing or differs from its manifest entry (a truncated or damaged unpack)', shows: ['log'], action: 'nothing on the station: it unpacks again or keeps its version' },
  UPDATE_DOCUMENT_MALFORMED: { area: 'update', raisedBy: 'the update agent (gateway/update/verify-release-document.ts)', meaning: 'S/desired/version is not a release document the station can read (not a compact JWS, a wrong header or payload)', shows: ['log', 'update report'], action: 'publish it again with station-fleet update' },
  UPDATE_UNKNOWN_KEY: { area: 'update', raisedBy: 'the update agent (gateway/update/verify-release-document.ts)', meaning: 'the release document is signed by a key that is not one of the station\'s configuration keys', shows: ['log', 'update report'], action: 'sign with the fleet configuration key the station trusts, or add its public key to the station\'s configuration-key file' },
  UPDATE_BAD_DOCUMENT_SIGNATURE: { area: 'update', raisedBy: 'the update agent (gateway/update/verify-release-document.ts)', meaning: 'the release document\'s signature does not verify: forged or changed on the way', shows: ['log', 'update report'], action: 'nothing on the station; find out who wrote S/desired/version' },
  UPDATE_WRONG_STATION: { area: 'update', raisedBy: 'the update agent (gateway/update/verify-release-document.ts)', meaning: 'the release document is for another station', shows: ['log', 'update report'], action: 'publish each station its own document (station-fleet update does)' },
  UPDATE_REVISION_NOT_NEWER: { area: 'update', raisedBy: 'the update agent (gateway/update/verify-release-document.ts)', meaning: 'the release document\'s revision is not newer than the last one the station took: an old document replayed', shows: ['log', 'update report'], action: 'publish a new document (station-fleet update numbers them)' },
  UPDATE_DOWNLOAD_FAILED: { area: 'update', raisedBy: 'the bundle download (gateway/update/download-bundle.ts)', meaning: 'the bundle could not be downloaded: the server refused, the TLS certificate did not verify, or the connection broke and the retries ran out', shows: ['log', 'update report'], action: 'check the URL and the server; the station keeps its version and tries again when the document is published again or at its next start' },
  UPDATE_DOWNLOAD_STALLED: { area: 'update', raisedBy: 'the bundle download (gateway/update/download-bundle.ts)', meaning: 'no byte of the bundle arrived for too long', shows: ['log', 'update report'], action: 'nothing: the download resumes where it stopped' },
  UPDATE_TOO_LARGE: { area: 'update', raisedBy: 'the bundle download (gateway/update/download-bundle.ts)', meaning: 'the bundle is larger than the document says or than the station allows (update.maxBundleBytes): an endless or wrong download, cut off', shows: ['log', 'update report'], action: 'check the bundle on the server against the document' },
  UPDATE_BAD_HASH: { area: 'update', raisedBy: 'the bundle download (gateway/update/download-bundle.ts)', meaning: 'the downloaded bundle\'s SHA-256 is not the one the document names (truncated or changed); the partial file is deleted', shows: ['log', 'update report'], action: 'check the bundle on the server against the document' },
  UPDATE_DISK_FULL: { area: 'update', raisedBy: 'the bundle download (gateway/update/download-bundle.ts) and unpacking (gateway/update/unpack-bundle.ts)', meaning: 'not enough free space to download or unpack the bundle; what was written of it is removed', shows: ['log', 'update report'], action: 'free space on the box (journal, old logs) or publish a smaller bundle' },
  UPDATE_SELF_CHECK_FAILED: { area: 'update', raisedBy: 'the update agent (gateway/update/update-agent.ts)', meaning: 'the new version\'s self-check refused the station file or did not start; the station keeps its version', shows: ['log', 'update report'], action: 'read `problems`: the new version needs a station file change first' },
  UPDATE_GATE_FAILED: { area: 'update', raisedBy: 'the update agent (gateway/update/update-agent.ts), the launcher (gateway/update/launcher/)', meaning: 'the new version did not pass its health gate in time, crashed on trial, or did not commit within its time; the launcher went back to the previous version', shows: ['log', 'update report'], action: 'read `problems`; fix the release before publishing it again' },
  UPDATE_BUSY: { area: 'update', raisedBy: 'the update agent (gateway/update/update-agent.ts)', meaning: 'the update waits while a battery swap or a water session is in progress, and goes on when it ends (reported `deferred`)', shows: ['update report'], action: 'nothing' },
  UPDATE_NOT_MANAGED: { area: 'update', raisedBy: 'the update agent (gateway/update/update-agent.ts)', meaning: 'the gateway was not started by the launcher (no release layout), so it cannot switch versions', shows: ['log', 'update report'], action: 'install with deploy/install.sh, which runs the gateway under the launcher' },
  UPDATE_LAYOUT_REFUSED: { area: 'update', raisedBy: 'the release layout (gateway/update/launcher/release-layout.ts)', meaning: 'the release layout refused a step its state does not allow (a trial while one is on, a commit with `current` elsewhere, an incomplete release, a version that is not one) or its state file is damaged (the launcher sets a damaged one aside and adopts `current`)', shows: ['log', 'update report'], action: 'read the log; `station-gateway doctor` shows the release check; the launcher repairs the layout at its next start' },
  UPDATE_INSTALL_FAILED: { area: 'update', raisedBy: 'the update agent (gateway/update/update-agent.ts)', meaning: 'an update stopped on an error none of the other codes names (a disk or file-system error while installing); the station keeps its version', shows: ['log', 'update report'], action: 'read the log on the station (station-fleet logs), then publish the document again' },

  USAGE: {
    area: 'cli',
    raisedBy: '`UsageError` (config/usage-error.ts)',
    meaning:
      'a command line is wrong: an unknown option or command, a required option missing, a value that cannot be read (`--limit`, `--since`, `--port`, `--stations`, ...). Every tool says it as `<tool>: <what is wrong>` on stderr (followed by its usage text for an unknown option or command)',
    shows: ['stderr'],
    exit: 2,
    action: 'fix the command line; `--help` prints the usage',
  },

  SIM_UNSUPPORTED: {
    area: 'simulator',
    raisedBy: '`UnsimulatedDeviceError` (simulators/simulator-set.ts)',
    meaning: '`station-sim` cannot simulate a device the config names (or a device id is used twice)',
    shows: ['stderr'],
    action: 'simulate the other devices, or fix the config',
  },
  SIM_SOCAT_MISSING: {
    area: 'simulator',
    raisedBy: '`SocatMissingError` (simulators/line/pty-pair.ts)',
    meaning: 'a simulated serial device on a pty was asked for and `socat` is not on `PATH`. The demo does not need it (its line devices are on TCP, `serial-tcp`); the tests and benches on ptys do',
    shows: ['stderr'],
    action: '`apt-get install socat`',
  },
  SIM_COMMAND: {
    area: 'simulator',
    raisedBy: '`SimCommandError` (simulators/control/sim-command-error.ts)',
    meaning:
      'a simulator control command (stdin, the control API, a scenario step) is not understood or cannot be done now; the message says why. On the control API: HTTP 404 for an unknown device or path, 403 for a foreign `Origin` or `Host`, 415 for a POST that is not `application/json`, 400 for the rest',
    shows: ['control API', 'stderr'],
    action: 'fix the command; `help` lists them',
  },
  SIM_SCENARIO: {
    area: 'simulator',
    raisedBy: '`ScenarioError` (simulators/scenario/scenario.ts)',
    meaning: 'a scenario file is not a list of `{at, do}` steps, or a step\'s time or command is wrong; the message names the step',
    shows: ['stderr'],
    action: 'fix the step named',
  },
  SIM_PROFILE: {
    area: 'simulator',
    raisedBy: '`SimProfileError` (simulators/modbus/role-view.ts)',
    meaning: '`station-sim ... --profile FILE` was given a profile the simulator cannot play (no vendor value for a state it must report, such as `empty` or `ready`)',
    shows: ['stderr'],
    exit: 2,
    action: 'give the profile the values the message names',
  },

  NOT_CONNECTED: {
    area: 'console',
    raisedBy: '`LocalFailure` (console/src/operator/command-channel.ts)',
    meaning: 'an action was asked while the console\'s link to the broker was down; nothing was sent',
    shows: ['console'],
    action: 'wait for the link (the page says why it is down), then ask again',
  },
  NO_PASS: {
    area: 'console',
    raisedBy: '`LocalFailure` (console/src/operator/code-signer.ts)',
    meaning: 'the console holds no valid operator pass for this station, so it cannot sign the action',
    shows: ['console'],
    action: 'have the fleet issue an operator pass for this browser\'s key (the operator panel shows the command) and open its link',
  },
  SIGN_FAILED: {
    area: 'console',
    raisedBy: '`LocalFailure` (console/src/operator/code-signer.ts)',
    meaning: 'the browser could not sign with the operator key (WebCrypto refused, or the key store in IndexedDB is gone, e.g. site data cleared)',
    shows: ['console'],
    action: 'reload the page; if the key is gone, a new one is made and needs a new pass',
  },
  BAD_REPLY: {
    area: 'console',
    raisedBy: '`LocalFailure` (console/src/operator/command-channel.ts, console/src/history/log-pager.ts)',
    meaning: 'a reply arrived that the console cannot read (not the contract\'s shape): a station of another version, or something else publishing on the reply topic',
    shows: ['console'],
    action: 'check the station\'s version (`S/update`) and the broker ACL of the reply topics',
  },
} as const satisfies Record<string, ErrorCodeEntry>;

type Catalogue = typeof ERROR_CATALOGUE;
export type ErrorCode = keyof Catalogue;
/** The codes of one area: `ErrorCodeIn<'device'>` is what a `DeviceError` may carry. */
export type ErrorCodeIn<A extends ErrorArea> = { [C in ErrorCode]: Catalogue[C]['area'] extends A ? C : never }[ErrorCode];

/** The codes of one area, in the catalogue's order. */
export function errorCodesIn<A extends ErrorArea>(area: A): ErrorCodeIn<A>[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => ERROR_CATALOGUE[c].area === area) as ErrorCodeIn<A>[];
}

/** The catalogue entry of a code, if it has one. */
export function errorEntry(code: string): ErrorCodeEntry | undefined {
  return Object.hasOwn(ERROR_CATALOGUE, code) ? (ERROR_CATALOGUE as Record<string, ErrorCodeEntry>)[code] : undefined;
}
