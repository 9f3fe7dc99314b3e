#!/usr/bin/env node
import mqtt from 'mqtt';
import { LOG_FILTER_OPTIONS } from '../../config/log-filter-options.js';
import { ulid } from 'ulid';
import { isRecord } from '../../config/is-record.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { issueToken, readIssuerKey, writeIssuerKeyFiles } from '../cloud/token-issuer.js';
import { codeCommand } from './station-token-code.js';
import { phoneKeyCommand, passCommand } from './station-token-pass.js';

const USAGE = `Usage: station-token <command> [options]

The cloud's side of access tokens, for benches, demos and tests (never on a station).

Commands:
  keys --out DIR [--kid ID]         make a signing key: DIR/issuer.private.jwk.json (keep it off stations)
                                    and DIR/trusted-keys.jwks.json (the station's access.trustedKeys)
  issue --key FILE --station ID --res NAME --act ACT [options]
                                    print a signed token, as the phone app would show it
  send  --key FILE --station ID --res NAME --act ACT --broker URL [options]
                                    issue a token and send it as the cloud command (MQTT 3.1.1 form), print the reply;
                                    exit 0 when the reply is ok, 1 when it is a refusal or none came
  phone-key --out FILE              make a bench phone's key pair: FILE is its private JWK (mode 0600);
                                    prints the public key (base64url) for pass --phone-key
  pass --key FILE --phone-key KEY|FILE --sub ID (--station ID ... | --group G ...) --grant ACT[:RES] ...
                                    print a worker pass (base64url of its COSE_Sign1); a summary on stderr
  code --pass PASS|FILE --phone FILE --res NAME --act ACT
                                    print the rolling code (RC1:...) the phone would show now;
                                    its QR version and size on stderr

Options for issue/send:
  --sub ID          the worker (pseudonymous; default bench-worker)
  --role ROLE       worker (default) or operator
  --ttl SECONDS     token lifetime (default 120)
  --prefix P        topic prefix (default stations)
  --slot N --enabled true|false   for act operate (cmd/slot)
  --cmd logs|doctor for act diagnose (default doctor); --res defaults to the station id, --role to operator
  --since T --until T --type T --device ID --sessions --limit N   cmd logs filters (times ISO-8601)

Options for pass (docs/passes.md):
  --role ROLE       worker (default) or operator
  --station ID      a station it opens (repeat for more); --group G a station group (repeat)
  --grant ACT[:RES] what it opens (repeat); no RES (or *) for any resource that does ACT
  --hours H         validity (default 12, at most 168)
  --out FILE        write the pass to FILE instead of stdout

Options for code:
  --station-code CODE   the station id or door code the phone signs for (default: none, "")
  --at ISO              the code for the step this time falls in (default now)
  --qr FILE             also write the QR code as a PNG (level M)
  --qr-terminal         also print the QR code in UTF-8 blocks
  --watch               a new code every 5 s step until Ctrl-C (with --qr, the PNG is rewritten)

ACT is unlock, swap, dispense, operate or diagnose.`;

/** Each pass command has its own options: parsing them apart keeps `issue`'s --station single. */
const PASS_COMMANDS = {
  'phone-key': { out: { type: 'string' } },
  pass: {
    key: { type: 'string' },
    'phone-key': { type: 'string' },
    sub: { type: 'string' },
    role: { type: 'string' },
    station: { type: 'string', multiple: true },
    group: { type: 'string', multiple: true },
    grant: { type: 'string', multiple: true },
    hours: { type: 'string' },
    out: { type: 'string' },
  },
  code: {
    pass: { type: 'string' },
    phone: { type: 'string' },
    res: { type: 'string' },
    act: { type: 'string' },
    'station-code': { type: 'string' },
    at: { type: 'string' },
    qr: { type: 'string' },
    'qr-terminal': { type: 'boolean' },
    watch: { type: 'boolean' },
  },
} as const;

async function passCommands(command: keyof typeof PASS_COMMANDS, args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'phone-key') {
    const { values } = parseCommandLine({ args, options: PASS_COMMANDS['phone-key'] });
    return phoneKeyCommand(values.out);
  }
  if (command === 'pass') {
    const { values: v } = parseCommandLine({ args, options: PASS_COMMANDS.pass });
    return passCommand({ key: v.key, phoneKey: v['phone-key'], sub: v.sub, role: v.role, station: v.station, group: v.group, grant: v.grant, hours: v.hours, out: v.out });
  }
  const { values: v } = parseCommandLine({ args, options: PASS_COMMANDS.code });
  return codeCommand({ pass: v.pass, phone: v.phone, res: v.res, act: v.act, stationCode: v['station-code'], at: v.at, qr: v.qr, qrTerminal: v['qr-terminal'], watch: v.watch });
}

