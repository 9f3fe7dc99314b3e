/**
 * A plain JSON object: not null and not an array, both of which `typeof` calls "object". Payloads,
 * replies and point values are read through this, so the same guard holds in every layer.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
