import { describe, expect, it } from 'vitest';
import { deviceSpecFromArgs } from '../../../simulators/cli/sim-cli-device.js';

/* `station-sim lock|scanner --tcp PORT`: a line device served as a serial device server would serve it. */

describe('station-sim line devices on --tcp', () => {
  const noTemp = (): string => {
    throw new Error('no pty wanted');
  };

  it('a lock or a scanner on --tcp is serial-tcp; a cabinet on --tcp stays Modbus TCP', () => {
    expect(deviceSpecFromArgs('lock', { tcp: '4001' }, noTemp).transport).toEqual({ type: 'serial-tcp', host: '127.0.0.1', port: 4001 });
    expect(deviceSpecFromArgs('scanner', { tcp: '0', host: '127.0.0.1' }, noTemp).transport).toEqual({ type: 'serial-tcp', host: '127.0.0.1', port: 0 });
    expect(deviceSpecFromArgs('cabinet', { tcp: '5020' }, noTemp).transport).toMatchObject({ type: 'modbus-tcp', port: 5020 });
    expect(() => deviceSpecFromArgs('lock', { 'rtu-tcp': '5021' }, noTemp)).toThrow(/--tcp PORT/);
  });
});
