import type { TransportFaults } from '../faults/transport-faults.js';
import type { BusScheduler } from '../bus/bus-scheduler.js';
import type { RegisterBank } from './register-bank.js';
import { decodeRtuFrame, encodeRtuFrame } from './rtu-frame.js';
import { splitRtuRequests } from './rtu-request-splitter.js';
import type { Random } from './seeded-random.js';
import { answerRequest, damageFrame } from './unit-response.js';

export interface RtuSlaveCounters {
  requests: number;
  /** Bytes dropped because no good CRC covered them. */
  droppedBytes: number;
  answers: number;
}

export interface RtuSlaveSessionOptions {
  units: ReadonlyMap<number, RegisterBank>;
  faults?: ReadonlyMap<number, TransportFaults> | undefined;
  scheduler: BusScheduler;
  /** A partial frame older than this is dropped, unless its CRC holds (a function we cannot size). */
  silenceMs: number;
  random: Random;
  counters?: RtuSlaveCounters;
}

const BROADCAST = 0;
/** Unit id and CRC around the PDU. */
const RTU_FRAMING_BYTES = 3;
const WRITE_FUNCTIONS = new Set([5, 6, 15, 16]);

/**
 * The slaves on one RTU byte stream (Modbus over Serial Line v1.02 §2.4.1). Frames end at the
 * length their function code implies, or at a silence; a frame whose CRC fails, or for a unit not
 * on this bus, gets no answer; a broadcast write is done by every unit and answered by none. The
 * CRC is checked here, never by a library (modbus-serial's ServerSerial accepts bad CRCs).
 */
export class RtuSlaveSession {
  readonly counters: RtuSlaveCounters;
  private pending: Buffer = Buffer.alloc(0);
  private silence: NodeJS.Timeout | undefined;

  constructor(private readonly options: RtuSlaveSessionOptions) {
    this.counters = options.counters ?? { requests: 0, droppedBytes: 0, answers: 0 };
  }

  receive(chunk: Buffer): void {
    const split = splitRtuRequests(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk);
    this.pending = split.rest;
    this.counters.droppedBytes += split.dropped;
    for (const request of split.requests) this.answer(request.unitId, request.pdu);
    // Runs per chunk (a byte or two at a time off a real line): restart an armed timer in place.
    if (this.pending.length === 0) this.clearSilence();
    else if (this.silence) this.silence.refresh();
    else this.silence = setTimeout(() => this.onSilence(), this.options.silenceMs);
  }

  dispose(): void {
    this.clearSilence();
    this.pending = Buffer.alloc(0);
  }

  private onSilence(): void {
    this.silence = undefined;
    const decoded = decodeRtuFrame(this.pending);
    if (decoded.ok) this.answer(decoded.unitId, decoded.pdu);
    else this.counters.droppedBytes += this.pending.length;
    this.pending = Buffer.alloc(0);
  }

  private clearSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = undefined;
  }

  private answer(unitId: number, pdu: Buffer): void {
    const { units, faults, scheduler } = this.options;
    this.counters.requests++;
    // Every request held the line, answered or not (broadcast, another unit, a silent slave).
    const heardAt = scheduler.hear(pdu.length + RTU_FRAMING_BYTES);
    if (unitId === BROADCAST) {
      if (WRITE_FUNCTIONS.has(pdu[0] ?? 0)) for (const [id, bank] of units) answerRequest(bank, pdu, faults?.get(id));
      return;
    }
    const bank = units.get(unitId);
    if (!bank) return;
    const answer = answerRequest(bank, pdu, faults?.get(unitId));
    if (!answer) return;
    let frame = encodeRtuFrame(unitId, answer.pdu);
    if (answer.damage.corrupt) frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
    frame = damageFrame(frame, answer.damage, this.options.random);
    // From the request's last byte; the scheduler adds the t3.5 of silence before the answer.
    const think = scheduler.timing?.responseDelayMs ?? 0;
    this.counters.answers++;
    scheduler.send(frame, think + answer.delayMs, heardAt);
  }
}
