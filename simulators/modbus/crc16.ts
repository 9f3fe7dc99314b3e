/**
 * Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), Modbus over Serial Line §6.2.2.
 * The result goes on the wire low byte first: for `01 03 00 00 00 0A` it is 0xCDC5, sent C5 CD.
 */
export function crc16(data: Uint8Array, initial = 0xffff): number {
  // `initial` continues a CRC over more bytes: crc16(b, crc16(a)) === crc16(a ++ b).
  let crc = initial;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    }
  }
  return crc;
}
