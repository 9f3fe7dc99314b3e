/*
 * How fast a battery's temperature rises, as an early sign of thermal runaway.
 *
 * Why 2 °C per minute sustained over 60 s by default:
 * - Runaway itself is far faster. GB 38031 (EV traction battery safety, 2020 and 2025 editions,
 *   Annex C, "thermal runaway triggering conditions") counts a cell as in runaway when its
 *   monitored temperature rises at dT/dt >= 1 °C/s (60 °C/min) for more than 3 s. By then a
 *   charging cut is too late to matter.
 * - Self-heating starts far slower: accelerating-rate calorimetry detects a cell's onset of
 *   self-heating at 0.02 °C/min (Feng et al., "Thermal runaway mechanism of lithium ion battery for
 *   electric vehicles: A review", Energy Storage Materials 10 (2018) 246-267), and in a ventilated
 *   cabinet that early stage is masked by cooling: what a pack sensor sees before venting is a
 *   rise of a few °C per minute that keeps going.
 * - Charging heat is slower still: an e-bike pack charged at 0.2-0.5 C typically warms by 5-15 °C
 *   over one to three hours, well under 0.5 °C/min (our estimate from pack heat capacity and
 *   charger current, not a measured figure: a bench run with the vendor's packs should confirm it).
 * So 2 °C/min is several times what charging does and ten to thirty times below the runaway
 * criteria: a slot crossing it has its charging cut minutes before 60 °C, while a pack that
 * merely charges warm never trips it. A whole minute of readings is needed so that a sensor's
 * noise and 0.1-1 °C quantisation steps do not read as a rate.
 *
 * The rate is the Theil-Sen estimate (the median of the slopes between every pair of readings in
 * the window): one or two wild readings in a window move it not at all, where a least-squares
 * slope or a first-to-last difference would trip on a single spike. Readings with gaps (the
 * cabinet offline, polls failing, the sensor not answering) restart the window: a rate is only
 * ever measured across readings that were actually taken.
 */

export const DEFAULT_RISE_C_PER_MINUTE = 2;
export const DEFAULT_RISE_WINDOW_MS = 60_000;

/** Readings needed in the window before a rate counts. */
const MIN_READINGS = 5;
/** Readings kept per window at most (the estimate is quadratic in them). */
const KEPT_PER_WINDOW = 30;

interface Reading {
  t: number;
  c: number;
}

/** One slot's recent pack temperatures, and the rate they rise at. */
export class TemperatureRise {
  private readings: Reading[] = [];
  private lastSeen: number | undefined;
  private ignoreUntil = -Infinity;
  private readonly spacingMs: number;
  private readonly maxGapMs: number;

  constructor(private readonly windowMs: number = DEFAULT_RISE_WINDOW_MS) {
    this.spacingMs = windowMs / KEPT_PER_WINDOW;
    // A quarter of the window without a reading (15 s by default, fifteen missed polls at the
    // default 1 s) is a gap, not a quiet sensor.
    this.maxGapMs = windowMs / 4;
  }

  /**
   * Forgets every reading. `settleMs` ignores the next readings for that long: a battery just
   * put in warms or cools the slot's sensor to its own temperature, which is no rate of the pack.
   */
  reset(now?: number, settleMs = 0): void {
    this.readings = [];
    this.lastSeen = undefined;
    this.ignoreUntil = now === undefined ? -Infinity : now + settleMs;
  }

  /**
   * Feeds one reading (°C, or undefined when the reading had none); returns the rise in °C per
   * minute once a whole window of readings without gaps supports one, else undefined.
   */
  observe(now: number, celsius: number | undefined): number | undefined {
    if (celsius === undefined || !Number.isFinite(celsius)) {
      this.reset(now);
      return undefined;
    }
    if (now < this.ignoreUntil) return undefined;
    if (this.lastSeen !== undefined && now - this.lastSeen > this.maxGapMs) this.readings = [];
    this.lastSeen = now;
    const kept = this.readings;
    // The newest reading is always kept; the one before it is replaced while they are closer
    // than the spacing, so a fast poll does not grow the window past KEPT_PER_WINDOW readings.
    const beforeLast = kept[kept.length - 2];
    if (beforeLast !== undefined && now - beforeLast.t < this.spacingMs) kept[kept.length - 1] = { t: now, c: celsius };
    else kept.push({ t: now, c: celsius });
    // One reading at or before the window's start is kept, so what is kept spans the whole window.
    while (kept.length > 1 && (kept[1] as Reading).t <= now - this.windowMs) kept.shift();
    const first = kept[0] as Reading;
    if (kept.length < MIN_READINGS || now - first.t < this.windowMs) return undefined;
    return medianSlope(kept) * 60_000;
  }
}

/** The Theil-Sen slope (per ms) of readings in time order. */
function medianSlope(readings: readonly Reading[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < readings.length; i++) {
    const a = readings[i] as Reading;
    for (let j = i + 1; j < readings.length; j++) {
      const b = readings[j] as Reading;
      if (b.t > a.t) slopes.push((b.c - a.c) / (b.t - a.t));
    }
  }
  slopes.sort((x, y) => x - y);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? (slopes[mid] as number) : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}
