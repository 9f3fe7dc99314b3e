/**
 * The command-line filters of a usage log, as `station-gateway log` takes them, and every tool
 * that asks a station for its log from afar (`station-fleet logs`, `station-token send --cmd logs`).
 */
export const LOG_FILTER_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string' },
  device: { type: 'string' },
  sessions: { type: 'boolean' },
  limit: { type: 'string' },
} as const;
