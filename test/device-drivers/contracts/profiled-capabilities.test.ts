import { batteryCabinetContract } from './battery-cabinet-contract.js';
import { profileOf } from './modbus-bench.js';
import { occupancySensorContract } from './occupancy-sensor-contract.js';
import { waterDispenserContract } from './water-dispenser-contract.js';

/*
 * Every profile of a profiled kind runs its kind's contract against the simulator of that
 * profile. A new vendor profile is one more name here: a file in config/profiles (by its name)
 * or a fixture of these suites (by its path, as 'fixtures/cabinet-lacking.yaml').
 */
const CABINETS = ['cabinet-ref', 'cabinet-alt', 'cabinet-hexa', 'cabinet-volta', 'fixtures/cabinet-lacking.yaml'];
const DISPENSERS = ['dispenser-ref', 'dispenser-aqua'];
const OCCUPANCY_SENSORS = ['occupancy-ref', 'occupancy-pir'];

for (const name of CABINETS) batteryCabinetContract(profileOf(name));
for (const name of DISPENSERS) waterDispenserContract(profileOf(name));
for (const name of OCCUPANCY_SENSORS) occupancySensorContract(profileOf(name));
