import type { OccupancyModel } from '../modbus/models/occupancy-model.js';
import { asCommand, intWord, onOffWord } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';
import type { DomainCommands } from './simulated-device.js';

export function occupancyCommands(model: OccupancyModel): DomainCommands {
  return {
    help: [
      'person enter|still|move|leave   someone comes in / stops moving / moves again / goes',
      'people <n>                      set the count',
      'wander on|off                   people come and go by chance (off: only by command)',
      'sensor fault|ok                 the sensor reports a fault',
    ],
    snapshot: () => ({ ...model.snapshot() }),
    run(words) {
      const [verb, a] = words;
      switch (verb) {
        case 'person':
          switch (a) {
            case 'enter':
            case 'in':
              model.enter();
              return `${model.snapshot().people} present`;
            case 'still':
              asCommand(() => model.setStill(true));
              return 'nobody moves';
            case 'move':
              model.setStill(false);
              return 'moving again';
            case 'leave':
            case 'out':
              asCommand(() => model.leave());
              return `${model.snapshot().people} present`;
            default:
              throw new SimCommandError('person enter|still|move|leave');
          }
        case 'people':
          model.setPeople(intWord(a, 'people', 0, 65535));
          return `${model.snapshot().people} present`;
        case 'wander': {
          const on = onOffWord(a);
          model.setWandering(on);
          return `wandering ${on ? 'on' : 'off'}`;
        }
        case 'sensor':
          if (a !== 'fault' && a !== 'ok') throw new SimCommandError('sensor fault|ok');
          model.setSensorFault(a === 'fault');
          return `sensor ${a}`;
        default:
          throw new SimCommandError(`occupancy: unknown command "${words.join(' ')}" (help)`);
      }
    },
  };
}
