/**
 * MQTT packets larger than this are never buffered, on the station's connection or the embedded
 * broker: commands and their acknowledgements are a few KB (a token is at most 4 KB), and
 * mqtt-packet's parser holds a whole packet in memory before anyone can look at it (a 250 MB
 * publish ended a gateway with a 256 MB heap). The fleet's Mosquitto has the same limit
 * (`max_packet_size 65536`).
 */
export const MAX_PACKET_BYTES = 64 * 1024;

/** What the scanner knows about a packet it will not let through. */
export interface OversizePacket {
  /** The MQTT control packet type (3 = PUBLISH). */
  type: number;
  qos: number;
  /** Fixed header plus remaining length, as the packet declares it; Infinity if the length is malformed. */
  declaredBytes: number;
  /** A QoS 1/2 PUBLISH's packet id (to acknowledge it and so drop it at the broker). */
  packetId?: number;
  topic?: string;
}

type State =
  | { at: 'header'; bytes: number[] }
  | { at: 'pass'; left: number }
  | { at: 'head'; left: number; head: Buffer[]; headBytes: number; want: number; packet: OversizePacket }
  | { at: 'skip'; left: number };

const PUBLISH = 3;

/**
 * Reads the fixed headers of an MQTT byte stream as it passes, without parsing or holding packets:
 * bytes of packets within the limit are handed on as they come; those of a larger packet are
 * counted off and dropped, and `onOversize` is told once, as soon as the packet's type and (for a
 * QoS 1/2 PUBLISH) its topic and packet id are known. Memory is bounded by one topic (64 KB).
 */
export class MqttFrameScanner {
  private state: State = { at: 'header', bytes: [] };

  constructor(
    private readonly maxPacketBytes: number,
    private readonly pass: (bytes: Buffer) => void,
    private readonly onOversize: (packet: OversizePacket) => void,
  ) {}

  scan(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      if (s.at === 'header') {
        s.bytes.push(chunk[i++] as number);
        this.header(s.bytes);
      } else if (s.at === 'pass') {
        const n = Math.min(s.left, chunk.length - i);
        this.pass(chunk.subarray(i, i + n));
        i += n;
        s.left -= n;
        if (s.left === 0) this.state = { at: 'header', bytes: [] };
      } else if (s.at === 'head') {
        const n = Math.min(s.want - s.headBytes, chunk.length - i);
        s.head.push(chunk.subarray(i, i + n));
        s.headBytes += n;
        i += n;
        s.left -= n;
        this.publishHead(s);
      } else {
        const n = Math.min(s.left, chunk.length - i);
        i += n;
        s.left -= n;
        if (s.left === 0) this.state = { at: 'header', bytes: [] };
      }
    }
  }

  /** A fixed header is one type byte and a remaining length of 1 to 4 bytes (7 bits each). */
  private header(bytes: number[]): void {
    if (bytes.length < 2) return;
    const last = bytes[bytes.length - 1] as number;
    if (last & 0x80) {
      if (bytes.length < 5) return;
      // A fifth length byte: not MQTT. Nothing after it can be framed.
      this.state = { at: 'skip', left: Infinity };
      this.onOversize({ type: (bytes[0] as number) >> 4, qos: 0, declaredBytes: Infinity });
      return;
    }
    let remaining = 0;
    for (let k = bytes.length - 1; k >= 1; k--) remaining = remaining * 128 + ((bytes[k] as number) & 0x7f);
    const total = bytes.length + remaining;
    if (total <= this.maxPacketBytes) {
      this.pass(Buffer.from(bytes));
      this.state = remaining === 0 ? { at: 'header', bytes: [] } : { at: 'pass', left: remaining };
      return;
    }
    const first = bytes[0] as number;
    const packet: OversizePacket = { type: first >> 4, qos: (first >> 1) & 3, declaredBytes: total };
    if (packet.type === PUBLISH && packet.qos > 0) {
      // Topic length (2), then the topic, then the packet id (2); first learn the topic's length.
      this.state = { at: 'head', left: remaining, head: [], headBytes: 0, want: Math.min(2, remaining), packet };
      return;
    }
    this.state = { at: 'skip', left: remaining };
    this.onOversize(packet);
  }

  private publishHead(s: Extract<State, { at: 'head' }>): void {
    if (s.headBytes < s.want) return;
    const head = Buffer.concat(s.head);
    const topicLength = head.length >= 2 ? head.readUInt16BE(0) : 0;
    const want = Math.min(2 + topicLength + 2, s.headBytes + s.left);
    if (s.headBytes < want) {
      s.want = want;
      return;
    }
    if (head.length >= 4 + topicLength) {
      s.packet.topic = head.toString('utf8', 2, 2 + topicLength);
      s.packet.packetId = head.readUInt16BE(2 + topicLength);
    }
    this.state = s.left === 0 ? { at: 'header', bytes: [] } : { at: 'skip', left: s.left };
    this.onOversize(s.packet);
  }
}
