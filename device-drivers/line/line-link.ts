import { SerialLinePort, type LinePort, type SerialLineSettings } from './serial-line-port.js';
import { TcpLinePort, type TcpLineEndpoint } from './tcp-line-port.js';

/**
 * Where a line device's bytes travel: a local serial port, or a serial port that a device server
 * (ser2net, Moxa NPort) puts on the network as raw TCP. The drivers see a LinePort either way.
 */
export type LineLink = { serial: SerialLineSettings } | { tcp: TcpLineEndpoint };

export interface LineLimits {
  maxLineBytes: number;
  maxLineIdleMs?: number;
}

export function createLinePort(link: LineLink, limits: LineLimits): LinePort {
  const idle = limits.maxLineIdleMs !== undefined ? { maxLineIdleMs: limits.maxLineIdleMs } : {};
  if ('tcp' in link) return new TcpLinePort({ host: link.tcp.host, port: link.tcp.port, maxLineBytes: limits.maxLineBytes, ...idle });
  // The config object also carries `type` and may grow; pass serialport only what it understands.
  const { path, baudRate, dataBits, parity, stopBits } = link.serial;
  return new SerialLinePort({ path, baudRate, dataBits, parity, stopBits, maxLineBytes: limits.maxLineBytes, ...idle });
}
