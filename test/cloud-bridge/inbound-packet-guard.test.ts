import { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { InboundPacketGuard } from '../../cloud-bridge/inbound-packet-guard.js';

/*
 * The guard sits between MQTT.js and the socket on every station's cloud connection. What MQTT.js
 * writes in one go (mqtt-packet writes a PUBLISH in several pieces under one cork) must reach the
 * socket as one write, not a write, and a system call, per piece.
 */

/** A socket's writing side that records each write it is handed, as net.Socket would make each one a syscall. */
class RecordingSocket extends Duplex {
  readonly writes: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push(chunk);
    setImmediate(callback);
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    setImmediate(callback);
  }
}

const publish = (messageId: number) => ({
  cmd: 'publish' as const,
  topic: 'stations/s-1/events',
  payload: Buffer.from(JSON.stringify({ type: 'access.granted', n: messageId })),
  qos: 1 as const,
  messageId,
  retain: false,
  dup: false,
});

describe('InboundPacketGuard, writing', () => {
  it('hands the socket each PUBLISH as one write, and packets written while one is in flight as one more', async () => {
    const socket = new RecordingSocket();
    const guard = new InboundPacketGuard(socket, 1 << 20, () => undefined);
    const expected = [1, 2, 3].map((id) => mqttPacket.generate(publish(id)));

    mqttPacket.writeToStream(publish(1), guard);
    await new Promise((r) => setImmediate(r));
    expect(socket.writes).toEqual([expected[0]]);

    // Two more while the first's write is still in flight (the socket has not called back yet).
    mqttPacket.writeToStream(publish(2), guard);
    mqttPacket.writeToStream(publish(3), guard);
    await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.concat(socket.writes)).toEqual(Buffer.concat(expected));
    expect(socket.writes.length).toBeLessThanOrEqual(3);
    guard.destroy();
  });

  it('calls back once the socket has taken the last piece', async () => {
    const socket = new RecordingSocket();
    const guard = new InboundPacketGuard(socket, 1 << 20, () => undefined);
    guard.cork();
    guard.write(Buffer.from([1]));
    const done = new Promise<void>((resolve) => guard.write(Buffer.from([2, 3]), () => resolve()));
    guard.uncork();
    await done;
    expect(socket.writes).toEqual([Buffer.from([1, 2, 3])]);
    guard.destroy();
  });
});
