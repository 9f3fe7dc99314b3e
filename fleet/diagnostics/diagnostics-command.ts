import { LOG_FILTER_OPTIONS } from '../../config/log-filter-options.js';
import { csvField } from '../../gateway/cli/log-command.js';
import { renderTable, type CheckResult } from '../../gateway/ops/doctor/doctor-result.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { issueToken, readIssuerKey } from '../../simulators/cloud/token-issuer.js';
import { connectOperator, disconnect, OPERATOR_BROKER_OPTIONS, operatorBroker, type OperatorBroker } from '../config/operator-connection.js';
import { requestStation, type StationReply } from './station-request.js';

export const LOGS_HELP = `Usage: station-fleet logs --station ID --key operator.private.jwk.json --broker URL [filters] [--csv]
       station-fleet doctor --station ID --key operator.private.jwk.json --broker URL

  logs     a station's usage log for a period, fetched from the station itself (cmd/logs), every
           page of it: --since WHEN --until WHEN (ISO-8601), --type TYPES, --device ID, --sessions,
           --limit N; one JSON object a line, or --csv (id,ts,type,device,delivered_at,data)
  doctor   the checks that are safe on a running station (cmd/doctor): devices and their buses as
           the station keeps them, clock, disk, database, certificate, SD-card wear

  Both sign an operator's diagnose token with --key (an access-token issuer key the station trusts;
  the request and its outcome are in the station's usage log as diagnostics.requested).
        --kid ID             the key id, if the key file has none
        --sub NAME           who asks (default the user running this)
        --timeout S          seconds to wait for each answer (default 20)
        --prefix P --mqtt 4|5 --username U --password-file FILE --ca FILE --cert FILE --cert-key FILE`;

const OPTIONS = {
  station: { type: 'string' },
  key: { type: 'string' },
  sub: { type: 'string' },
  ...LOG_FILTER_OPTIONS,
  csv: { type: 'boolean' },
  timeout: { type: 'string' },
  ...OPERATOR_BROKER_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

const write = (line: string): void => void process.stdout.write(`${line}\n`);

/** `station-fleet logs|doctor ...`; resolves with the exit code (0, 1 refused or failed, 2 usage). */
export async function runDiagnosticsCommand(verb: 'logs' | 'doctor', argv: string[]): Promise<number> {
  let values;
  let broker: OperatorBroker;
  try {
    values = parseCommandLine({ args: argv, options: OPTIONS }).values;
    if (values.help) {
      write(LOGS_HELP);
      return 0;
    }
    if (!values.station || !/^[a-z0-9-]{1,64}$/.test(values.station)) throw new UsageError('--station ID is required (1 to 64 of a-z, 0-9, -)');
    if (!values.key) throw new UsageError('--key FILE (an issuer key the station trusts) is required');
    broker = operatorBroker(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError(`station-fleet ${verb}`, err.message, LOGS_HELP);
  }
  const station = values.station;
  const timeoutMs = (integerOption(values.timeout, 'timeout', 1, 600) ?? 20) * 1000;
  const key = await readIssuerKey(values.key);
  // Not spent on use: one token serves every page of one run (docs/diagnostics.md).
  const token = await issueToken(key, { station, res: station, act: 'diagnose', role: 'operator', sub: values.sub ?? process.env['USER'] ?? 'operator', ttlSeconds: 300 });
  const client = await connectOperator(broker);
  try {
    const ask = (command: string, body: Record<string, unknown>): Promise<StationReply> => requestStation(client, { prefix: values.prefix ?? 'stations', station, command, body: { token, ...body }, timeoutMs });
    if (verb === 'doctor') return printDoctor(await ask('doctor', {}));
    const filters: Record<string, unknown> = {};
    for (const name of ['since', 'until', 'type', 'device'] as const) if (values[name] !== undefined) filters[name] = values[name];
    if (values.sessions) filters['sessions'] = true;
    const limit = integerOption(values.limit, 'limit', 1);
    if (limit !== undefined) filters['limit'] = limit;
    if (values.csv) write(values.sessions ? 'id,kind,device,started_at,ended_at,outcome,subject,data' : 'id,ts,type,device,delivered_at,data');
    let cursor: string | undefined;
    let rows = 0;
    do {
      const reply = await ask('logs', cursor === undefined ? filters : { ...filters, cursor });
      if (!reply.ok) return refused(reply);
      const result = reply.result as { rows: Array<Record<string, unknown>>; next?: string };
      for (const row of result.rows) write(values.csv ? csvRow(row, values.sessions === true) : JSON.stringify(row));
      rows += result.rows.length;
      cursor = result.next;
    } while (cursor !== undefined);
    process.stderr.write(`${rows} rows from ${station}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return writeUsageError(`station-fleet ${verb}`, err.message, LOGS_HELP);
    process.stderr.write(`station-fleet ${verb}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await disconnect(client);
  }
}

function refused(reply: StationReply): number {
  process.stderr.write(`refused: ${reply.error?.code ?? '?'}: ${reply.error?.message ?? ''}\n`);
  return 1;
}

function printDoctor(reply: StationReply): number {
  if (!reply.ok) return refused(reply);
  const result = reply.result as { station: string; ts: string; ok: boolean; checks: CheckResult[] };
  write(`${result.station} at ${result.ts}`);
  write(renderTable(result.checks));
  return result.ok ? 0 : 1;
}

function csvRow(row: Record<string, unknown>, sessions: boolean): string {
  const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  const fields = sessions
    ? [row['id'], row['kind'], row['device'], row['startedAt'], row['endedAt'], row['outcome'], row['subject'], JSON.stringify(row['data'])]
    : [row['id'], row['ts'], row['type'], row['device'], row['deliveredAt'], JSON.stringify(row['data'])];
  return fields.map((f) => csvField(s(f))).join(',');
}
