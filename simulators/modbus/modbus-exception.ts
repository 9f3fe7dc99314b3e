/** Exception codes a server may answer with (Modbus Application Protocol v1.1b3 §7). */
export const ExceptionCode = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  gatewayTargetFailedToRespond: 0x0b,
} as const;
export type ExceptionCode = (typeof ExceptionCode)[keyof typeof ExceptionCode];

/** An exception response PDU: the function code with its high bit set, then the code. */
export function exceptionPdu(functionCode: number, code: ExceptionCode): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}
