import { describeModbusFaultSweep } from './modbus-fault-sweep.js';

describeModbusFaultSweep('modbus-rtu-over-tcp', 'transparent RTU over TCP (an RS-485 converter)');
