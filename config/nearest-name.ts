/*
 * "Did you mean" for names a person typed: a time zone, a role, a point, a bit. Two kinds of slip
 * are common in vendor files: a typo (`batteryTemprature`) and the vendor's longer or shorter word
 * for the same thing (`smokeDetected` for `smoke`, `temperature` for `batteryTemperature`), which
 * no edit distance finds, so a name that contains the other counts as near too.
 */

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The candidate nearest to `typed`, or undefined when none is near enough to be a likely slip. */
export function nearestName(typed: string, candidates: Iterable<string>): string | undefined {
  const lower = typed.toLowerCase();
  const limit = Math.max(2, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    if (other === lower && candidate !== typed) return candidate;
    const distance = editDistance(lower, other);
    // Containment is a weaker sign than a near spelling: rank it after every typo within the limit.
    const contained = other.length >= 3 && lower.length >= 3 && (other.includes(lower) || lower.includes(other));
    const score = distance <= limit ? distance : contained ? limit + 1 + Math.abs(other.length - lower.length) / 100 : Number.POSITIVE_INFINITY;
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

/** ` (did you mean X?)`, or nothing. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const near = nearestName(typed, candidates);
  return near !== undefined && near !== typed ? ` (did you mean ${near}?)` : '';
}
