import type { Logger } from 'pino';
import { DEFAULT_MAX_SCAN_BYTES } from '../../config/station-schema.js';
import type { DeviceDriver, DeviceEvent } from '../device.js';
import type { Points } from '../device-state.js';
import { DeviceError } from '../device-error.js';
import { Listeners } from '../listeners.js';
import type { DroppedLine } from '../line/bounded-line-splitter.js';
import { createLinePort, type LineLink } from '../line/line-link.js';
import type { LinePort } from '../line/serial-line-port.js';

/*
 * Driver for a fixed QR scanner that types one scan per line (docs/device-protocols.md, "QR scanner"). The scanned text
 * is a credential: it goes to listeners, never to the log.
 */

export { DEFAULT_MAX_SCAN_BYTES };

export const DEFAULT_SCANNER_MODEL = 'qr-ref';

/**
 * A scanner sends a scan in one burst: at 9600 baud a byte every ~1 ms, and a USB adapter holds
 * bytes back for at most a few tens of ms. A line that pauses longer was cut short, and its rest
 * must not be glued to the next scan (that would read as a credential nobody showed).
 */
export const SCAN_IDLE_MS = 200;

// C0 controls, DEL, C1 controls, and U+FFFD (what invalid UTF-8 decodes to): noise, not a scan.
const NOT_TEXT = /[\u0000-\u001F\u007F-\u009F\uFFFD]/u;

export type QrDropReason = 'garbage' | 'too-long' | 'unterminated';

export interface QrScannerDriverOptions {
  port: LinePort;
  log: Logger;
  /** Longest scan kept, in bytes, terminator excluded (device setting `maxScanBytes`). */
  maxScanBytes?: number | undefined;
}

export class QrScannerDriver implements DeviceDriver {
  readonly kind = 'qr-scanner';
  readonly model = DEFAULT_SCANNER_MODEL;
  private readonly port: LinePort;
  private readonly log: Logger;
  private readonly maxScanBytes: number;
  // The error only: the event is a scanned credential, never logged.
  private readonly listeners = new Listeners<DeviceEvent>((err) => this.log.error({ err }, 'scan listener threw'));
  private scans = 0;
  private readonly dropped: Record<QrDropReason, number> = { garbage: 0, 'too-long': 0, unterminated: 0 };
  private lastScanAt: string | null = null;
  private wanted = false;

  private readonly onLine = (line: string): void => this.handleLine(line);
  private readonly onDropped = (info: DroppedLine): void => this.drop(info.reason, info.bytes);

  /** Subscribes to the port's events; no I/O. */
  constructor(options: QrScannerDriverOptions) {
    this.port = options.port;
    this.log = options.log;
    this.maxScanBytes = options.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES;
    this.port.on('line', this.onLine);
    this.port.on('dropped', this.onDropped);
  }

  async open(): Promise<void> {
    this.wanted = true;
    try {
      await this.port.open();
    } catch (err) {
      this.log.warn({ err }, 'QR scanner port did not open; will retry on read');
    }
  }

  async close(): Promise<void> {
    this.wanted = false;
    await this.port.close();
  }

  /** The scanner is silent between scans, so an open port is all that "online" can mean here. */
  async read(): Promise<Points> {
    if (this.port.isOpen && this.port.present?.() === false) {
      // Unplugged, and the hang-up has not reached the port (on a loaded box it can take seconds,
      // or never come): close it, so that it is opened again once the device is back.
      await this.port.close();
      throw new DeviceError('DISCONNECTED', 'the QR scanner\'s device is gone (unplugged?)');
    }
    if (!this.port.isOpen) {
      if (!this.wanted) throw new DeviceError('DISCONNECTED', 'QR scanner driver is closed');
      // A port that went away (unplugged adapter) comes back only if someone opens it again.
      await this.port.open();
    }
    return { scans: this.scans, dropped: this.droppedTotal(), lastScanAt: this.lastScanAt };
  }

  deadbands(): Record<string, number> {
    return {};
  }

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Dropped lines by reason (read() reports only the total). */
  droppedByReason(): Record<QrDropReason, number> {
    return { ...this.dropped };
  }

  private handleLine(line: string): void {
    const bytes = Buffer.byteLength(line, 'utf8');
    // The port may have been built with a longer limit than the scanner's: enforce ours too.
    if (bytes > this.maxScanBytes) return this.drop('too-long', bytes);
    if (NOT_TEXT.test(line)) return this.drop('garbage', bytes);
    this.scans++;
    this.lastScanAt = new Date().toISOString();
    this.log.debug({ length: bytes }, 'scan read');
    this.listeners.emit({ type: 'scan', data: { text: line } });
  }

  private drop(reason: QrDropReason, bytes: number): void {
    this.dropped[reason]++;
    this.log.debug({ reason, bytes }, 'scanner line dropped');
  }

  private droppedTotal(): number {
    return this.dropped.garbage + this.dropped['too-long'] + this.dropped.unterminated;
  }
}

export type CreateQrScannerDriverOptions = { log: Logger; maxScanBytes?: number | undefined } & LineLink;

/** Builds the driver over a serial port or a device server's TCP port: what the composition root calls. */
export function createQrScannerDriver(options: CreateQrScannerDriverOptions): QrScannerDriver {
  const link: LineLink = 'tcp' in options ? { tcp: options.tcp } : { serial: options.serial };
  const maxScanBytes = options.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES;
  // The splitter holds at most this many bytes of a line: a line without an end costs no more.
  const port = createLinePort(link, { maxLineBytes: maxScanBytes, maxLineIdleMs: SCAN_IDLE_MS });
  return new QrScannerDriver({ port, log: options.log, maxScanBytes });
}
