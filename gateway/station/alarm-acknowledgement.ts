import type { Logger } from 'pino';
import type { ActiveAlarm, AlarmAcknowledgement } from '../../cloud-bridge/contract-schemas.js';
import { AccessDenied } from '../access/access-error.js';
import type { AccessEffects } from '../access/access-service.js';
import type { AccessClaims } from '../access/token-verifier.js';
import { StoreFullError } from '../store/store-errors.js';
import type { StationAlarms } from './station-alarms.js';

/** What `cmd/ack` names, as its schema parsed it (cloud-bridge/contract-schemas.ts). */
interface AckRequest {
  alarm: string;
  device: string | undefined;
  note: string | undefined;
}

/** The reply's `result`: the alarm as the request named it, and the acknowledgement that stands. */
export interface AcknowledgementResult extends Record<string, unknown> {
  alarm: string;
  device?: string;
  acknowledged: AlarmAcknowledgement;
}

/**
 * `cmd/ack` once the access decision granted it (an operator's `operate` on the station itself):
 * an operator takes on an active alarm. The station's alarms keep it; this only names the alarm
 * from the request, refuses one that is not active (NOT_ACTIVE, checked before the code is spent
 * and again when carried out, as the alarm may clear in between) and shapes the reply.
 */
export class AlarmAckEffect implements NonNullable<AccessEffects['acknowledge']> {
  constructor(
    private readonly alarms: StationAlarms,
    private readonly log: Logger,
  ) {}

  check(request: Record<string, unknown>): void {
    const { alarm, device } = readRequest(request);
    if (!this.find(alarm, device)) throw notActive(alarm, device, this.alarms.active());
  }

  async run(claims: AccessClaims, request: Record<string, unknown>): Promise<AcknowledgementResult> {
    const { alarm, device, note } = readRequest(request);
    let stands: ActiveAlarm | undefined;
    try {
      stands = this.alarms.acknowledge(alarm, device, claims.sub, note);
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
      this.log.error({ alarm, device, code: 'STORE_FULL' }, 'alarm acknowledgement not recorded: disk full');
      throw new AccessDenied('INTERNAL', 'the station cannot record the acknowledgement (disk full); try again later');
    }
    if (!stands?.acknowledged) throw notActive(alarm, device, this.alarms.active());
    return { alarm, ...(device !== undefined ? { device } : {}), acknowledged: stands.acknowledged };
  }

  private find(alarm: string, device: string | undefined): ActiveAlarm | undefined {
    return this.alarms.active().find((a) => a.alarm === alarm && a.device === device);
  }
}

function readRequest(request: Record<string, unknown>): AckRequest {
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const alarm = text(request['alarm']);
  // The command's schema requires it; a caller that skipped the schema gets a refusal, not an ack of "".
  if (alarm === undefined) throw new AccessDenied('BAD_REQUEST', 'alarm: required');
  return { alarm, device: text(request['device']), note: text(request['note']) };
}

function notActive(alarm: string, device: string | undefined, active: readonly ActiveAlarm[]): AccessDenied {
  const named = device === undefined ? alarm : `${alarm} on ${device}`;
  // The likeliest slip: the alarm is up on a device the request did not name (or named wrongly).
  const elsewhere = active.filter((a) => a.alarm === alarm).map((a) => a.device ?? '(no device)');
  const hint = elsewhere.length > 0 ? `; it is active on ${elsewhere.slice(0, 5).join(', ')}` : '';
  return new AccessDenied('NOT_ACTIVE', `${named} is not active now${hint}; nothing was recorded`);
}
