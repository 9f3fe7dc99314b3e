import QRCode from 'qrcode';

/*
 * A rolling code as a QR code, for a bench crew to hold in front of a scanner. Level M, not L: L
 * would make the typical code version 12 instead of 14 (65 modules across instead of 73, modules
 * 12 % larger), but a phone screen at a door is the one that is cracked, smeared or behind a
 * scratched protector, and lit by a street lamp's reflection; M's 15 % recovery against L's 7 %
 * covers a glare spot the size of a fingertip on a 5 cm code. M is also what docs/passes.md measured
 * the format at, so the bench shows the version a real phone's page will show. The mode is left to
 * the library: a rolling code's text is all QR alphanumeric, which it picks by itself.
 */
export const QR_ERROR_CORRECTION = 'M' as const;
/** The quiet zone the QR standard asks for, in modules; a scanner needs it to find the code. */
const MARGIN = 4;

export interface QrFacts {
  version: number;
  /** Modules across, without the quiet zone. */
  modules: number;
  errorCorrection: typeof QR_ERROR_CORRECTION;
  /** The QR mode(s) the library chose, e.g. "Alphanumeric". */
  modes: string[];
}

export function qrFacts(text: string): QrFacts {
  const qr = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  return { version: qr.version, modules: qr.modules.size, errorCorrection: QR_ERROR_CORRECTION, modes: [...new Set(qr.segments.map((s) => s.mode.id))] };
}

/** A PNG, 8 pixels a module: big enough to show full-screen on a phone without scaling blur. */
export async function writeQrPng(file: string, text: string): Promise<void> {
  await QRCode.toFile(file, text, { type: 'png', errorCorrectionLevel: QR_ERROR_CORRECTION, margin: MARGIN, scale: 8 });
}

/**
 * The code in UTF-8 half blocks, two module rows a line, dark modules as blocks. On a terminal with
 * a dark background those blocks would be light, an inverted code many cheap scanners cannot read,
 * so on a TTY each line is drawn black on white whatever the terminal's colours.
 */
export async function qrTerminalText(text: string, colour: boolean): Promise<string> {
  const blocks = await QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: QR_ERROR_CORRECTION, margin: MARGIN });
  if (!colour) return `${blocks}\n`;
  return `${blocks
    .split('\n')
    .map((line) => `\x1b[30;107m${line}\x1b[0m`)
    .join('\n')}\n`;
}
