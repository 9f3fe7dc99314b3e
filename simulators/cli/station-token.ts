#!/usr/bin/env node
import mqtt from 'mqtt';
import { LOG_FILTER_OPTIONS } from '../../config/log-filter-options.js';
import { ulid } from 'ulid';
import { isRecord } from '../../config/is-record.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { issueToken, readIssuerKey, writeIssuerKeyFiles } from '../cloud/token-issuer.js';

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

Options for issue/send:
  --sub ID          the worker (pseudonymous; default bench-worker)
  --role ROLE       worker (default) or operator
  --ttl SECONDS     token lifetime (default 120)
  --prefix P        topic prefix (default stations)
  --slot N --enabled true|false   for act operate (cmd/slot)
  --cmd logs|doctor for act diagnose (default doctor); --res defaults to the station id, --role to operator
  --since T --until T --type T --device ID --sessions --limit N   cmd logs filters (times ISO-8601)

ACT is unlock, swap, dispense, operate or diagnose.`;

const COMMAND_FOR = { unlock: 'unlock', swap: 'swap', dispense: 'dispense', operate: 'slot', diagnose: 'doctor' } as const;

async function main(argv: string[]): Promise<number> {
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
