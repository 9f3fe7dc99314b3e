import { createServer, type Server, type Socket } from 'node:net';
import { BusScheduler } from '../bus/bus-scheduler.js';
import { rtuWire, type LineTiming } from '../bus/line-timing.js';
import type { TransportFaults } from '../faults/transport-faults.js';
import { encodeMbapFrame, splitMbapFrames } from './mbap-frame.js';
import { ExceptionCode, exceptionPdu } from './modbus-exception.js';
import type { RegisterBank } from './register-bank.js';
import { RtuSlaveSession, type RtuSlaveCounters } from './rtu-slave-session.js';
import { mulberry32, type Random } from './seeded-random.js';
import { answerRequest, damageFrame } from './unit-response.js';
import { listen } from '../../config/listen.js';

/**
 * 'mbap': Modbus TCP. 'rtu': raw RTU frames over TCP, what an RS-485-to-Ethernet converter passes
 * through from a serial slave (a master reaches it with modbus-serial's connectTelnet).
 */
export type ModbusFraming = 'mbap' | 'rtu';

export interface ModbusTcpServerOptions {
  host?: string | undefined;
  /** 0 picks a free port; read the chosen one from the result. */
  port: number;
  units: ReadonlyMap<number, RegisterBank>;
  framing: ModbusFraming;
  /** Live fault settings per unit; the control channel mutates them while the server runs. */
  faults?: ReadonlyMap<number, TransportFaults>;
  /**
   * rtu only: a partial frame older than this is discarded, as a serial slave drops a frame cut
   * short by 3.5 characters of silence, so one lost byte never desynchronises the stream for good.
   */
  rtuSilenceMs?: number;
  /** rtu only: pace answers as the serial line behind the converter would. */
  timing?: LineTiming | undefined;
  /** Seed for the noise of the `garbage` fault. */
  seed?: number | undefined;
}

export interface ModbusTcpServer {
  readonly port: number;
  /** Closes every connection and refuses new ones for `ms`, then listens again on the same port. */
  drop(ms: number): Promise<void>;
  /** Whether the listener is accepting connections (false during a drop). */
  listening(): boolean;
  counters(): RtuSlaveCounters;
  stop(): Promise<void>;
}

export async function startModbusTcpServer(options: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
  const sockets = new Set<Socket>();
  const host = options.host ?? '127.0.0.1';
  const random = mulberry32(options.seed ?? 1);
  const counters: RtuSlaveCounters = { requests: 0, droppedBytes: 0, answers: 0 };
  let relisten: NodeJS.Timeout | undefined;
  let stopped = false;
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    // A master that resets its connection is routine for a device; never let it crash the simulator.
    socket.on('error', () => socket.destroy());
    const stopConnection =
      options.framing === 'mbap'
        ? serveMbap(socket, options, random, counters)
        : serveRtu(socket, options, random, counters);
    socket.on('close', () => {
      stopConnection();
      sockets.delete(socket);
    });
  };
  let server = createServer(onConnection);
  await listen(server, options.port, host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  const closeAll = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    port,
    listening: () => server.listening,
    counters: () => ({ ...counters }),
    async drop(ms) {
      if (relisten) clearTimeout(relisten);
      await closeAll();
      relisten = setTimeout(() => {
        relisten = undefined;
        if (stopped) return;
        server = createServer(onConnection);
        // The port was ours a moment ago; if another process took it, the device stays away.
        listen(server, port, host).catch(() => undefined);
      }, ms);
    },
    async stop() {
      stopped = true;
      if (relisten) clearTimeout(relisten);
      await closeAll();
    },
  };
}

/** Modbus Messaging on TCP/IP v1.0b: requests are answered with the request's MBAP header. */
function serveMbap(socket: Socket, options: ModbusTcpServerOptions, random: Random, counters: RtuSlaveCounters): () => void {
  let pending: Buffer = Buffer.alloc(0);
  const scheduler = new BusScheduler((bytes) => {
    if (!socket.destroyed) socket.write(bytes);
  });
  socket.on('data', (chunk: Buffer) => {
    const split = splitMbapFrames(pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk);
    pending = split.rest;
    for (const frame of split.frames) {
      counters.requests++;
      const bank = options.units.get(frame.unitId);
      // §4.4.1: a gateway whose target unit does not answer reports exception 0x0B.
      const answer = bank
        ? answerRequest(bank, frame.pdu, options.faults?.get(frame.unitId))
        : { pdu: exceptionPdu(frame.pdu[0] ?? 0, ExceptionCode.gatewayTargetFailedToRespond), delayMs: 0, damage: { corrupt: false, partial: false, garbage: false } };
      if (!answer) continue;
      // A wrong transaction id is how a damaged or stale answer looks on TCP, which has no CRC.
      const transactionId = answer.damage.corrupt ? (frame.transactionId + 1) & 0xffff : frame.transactionId;
      const bytes = damageFrame(encodeMbapFrame({ transactionId, unitId: frame.unitId, pdu: answer.pdu }), answer.damage, random);
      counters.answers++;
      scheduler.send(bytes, answer.delayMs);
    }
    // A stream that is not Modbus TCP cannot be resynchronised: devices close the connection.
    if (split.error) socket.destroy();
  });
  return () => scheduler.cancel();
}

function serveRtu(socket: Socket, options: ModbusTcpServerOptions, random: Random, counters: RtuSlaveCounters): () => void {
  const scheduler = new BusScheduler(
    (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    options.timing,
    rtuWire(options.timing),
  );
  const session = new RtuSlaveSession({ units: options.units, faults: options.faults, scheduler, silenceMs: options.rtuSilenceMs ?? 100, random, counters });
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  return () => {
    session.dispose();
    scheduler.cancel();
  };
}