const COMMAND_FOR = { unlock: 'unlock', swap: 'swap', dispense: 'dispense', operate: 'slot', diagnose: 'doctor' } as const;

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(PASS_COMMANDS, first)) return passCommands(first as keyof typeof PASS_COMMANDS, argv.slice(1));
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      kid: { type: 'string' },
      key: { type: 'string' },
      station: { type: 'string' },
      res: { type: 'string' },
      act: { type: 'string' },
      sub: { type: 'string' },
      role: { type: 'string' },
      ttl: { type: 'string' },
      broker: { type: 'string' },
      prefix: { type: 'string' },
      slot: { type: 'string' },
      enabled: { type: 'string' },
      cmd: { type: 'string' },
      ...LOG_FILTER_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'keys') {
    if (!values.out) return usage('keys needs --out DIR');
    const files = await writeIssuerKeyFiles(values.out, values.kid ?? `bench-${ulid().slice(-8).toLowerCase()}`);
    process.stdout.write(`${files.trustedKeysFile} (kid ${files.kid})\n`);
    return 0;
  }
  if (command !== 'issue' && command !== 'send') return usage(`unknown command "${command}"`);
  const { key: keyFile, station, act } = values;
  // A diagnose token names the station itself (docs/diagnostics.md).
  const res = values.res ?? (act === 'diagnose' ? station : undefined);
  if (!keyFile || !station || !res || !act) return usage(`${command} needs --key, --station, --res and --act`);
  if (!(act in COMMAND_FOR)) return usage(`--act must be unlock, swap, dispense, operate or diagnose, not "${act}"`);
  if (values.cmd !== undefined && (act !== 'diagnose' || (values.cmd !== 'logs' && values.cmd !== 'doctor'))) return usage('--cmd is logs or doctor, with --act diagnose');
  if (values.role !== undefined && values.role !== 'worker' && values.role !== 'operator') return usage('--role must be worker or operator');
  const ttlSeconds = integerOption(values.ttl, 'ttl', 1) ?? 120;
  const slot = integerOption(values.slot, 'slot', 1) ?? 1;
  const key = await readIssuerKey(keyFile);
  const token = await issueToken(key, {
    station,
    res,
    act: act as keyof typeof COMMAND_FOR,
    sub: values.sub ?? 'bench-worker',
    role: values.role ?? (act === 'diagnose' ? 'operator' : undefined),
    ttlSeconds,
  });
  if (command === 'issue') {
    process.stdout.write(`${token}\n`);
    return 0;
  }
  if (!values.broker) return usage('send needs --broker URL');
  const prefix = values.prefix ?? 'stations';
  const replyTo = `bench/replies/${ulid()}`;
  const client = await mqtt.connectAsync(values.broker, { protocolVersion: 4, clientId: `station-token-${process.pid}`, connectTimeout: 5000 });
  try {
    await client.subscribeAsync(replyTo, { qos: 1 });
    const correlationId = ulid();
    const reply = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 15 s (is the gateway running and online?)')), 15_000);
      client.on('message', (_t, payload) => {
        const text = payload.toString('utf8');
        if (replyCorrelation(text) !== correlationId) return;
        clearTimeout(timer);
        resolve(text);
      });
    });
    const body: Record<string, unknown> = { token, replyTo, correlationId };
    if (act === 'operate') Object.assign(body, { device: res, slot, enabled: values.enabled !== 'false' });
    const name = act === 'diagnose' ? (values.cmd ?? 'doctor') : COMMAND_FOR[act as keyof typeof COMMAND_FOR];
    if (name === 'logs') {
      const limit = integerOption(values.limit, 'limit', 1);
      for (const [k, v] of Object.entries({ since: values.since, until: values.until, type: values.type, device: values.device, sessions: values.sessions, limit })) if (v !== undefined) body[k] = v;
    }
    await client.publishAsync(`${prefix}/${station}/cmd/${name}`, JSON.stringify(body), { qos: 1 });
    const text = await reply;
    process.stdout.write(`${text}\n`);
    // A script that sends a command must be able to tell a refusal from a success by the exit code.
    return replyOk(text) ? 0 : 1;
  } finally {
    await client.endAsync();
  }
}

function parseReply(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function replyCorrelation(text: string): unknown {
  return parseReply(text)?.['correlationId'];
}

function replyOk(text: string): boolean {
  return parseReply(text)?.['ok'] === true;
}

function usage(message: string): number {
  return writeUsageError('station-token', message, USAGE);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.exitCode = usage(err.message);
      return;
    }
    process.stderr.write(`station-token: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
