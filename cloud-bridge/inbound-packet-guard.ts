import { Duplex } from 'node:stream';
import { MqttFrameScanner, type OversizePacket } from './mqtt-frame-scanner.js';

/** An MQTT packet larger than the station takes (code in docs/errors.md). */
export class PacketTooLargeError extends Error {
  readonly code = 'MQTT_PACKET_TOO_LARGE';
  constructor(readonly packet: OversizePacket, limit: number) {
    super(`the broker sent a packet of ${packet.declaredBytes} bytes (type ${packet.type}); the station takes at most ${limit}`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * The station's side of the connection, between the socket and MQTT.js's parser, which would hold
 * a whole packet in memory before MQTT.js checks its size. A PUBLISH over the limit never reaches
 * the parser: its bytes are counted off as they arrive and, at QoS 1, acknowledged here, so the
 * broker drops it instead of redelivering it after every reconnect (MQTT 3.1.1 cannot say "too
 * large"; on MQTT 5 a compliant broker does not send it at all, having read our CONNECT's
 * maximumPacketSize). Anything else over the limit (or unframeable) ends the connection.
 */
export class InboundPacketGuard extends Duplex {
  private readonly scanner: MqttFrameScanner;

  constructor(
    private readonly inner: Duplex,
    limit: number,
    onSkipped: (packet: OversizePacket) => void,
  ) {
    super();
    this.scanner = new MqttFrameScanner(
      limit,
      (bytes) => {
        if (!this.push(bytes)) inner.pause();
      },
      (packet) => {
        if (packet.type === 3 && packet.qos === 1 && packet.packetId !== undefined) {
          // A PUBACK (4 bytes, valid on 3.1.1 and 5), written whole: MQTT.js writes its own packets
          // synchronously, so this cannot land inside one of them.
          inner.write(Buffer.from([0x40, 0x02, packet.packetId >> 8, packet.packetId & 0xff]));
          onSkipped(packet);
          return;
        }
        this.destroy(new PacketTooLargeError(packet, limit));
      },
    );
    let ended = false;
    inner.on('data', (chunk: Buffer) => this.scanner.scan(chunk));
    inner.on('end', () => {
      ended = true;
      this.push(null);
    });
    inner.on('error', (err) => this.destroy(err));
    // A broker's last packet (MQTT 5 DISCONNECT "session taken over") comes with the FIN: let the
    // parser read it before this side goes.
    inner.on('close', () => {
      if (ended && !this.readableEnded) this.once('end', () => this.destroy());
      else this.destroy();
    });
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.inner.write(chunk, encoding, callback);
  }

  /**
   * What MQTT.js wrote while this side was corked or busy, to the socket in one write: mqtt-packet
   * writes a PUBLISH in about five pieces under one cork, and without this each piece went to the
   * socket, and the kernel, on its own (measured: 0.6 ms of write calls per unlock, docs/benchmarks.md).
   */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (err?: Error | null) => void): void {
    const last = chunks.length - 1;
    this.inner.cork();
    chunks.forEach(({ chunk, encoding }, i) => this.inner.write(chunk, encoding, i === last ? callback : undefined));
    this.inner.uncork();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.inner.destroy();
    callback(err);
  }
}
