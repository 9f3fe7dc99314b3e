import { describe, expect, it } from 'vitest';
import { handlePdu, packBits, unpackBits } from '../../../simulators/modbus/pdu-handler.js';
import { RegisterBank, type MasterWrite } from '../../../simulators/modbus/register-bank.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function makeBank(): RegisterBank {
  const bank = new RegisterBank();
  bank.map('holding', 0, 4);
  bank.setRegisters('holding', 0, [0x0001, 0x00fa, 8, 103]);
  bank.map('holding', 20, 1, { writable: true });
  bank.map('holding', 30, 2, { writable: true });
  bank.map('input', 0, 2);
  bank.setRegisters('input', 0, [0x1234, 0xabcd]);
  bank.map('coil', 0, 10, { writable: true });
  bank.setBits('coil', 0, [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
  bank.map('coil', 50, 1);
  bank.map('discrete', 0, 3);
  bank.setBits('discrete', 0, [0, 1, 1]);
  return bank;
}

describe('handlePdu: reads', () => {
  it('FC1 read coils packs the first coil in the low bit', () => {
    expect(handlePdu(makeBank(), hex('01 0000 000A'))).toEqual(hex('01 02 0D 03'));
  });

  it('FC2 read discrete inputs', () => {
    expect(handlePdu(makeBank(), hex('02 0000 0003'))).toEqual(hex('02 01 06'));
  });

  it('FC3 read holding registers', () => {
    expect(handlePdu(makeBank(), hex('03 0000 0004'))).toEqual(hex('03 08 0001 00FA 0008 0067'));
  });

  it('FC4 read input registers', () => {
    expect(handlePdu(makeBank(), hex('04 0001 0001'))).toEqual(hex('04 02 ABCD'));
  });
});

describe('handlePdu: writes', () => {
  function recording(): { bank: RegisterBank; writes: MasterWrite[] } {
    const bank = makeBank();
    const writes: MasterWrite[] = [];
    bank.onMasterWrite((w) => writes.push(w));
    return { bank, writes };
  }

  it('FC5 write single coil echoes the request', () => {
    const { bank, writes } = recording();
    expect(handlePdu(bank, hex('05 0001 FF00'))).toEqual(hex('05 0001 FF00'));
    expect(handlePdu(bank, hex('05 0000 0000'))).toEqual(hex('05 0000 0000'));
    expect(bank.getBits('coil', 0, 2)).toEqual([0, 1]);
    expect(writes).toEqual([
      { table: 'coil', address: 1, values: [1] },
      { table: 'coil', address: 0, values: [0] },
    ]);
  });

  it('FC6 write single register echoes the request', () => {
    const { bank, writes } = recording();
    expect(handlePdu(bank, hex('06 0014 03E8'))).toEqual(hex('06 0014 03E8'));
    expect(bank.getRegisters('holding', 20)).toEqual([1000]);
    expect(writes).toEqual([{ table: 'holding', address: 20, values: [1000] }]);
  });

  it('FC15 write multiple coils answers address and quantity', () => {
    const { bank, writes } = recording();
    expect(handlePdu(bank, hex('0F 0000 000A 02 CD 01'))).toEqual(hex('0F 0000 000A'));
    expect(bank.getBits('coil', 0, 10)).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
    expect(writes).toHaveLength(1);
  });

  it('FC16 write multiple registers answers address and quantity', () => {
    const { bank, writes } = recording();
    expect(handlePdu(bank, hex('10 001E 0002 04 1234 5678'))).toEqual(hex('10 001E 0002'));
    expect(bank.getRegisters('holding', 30, 2)).toEqual([0x1234, 0x5678]);
    expect(writes).toEqual([{ table: 'holding', address: 30, values: [0x1234, 0x5678] }]);
  });

  it('a model that throws while reacting gives exception 04', () => {
    const bank = makeBank();
    bank.onMasterWrite(() => {
      throw new Error('model bug');
    });
    expect(handlePdu(bank, hex('06 0014 0001'))).toEqual(hex('86 04'));
  });
});

describe('handlePdu: exceptions', () => {
  it.each([
    ['unknown function', '07', '87 01'],
    ['unsupported function 43 (device id)', '2B 0E 01 00', 'AB 01'],
    ['FC3 quantity 0', '03 0000 0000', '83 03'],
    ['FC3 quantity 126', '03 0000 007E', '83 03'],
    ['FC4 quantity 126', '04 0000 007E', '84 03'],
    ['FC1 quantity 0', '01 0000 0000', '81 03'],
    ['FC1 quantity 2001', '01 0000 07D1', '81 03'],
    ['FC2 quantity 2001', '02 0000 07D1', '82 03'],
    ['FC3 truncated request', '03 0000', '83 03'],
    ['FC5 value neither FF00 nor 0000', '05 0000 0001', '85 03'],
    ['FC15 byte count does not match quantity', '0F 0000 000A 01 FF', '8F 03'],
    ['FC15 quantity 1969', '0F 0000 07B1 F7' + 'FF'.repeat(0xf7), '8F 03'],
    ['FC16 quantity 124', '10 0000 007C F8' + '00'.repeat(0xf8), '90 03'],
    ['FC16 byte count does not match quantity', '10 001E 0002 02 1234', '90 03'],
    ['FC3 unmapped register', '03 0004 0001', '83 02'],
    ['FC3 range running past the mapped block', '03 0000 0005', '83 02'],
    ['FC3 range past 65535', '03 FFFF 0002', '83 02'],
    ['FC4 unmapped register', '04 0002 0001', '84 02'],
    ['FC1 unmapped coil', '01 000A 0001', '81 02'],
    ['FC2 unmapped discrete input', '02 0000 0004', '82 02'],
    ['FC5 read-only coil', '05 0032 FF00', '85 02'],
    ['FC6 read-only register', '06 0000 0001', '86 02'],
    ['FC6 unmapped register', '06 0015 0001', '86 02'],
    ['FC15 partly unmapped', '0F 0008 0003 01 07', '8F 02'],
    ['FC16 partly unmapped', '10 001E 0003 06 0001 0002 0003', '90 02'],
  ])('%s', (_, request, response) => {
    expect(handlePdu(makeBank(), hex(request))).toEqual(hex(response));
  });

  it('a refused write changes nothing and wakes no listener', () => {
    const bank = makeBank();
    let heard = 0;
    bank.onMasterWrite(() => heard++);
    handlePdu(bank, hex('10 001E 0003 06 0001 0002 0003'));
    handlePdu(bank, hex('06 0000 0001'));
    expect(bank.getRegisters('holding', 30, 2)).toEqual([0, 0]);
    expect(bank.getRegisters('holding', 0)).toEqual([1]);
    expect(heard).toBe(0);
  });
});

describe('bit packing', () => {
  it('round-trips and zero-pads the last byte', () => {
    const bits = [1, 0, 1, 1, 0, 0, 0, 0, 1, 1];
    expect(packBits(bits)).toEqual(hex('0D 03'));
    expect(unpackBits(packBits(bits), bits.length)).toEqual(bits);
  });
});
