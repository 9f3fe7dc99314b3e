import type { BatteryCabinetModel, CabinetFlag, SlotFaultName } from '../modbus/models/battery-cabinet-model.js';
import { asCommand, intWord, numberWord, onOffWord } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';
import type { DomainCommands } from './simulated-device.js';

/*
 * `slot <n>` takes the door number, from 1, as printed on the cabinet, in the alarms
 * (`slot.overheat.<n>`), events, replies and the console (docs/decisions.md, "Slot numbers").
 * The model is addressed by index (registers, coils, `slots[n - 1]`); the conversion is here only.
 */

const FLAGS: Record<string, { flag: CabinetFlag; invert: boolean }> = {
  smoke: { flag: 'smoke', invert: false },
  tamper: { flag: 'doorTamper', invert: false },
  fan: { flag: 'fanFault', invert: false },
  // `mains off` is a power cut: the flag is "mains ok".
  mains: { flag: 'mainsOk', invert: false },
};

const SLOT_FAULTS: Record<string, SlotFaultName> = {
  'over-temperature': 'overTemperature',
  overtemperature: 'overTemperature',
  'over-voltage': 'overVoltage',
  overvoltage: 'overVoltage',
  bms: 'bmsLinkLost',
  charger: 'chargerFault',
};

export function cabinetCommands(model: BatteryCabinetModel): DomainCommands {
  return {
    help: [
      'slot <n> ...                     n is the door number, from 1 (as on the cabinet; slots[n-1] in the state)',
      'slot <n> temperature <°C>|auto   pin the battery temperature of slot n (≥ 60 raises over-temperature)',
      'slot <n> heat <°C/min> [to <°C>]|off   the pack heats up at that rate (a fast rise), up to <°C> and held',
      'slot <n> door open|close|jammed|free',
      'slot <n> insert [soc] [48|60]     a battery is put in',
      'slot <n> remove                   the battery is taken out',
      'slot <n> fault over-voltage|bms|charger|over-temperature|<vendor bit> on|off',
      'smoke on|off · tamper on|off · fan on|off (fan fault) · mains on|off',
    ],
    snapshot: () => ({ ...model.snapshot() }),
    run(words) {
      const [verb, a, b, c] = words;
      if (verb === 'slot') return slotCommand(model, intWord(a, 'slot (door number)', 1, model.slotCount), words.slice(2));
      const flag = verb === undefined ? undefined : FLAGS[verb];
      if (flag) {
        const on = onOffWord(a);
        if (verb === 'fan' && (a === 'fault' || b !== undefined)) throw new SimCommandError('fan on|off (on: the fan has failed)');
        model.setFlag(flag.flag, on);
        return `${verb} ${on ? 'on' : 'off'}`;
      }
      throw new SimCommandError(`cabinet: unknown command "${[verb, a, b, c].filter(Boolean).join(' ')}" (help)`);
    },
  };
}

/** `slot` is the door number; the model takes the index. */
function slotCommand(model: BatteryCabinetModel, slot: number, words: readonly string[]): string {
  const index = slot - 1;
  const [what, a, b] = words;
  switch (what) {
    case 'temperature':
    case 'temp': {
      const c = a === 'auto' ? undefined : numberWord(a, 'temperature', -40, 150);
      asCommand(() => model.setSlotTemperature(index, c));
      return c === undefined ? `slot ${slot} temperature follows the battery again` : `slot ${slot} battery at ${c} °C`;
    }
    case 'heat': {
      if (a === 'off' || a === 'stop') {
        asCommand(() => model.setSlotHeating(index, undefined));
        return `slot ${slot} temperature follows the battery again`;
      }
      const rate = numberWord(a, 'heating rate (°C per minute)', 0.01, 1000);
      if (b !== undefined && b !== 'to') throw new SimCommandError('slot <n> heat <°C/min> [to <°C>]|off');
      const until = b === 'to' ? numberWord(words[3], 'temperature to stop at', -40, 150) : undefined;
      asCommand(() => model.setSlotHeating(index, rate, until));
      return `slot ${slot} heating at ${rate} °C/min${until !== undefined ? ` to ${until} °C` : ''}`;
    }
    case 'door':
      switch (a) {
        case 'open':
        case 'close':
          model.holdDoor(index, a === 'open');
          return `slot ${slot} door ${a === 'open' ? 'held open' : 'closed'}`;
        case 'jammed':
        case 'jam':
        case 'free':
          model.setDoorJammed(index, a !== 'free');
          return `slot ${slot} door ${a === 'free' ? 'free' : 'jammed'}`;
        default:
          throw new SimCommandError('slot <n> door open|close|jammed|free');
      }
    case 'insert': {
      const soc = a === undefined ? undefined : intWord(a, 'soc', 0, 100);
      const pack = b === undefined ? undefined : intWord(b, 'pack type', 48, 60);
      if (pack !== undefined && pack !== 48 && pack !== 60) throw new SimCommandError('pack type must be 48 or 60');
      asCommand(() => model.insertBattery(index, { soc, packType: pack }));
      return `slot ${slot} battery inserted`;
    }
    case 'remove':
      asCommand(() => model.removeBattery(index));
      return `slot ${slot} battery removed`;
    case 'fault': {
      // The reference names, or a bit of the vendor's own fault word (cabinet-hexa's cellFault).
      const fault = a === undefined ? undefined : (SLOT_FAULTS[a.toLowerCase()] ?? (model.roles.faultNames().includes(a) ? a : undefined));
      if (!fault) throw new SimCommandError(`slot <n> fault ${[...Object.keys(SLOT_FAULTS), ...model.roles.faultNames()].join('|')} on|off`);
      const on = onOffWord(b);
      model.setSlotFault(index, fault, on);
      return `slot ${slot} ${fault} ${on ? 'on' : 'off'}`;
    }
    default:
      throw new SimCommandError('slot <n> temperature|heat|door|insert|remove|fault ...');
  }
}
