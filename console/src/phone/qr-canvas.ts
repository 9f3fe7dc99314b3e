import QRCode from 'qrcode';

/*
 * Draws a QR code on a canvas, module by module, at a whole number of device pixels a module:
 * sharp edges a cheap scanner reads at night, at the largest size that fits. Level M, as the
 * sizes in docs/passes.md were measured; the library picks alphanumeric mode for `RC1:` text.
 */

/** The quiet zone, in modules: four is what ISO/IEC 18004 asks for. */
const QUIET = 4;

export function drawQr(canvas: HTMLCanvasElement, text: string, maxCssPx: number): { version: number; modules: number } {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const total = size + 2 * QUIET;
  const dpr = window.devicePixelRatio || 1;
  const scale = Math.max(1, Math.floor((maxCssPx * dpr) / total));
  const px = total * scale;
  canvas.width = px;
  canvas.height = px;
  canvas.style.width = `${px / dpr}px`;
  canvas.style.height = `${px / dpr}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, px, px);
  ctx.fillStyle = '#000000';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) ctx.fillRect((col + QUIET) * scale, (row + QUIET) * scale, scale, scale);
    }
  }
  return { version: qr.version, modules: size };
}
