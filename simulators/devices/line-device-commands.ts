import type { DoorLockSimulator } from '../line/door-lock-sim.js';
import type { QrScannerSimulator } from '../line/qr-scanner-sim.js';
import { intWord, restOfLine } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';
import type { DomainCommands } from './simulated-device.js';

export function lockCommands(sim: DoorLockSimulator): DomainCommands {
  const door = (word: string | undefined): number => intWord(word, 'door', 1, sim.doorCount());
  return {
    help: [
      'door <n> open|close|jammed|free   the door contact; a jammed bolt answers ERR JAMMED',
      'exit <n>                          the inside exit button (the controller releases the door)',
      'tamper                            the enclosure is opened',
      'reboot                            restart: all doors locked, EVT BOOT',
      'mute <VERB>...|off                carry out these requests but lose their replies',
    ],
    snapshot: () => ({
      doors: Array.from({ length: sim.doorCount() }, (_, i) => ({ number: i + 1, ...sim.state(i + 1), jammed: sim.jammedDoors().includes(i + 1) })),
      counters: sim.counters(),
    }),
    async run(words) {
      const [verb, a, b] = words;
      switch (verb) {
        case 'door': {
          const n = door(a);
          if (b === 'open') await sim.openDoor(n);
          else if (b === 'close' || b === 'closed') await sim.closeDoor(n);
          else if (b === 'jammed' || b === 'jam' || b === 'free') {
            const jammed = new Set(sim.jammedDoors());
            if (b === 'free') jammed.delete(n);
            else jammed.add(n);
            sim.faults({ jammed: [...jammed] });
          } else throw new SimCommandError('door <n> open|close|jammed|free');
          return `door ${n} ${b}`;
        }
        case 'exit': {
          const n = door(a);
          await sim.pressExit(n);
          return `exit pressed at door ${n}`;
        }
        case 'tamper':
          await sim.tamper();
          return 'tamper';
        case 'reboot':
          await sim.reboot();
          return 'rebooted';
        case 'mute':
          if (a === undefined) throw new SimCommandError('mute <VERB>...|off');
          sim.faults({ muteVerbs: a === 'off' ? [] : words.slice(1).map((w) => w.toUpperCase()) });
          return a === 'off' ? 'replies unmuted' : `replies to ${words.slice(1).join(' ')} are lost`;
        default:
          throw new SimCommandError(`lock: unknown command "${words.join(' ')}" (help)`);
      }
    },
  };
}

export function scannerCommands(sim: QrScannerSimulator): DomainCommands {
  return {
    help: [
      'scan <text>        a code is read: the rest of the line as typed, runs of spaces and # included',
      'raw <hex>          send these bytes as they are (e.g. a partial line: raw 414243)',
    ],
    snapshot: () => ({ scans: sim.scans() }),
    async run(words, line) {
      const [verb, ...rest] = words;
      switch (verb) {
        case 'scan': {
          // A rolling code is base45, which has spaces, runs of them too: words re-joined would
          // squeeze them into a code nobody showed. Only the blank after `scan` is the separator.
          const text = line === undefined ? rest.join(' ') : restOfLine(line, 1);
          if (text === '') throw new SimCommandError('scan <text>');
          await sim.scan(text);
          return `scanned ${text.length} characters`;
        }
        case 'raw': {
          const hex = rest.join('');
          if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new SimCommandError('raw <hex bytes>');
          await sim.sendRaw(Buffer.from(hex, 'hex'));
          return `sent ${hex.length / 2} bytes`;
        }
        default:
          throw new SimCommandError(`scanner: unknown command "${words.join(' ')}" (help)`);
      }
    },
  };
}

