import type { WaterDispenserModel } from '../modbus/models/water-dispenser-model.js';
import { asCommand, intWord, numberWord, onOffWord } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';
import type { DomainCommands } from './simulated-device.js';

const FILTER_DUE_PCT = 5;

export function dispenserCommands(model: WaterDispenserModel): DomainCommands {
  return {
    help: [
      'session <ml>|stop      a worker draws <ml> (capped at maxSessionVolume) / lets go',
      'leak on|off            the leak sensor',
      'tank <pct>|empty|full  tank level (empty also cuts the supply, full restores it)',
      'supply on|off          the water supply',
      'filter <pct>|due|new   filter life',
    ],
    snapshot: () => ({ ...model.snapshot() }),
    run(words) {
      const [verb, a] = words;
      switch (verb) {
        case 'session':
          if (a === 'stop' || a === 'end') {
            model.endSession();
            return 'session ended';
          }
          asCommand(() => model.startSession(intWord(a, 'session volume (ml)', 1, 65535)));
          return `session of ${model.snapshot().sessionTarget} ml started`;
        case 'leak': {
          const on = onOffWord(a);
          model.setLeak(on);
          return `leak ${on ? 'on' : 'off'}`;
        }
        case 'supply': {
          const on = onOffWord(a);
          model.setSupply(on);
          return `supply ${on ? 'ok' : 'cut'}`;
        }
        case 'tank': {
          if (a === 'empty') {
            model.setSupply(false);
            model.setTankLevel(0);
            return 'tank empty, supply cut';
          }
          if (a === 'full') {
            model.setSupply(true);
            model.setTankLevel(100);
            return 'tank full, supply ok';
          }
          const pct = numberWord(a, 'tank level (%)', 0, 100);
          model.setTankLevel(pct);
          return `tank at ${pct} %`;
        }
        case 'filter': {
          const pct = a === 'due' ? FILTER_DUE_PCT : a === 'new' ? 100 : numberWord(a, 'filter life (%)', 0, 100);
          model.setFilterLife(pct);
          return `filter life ${pct} %`;
        }
        default:
          throw new SimCommandError(`dispenser: unknown command "${words.join(' ')}" (help)`);
      }
    },
  };
}
