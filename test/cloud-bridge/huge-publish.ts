import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { distEntry } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';

/** What a streamed publish did: bytes written before the broker stopped taking them. */
export interface HugePublishResult {
  written: number;
  total: number;
  /** The broker closed the connection before the whole packet was written. */
  cutOff: boolean;
}

/**
 * Sends one QoS 1 PUBLISH of `payloadBytes` (`{"token":"AAAA…"}`, valid JSON, so a parser that
 * takes it whole also makes a string of it) on a raw MQTT 3.1.1 connection, generated from one
 * reused 1 MB chunk: the test's own memory stays flat whatever the size.
 */
export async function streamHugePublish(socket: Duplex, clientId: string, topic: string, payloadBytes: number): Promise<HugePublishResult> {
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  socket.on('data', () => undefined);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 0 }));
  await new Promise((r) => setTimeout(r, 200));
  const prefix = Buffer.from('{"token":"');
  const suffix = Buffer.from('"}');
  const topicBytes = Buffer.from(topic);
  const remaining = 2 + topicBytes.length + 2 + payloadBytes;
  const header = Buffer.concat([Buffer.from([0x32]), varint(remaining), u16(topicBytes.length), topicBytes, u16(7), prefix]);
  const total = header.length + (payloadBytes - prefix.length);
  const chunk = Buffer.alloc(1024 * 1024, 'A');
  let written = 0;
  const write = async (b: Buffer): Promise<void> => {
    if (closed) return;
    written += b.length;
    if (!socket.write(b)) await drainedOrClosed(socket);
  };
  await write(header);
  let left = payloadBytes - prefix.length - suffix.length;
  while (left > 0 && !closed) {
    const n = Math.min(left, chunk.length);
    await write(n === chunk.length ? chunk : chunk.subarray(0, n));
    left -= n;
  }
  await write(suffix);
  // Let the broker take the rest (or say no) before the connection goes.
  await new Promise((r) => setTimeout(r, 300));
  const cutOff = closed && written < total;
  socket.destroy();
  return { written, total, cutOff };
}

export function tcpSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function drainedOrClosed(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Samples a process's RSS every 50 ms until stopped; resolves with the peak in MB. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // exited
    }
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The embedded broker (dist/) in a process of its own, so a packet it takes whole is not in the test's memory. */
export interface BrokerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startBrokerProcess(options: { maxPacketBytes?: number } = {}): Promise<BrokerProcess> {
  const module = distEntry('cloud-bridge', 'embedded-broker.js');
  const code = [
    `const { startEmbeddedBroker } = await import(${JSON.stringify(module)});`,
    `const b = await startEmbeddedBroker({ port: 0${options.maxPacketBytes !== undefined ? `, maxPacketBytes: ${options.maxPacketBytes}` : ''} });`,
    'console.log(JSON.stringify({ url: b.url, port: b.port }));',
    "process.on('SIGTERM', () => b.close().then(() => process.exit(0)));",
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise((r) => child.once('exit', r));
  const started = await waitFor(() => /\{.*\}/.exec(out)?.[0], 10_000, 'the broker process');
  const { url, port } = JSON.parse(started) as { url: string; port: number };
  return {
    url,
    port,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
