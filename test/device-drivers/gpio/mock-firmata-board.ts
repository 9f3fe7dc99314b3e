import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { FirmataIo } from '../../../device-drivers/gpio/johnny-five-board.js';

const require = createRequire(import.meta.url);
const { Firmata: MockFirmata } = require('mock-firmata') as { Firmata: new () => MockIo };

interface MockIo extends EventEmitter {
  digitalRead(pin: number, callback: (value: number) => void): void;
  digitalWrite(pin: number, value: number): void;
}

/**
 * mock-firmata boards that behave like a flashed Arduino: each IO announces connect and ready
 * after johnny-five has attached its listeners (PITFALLS), pin reads are driven by the test and
 * pin writes are recorded.
 */
export class MockFirmataBoards {
  readonly ios: MockIo[] = [];
  /** false: the next boards never say ready (no firmware). */
  answering = true;
  private readonly readers = new Map<MockIo, Map<number, (value: number) => void>>();
  private readonly levels = new Map<MockIo, Map<number, number>>();

  readonly createIo = (): FirmataIo => {
    const io = new MockFirmata();
    const readers = new Map<number, (value: number) => void>();
    const levels = new Map<number, number>();
    io.digitalRead = (pin, callback) => readers.set(pin, callback);
    const write = io.digitalWrite.bind(io);
    io.digitalWrite = (pin, value) => {
      levels.set(pin, value);
      write(pin, value);
    };
    this.readers.set(io, readers);
    this.levels.set(io, levels);
    this.ios.push(io);
    if (this.answering) {
      setImmediate(() => {
        io.emit('connect');
        io.emit('ready');
      });
    }
    return io;
  };

  get latest(): MockIo {
    const io = this.ios.at(-1);
    if (!io) throw new Error('no board was created');
    return io;
  }

  /** The board reports `pin` at `value` (as Firmata does on a change). */
  setInput(pin: number, value: 0 | 1): void {
    const reader = this.readers.get(this.latest)?.get(pin);
    if (!reader) throw new Error(`pin ${pin} is not being read`);
    reader(value);
  }

  /** The level last written to `pin`, undefined if never. */
  level(pin: number): number | undefined {
    return this.levels.get(this.latest)?.get(pin);
  }
}
