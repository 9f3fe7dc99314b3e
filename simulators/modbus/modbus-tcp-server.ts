import { createServer, type Server, type Socket } from 'node:net';
import { encodeMbapFrame, splitMbapFrames } from './mbap-frame.js';
import { ExceptionCode, exceptionPdu } from './modbus-exception.js';
import { handlePdu } from './pdu-handler.js';
import type { RegisterBank } from './register-bank.js';
import { encodeRtuFrame } from './rtu-frame.js';
import { splitRtuRequests } from './rtu-request-splitter.js';

/**
 * 'mbap': Modbus TCP. 'rtu': raw RTU frames over TCP, what an RS-485-to-Ethernet converter passes
 * through from a serial slave (a master reaches it with modbus-serial's connectTelnet).
 */
export type ModbusFraming = 'mbap' | 'rtu';

export interface ModbusTcpServerOptions {
  host?: string;
  /** 0 picks a free port; read the chosen one from the result. */
  port: number;
  units: ReadonlyMap<number, RegisterBank>;
  framing: ModbusFraming;
  /**
   * rtu only: a partial frame older than this is discarded, as a serial slave drops a frame cut
   * short by 3.5 characters of silence, so one lost byte never desynchronises the stream for good.
   */
  rtuSilenceMs?: number;
}

export interface ModbusTcpServer {
  readonly port: number;
  stop(): Promise<void>;
}

const BROADCAST = 0;
const WRITE_FUNCTIONS = new Set([5, 6, 15, 16]);

export async function startModbusTcpServer(options: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    // A master that resets its connection is routine for a device; never let it crash the simulator.
    socket.on('error', () => socket.destroy());
    const stopConnection =
      options.framing === 'mbap' ? serveMbap(socket, options.units) : serveRtu(socket, options.units, options.rtuSilenceMs ?? 100);
    socket.on('close', () => {
      stopConnection();
      sockets.delete(socket);
    });
  });
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Modbus Messaging on TCP/IP v1.0b: requests are answered in order, with the request's MBAP header. */
function serveMbap(socket: Socket, units: ReadonlyMap<number, RegisterBank>): () => void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const split = splitMbapFrames(pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk);
    pending = split.rest;
    for (const frame of split.frames) {
      const bank = units.get(frame.unitId);
      // §4.4.1: a gateway whose target unit does not answer reports exception 0x0B.
      const pdu = bank ? handlePdu(bank, frame.pdu) : exceptionPdu(frame.pdu[0] ?? 0, ExceptionCode.gatewayTargetFailedToRespond);
      socket.write(encodeMbapFrame({ transactionId: frame.transactionId, unitId: frame.unitId, pdu }));
    }
    // A stream that is not Modbus TCP cannot be resynchronised: devices close the connection.
    if (split.error) socket.destroy();
  });
  return () => undefined;
}

/**
 * Serial-line slave behaviour (Modbus over Serial Line v1.02 §2.4.1): a frame with a bad CRC, or
 * for another unit, gets no answer; a broadcast (unit 0) write is done by every unit, answered by none.
 */
function serveRtu(socket: Socket, units: ReadonlyMap<number, RegisterBank>, silenceMs: number): () => void {
  let pending: Buffer = Buffer.alloc(0);
  let silence: NodeJS.Timeout | undefined;
  const clearSilence = (): void => {
    if (silence) clearTimeout(silence);
    silence = undefined;
  };
  socket.on('data', (chunk: Buffer) => {
    clearSilence();
    const split = splitRtuRequests(pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk);
    pending = split.rest;
    for (const request of split.requests) answerRtu(socket, units, request.unitId, request.pdu);
    if (pending.length > 0) {
      silence = setTimeout(() => {
        pending = Buffer.alloc(0);
      }, silenceMs);
    }
  });
  return clearSilence;
}

function answerRtu(socket: Socket, units: ReadonlyMap<number, RegisterBank>, unitId: number, pdu: Buffer): void {
  if (unitId === BROADCAST) {
    if (WRITE_FUNCTIONS.has(pdu[0] ?? 0)) for (const bank of units.values()) handlePdu(bank, pdu);
    return;
  }
  const bank = units.get(unitId);
  if (bank) socket.write(encodeRtuFrame(unitId, handlePdu(bank, pdu)));
}
