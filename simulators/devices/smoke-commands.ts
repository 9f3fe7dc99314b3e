import type { SmokeDetectorModel } from '../modbus/models/smoke-detector-model.js';
import { onOffWord } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';
import type { DomainCommands } from './simulated-device.js';

export function smokeCommands(model: SmokeDetectorModel): DomainCommands {
  return {
    help: ['smoke on|off          smoke reaches the detector / clears', 'sensor fault|ok       the detector reports a fault of its own (and sees no smoke)'],
    snapshot: () => ({ ...model.snapshot() }),
    run(words) {
      const [verb, a] = words;
      switch (verb) {
        case 'smoke': {
          const on = onOffWord(a);
          model.setSmoke(on);
          return `smoke ${on ? 'on' : 'off'}`;
        }
        case 'sensor':
          // Not `fault ...`: that word drives the wire's faults on every device.
          if (a !== 'fault' && a !== 'ok') throw new SimCommandError('sensor fault|ok');
          model.setFault(a === 'fault');
          return `sensor ${a}`;
        default:
          throw new SimCommandError(`smoke detector: unknown command "${words.join(' ')}" (help)`);
      }
    },
  };
}
