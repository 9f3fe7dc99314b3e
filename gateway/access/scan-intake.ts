import type { Logger } from 'pino';
import type { AccessService } from './access-service.js';
import { looksLikeCredential, tokenText } from './token-text.js';

/** A phone held to the scanner is read several times a second; the same text within this time is one scan. */
export const REPEAT_WINDOW_MS = 5000;

/**
 * Turns what a station's QR scanner reads into access attempts. This path needs no uplink: the
 * token or rolling code is verified on the box. Repeats of the same screen within a few seconds
 * are one attempt. Codes that are neither (a poster, a bottle) go to the access service all the same, which
 * counts and drops them with the other junk, apart from what verified tokens may spend.
 */
export class ScanIntake {
  private readonly recent = new Map<string, number>();
  private notTokens = 0;

  constructor(
    private readonly access: AccessService,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Handles one scan; resolves when the attempt is decided (never rejects). */
  async scanned(scanner: string, text: string): Promise<void> {
    const trimmed = tokenText(text);
    // A phone shows a rolling code for 5 s and a scanner reads it many times a second: those
    // reads are one attempt, as for a token. Junk is not remembered (it would fill the map).
    if (looksLikeCredential(trimmed)) {
      const t = this.now();
      for (const [k, at] of this.recent) if (t - at > REPEAT_WINDOW_MS) this.recent.delete(k);
      const key = `${scanner}\n${trimmed}`;
      if (this.recent.has(key)) return;
      this.recent.set(key, t);
    } else {
      this.notTokens++;
    }
    try {
      const result = await this.access.handle({ kind: 'scanner', device: scanner }, trimmed);
      this.log.info({ scanner, result }, 'scan granted');
    } catch (err) {
      // The access service logged the refusal and wrote access.denied; nothing more to do here.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') this.log.error({ err, scanner }, 'scan could not be decided');
    }
  }

  /** Scans that were neither access tokens nor rolling codes. */
  get dropped(): number {
    return this.notTokens;
  }
}
