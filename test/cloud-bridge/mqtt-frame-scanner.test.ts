import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttFrameScanner, type OversizePacket } from '../../cloud-bridge/mqtt-frame-scanner.js';

/* The scanner that keeps packets over the limit from mqtt-packet's parser, byte by byte. */

function scan(bytes: Buffer, limit: number, chunk: number): { passed: Buffer; oversize: OversizePacket[] } {
  const passed: Buffer[] = [];
  const oversize: OversizePacket[] = [];
  const s = new MqttFrameScanner(limit, (b) => passed.push(Buffer.from(b)), (p) => oversize.push(p));
  for (let i = 0; i < bytes.length; i += chunk) s.scan(bytes.subarray(i, i + chunk));
  return { passed: Buffer.concat(passed), oversize };
}

const publish = (topic: string, size: number, messageId: number): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.alloc(size, 'x'), qos: 1, messageId, dup: false, retain: false });

describe('MqttFrameScanner', () => {
  it.each([1, 3, 7, 1024])('passes packets within the limit whole and drops the one over it (chunks of %i)', (chunk) => {
    const small1 = publish('stations/a/cmd/unlock', 100, 1);
    const big = publish('stations/a/cmd/unlock', 70_000, 513);
    const small2 = mqttPacket.generate({ cmd: 'pingresp' });
    const { passed, oversize } = scan(Buffer.concat([small1, big, small2]), 64 * 1024, chunk);
    expect(passed.equals(Buffer.concat([small1, small2]))).toBe(true);
    expect(oversize).toEqual([{ type: 3, qos: 1, declaredBytes: big.length, topic: 'stations/a/cmd/unlock', packetId: 513 }]);
  });

  it('gives up on a remaining length of five bytes (not MQTT)', () => {
    const { passed, oversize } = scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0]), 1024, 2);
    expect(passed.length).toBe(0);
    expect(oversize[0]?.declaredBytes).toBe(Infinity);
  });
});
