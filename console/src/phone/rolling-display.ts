import { drawQr } from './qr-canvas.js';
import { rollingCodeText, stepAt, STEP_SECONDS, type CodeRequest, type PhoneSigner } from './rolling-code.js';

/*
 * The rolling QR code on screen: a new code at the start of every 5 s step (the step from the
 * phone's clock, floor(unix seconds / 5)), with the seconds left until the next. Signing is a few
 * milliseconds in WebCrypto; a code made late for a step that has passed is not drawn.
 */

export interface RollingDisplayParts {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  countdown: HTMLElement;
  bar: HTMLElement;
  nextIn: (seconds: number) => string;
  /** What the QR code may measure on screen, in CSS pixels. */
  maxSize: () => number;
  now?: () => number;
  onError: (err: unknown) => void;
}

export class RollingDisplay {
  private timer: ReturnType<typeof setInterval> | undefined;
  private shownStep = -1;
  private pendingStep = -1;

  constructor(
    private readonly parts: RollingDisplayParts,
    private readonly pass: Uint8Array,
    private readonly request: Omit<CodeRequest, 'step'>,
    private readonly sign: PhoneSigner,
  ) {}

  start(): void {
    this.tick();
    // A quarter second: the countdown moves by whole seconds and the new code is late by at most this.
    this.timer = setInterval(() => this.tick(), 250);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.shownStep = this.pendingStep = -1;
  }

  private tick(): void {
    const now = (this.parts.now ?? Date.now)();
    const step = stepAt(now);
    const left = STEP_SECONDS - ((now / 1000) % STEP_SECONDS);
    this.parts.countdown.textContent = this.parts.nextIn(Math.ceil(left));
    this.parts.bar.style.width = `${(left / STEP_SECONDS) * 100}%`;
    if (step !== this.shownStep && step !== this.pendingStep) void this.draw(step);
  }

  private async draw(step: number): Promise<void> {
    this.pendingStep = step;
    try {
      const text = await rollingCodeText(this.pass, { ...this.request, step }, this.sign);
      if (this.timer === undefined || stepAt((this.parts.now ?? Date.now)()) !== step) return;
      const { version } = drawQr(this.parts.canvas, text, this.parts.maxSize());
      this.shownStep = step;
      // For a person or a test to see which step is on screen; the code itself is only in the image.
      this.parts.root.dataset['step'] = String(step);
      this.parts.root.dataset['qrVersion'] = String(version);
    } catch (err) {
      // Not again within this step: the next step tries afresh.
      this.shownStep = step;
      this.parts.onError(err);
    } finally {
      if (this.pendingStep === step) this.pendingStep = -1;
    }
  }
}
