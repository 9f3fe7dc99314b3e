import { describeModbusFaultSweep } from './modbus-fault-sweep.js';

describeModbusFaultSweep('modbus-tcp', 'Modbus TCP over a real socket');
