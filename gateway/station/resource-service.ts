import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { OutOfServiceEntry } from '../../cloud-bridge/contract-schemas.js';
import { systemClock, type Clock } from '../../config/clock.js';
import { isRecord } from '../../config/is-record.js';
import { AccessDenied } from '../access/access-error.js';
import type { NewEvent } from '../store/event-outbox.js';
import { StoreFullError } from '../store/store-errors.js';
import type { SettingsStore } from './station-ports.js';

/** The settings key of the operators' overlay: one value, so a change is one durable write. */
export const SERVICE_SETTINGS_KEY = 'resources.out-of-service';

/** A resource as the station file has it: its device and whether the file takes it out of service. */
export interface ConfiguredResource {
  device: string;
  outOfService: boolean;
}

export interface ResourceServiceOptions {
  /** The station file's `resources`, by name. */
  resources: Readonly<Record<string, ConfiguredResource>>;
  /** Where the overlay survives a restart (the store's operator settings). */
  settings: SettingsStore;
  /** Where `resource.service` goes (the event recorder: it holds events through a full disk). */
  recorder: { record(event: NewEvent): void };
  log: Logger;
  clock?: Clock | undefined;
}

/** What an operator's change left on record. */
interface CommandEntry {
  since: string;
  by: string;
  reason?: string;
}

/** The result of cmd/service, as the contract gives it. */
export interface ServiceChange {
  resource: string;
  enabled: boolean;
  /** False when the resource already was where it was asked to be (nothing written). */
  changed: boolean;
}

/**
 * Which resources are out of service now: the station file's `outOfService: true`, and over it an
 * overlay that operators change with `cmd/service`, kept in the store's settings so it survives a
 * restart. The file wins: what the file takes out cannot be put back by command (the file is the
 * fleet's, and its next push would undo the command anyway). The access decision refuses a
 * resource out of service, availability lists them; both hear of a change through `changed`.
 */
export class ResourceService extends EventEmitter<{ changed: [] }> {
  private readonly clock: Clock;
  private fromCommand = new Map<string, CommandEntry>();
  /** When the station file was loaded: the `since` of what it takes out of service. */
  private loadedAt = new Date(0).toISOString();

  constructor(private readonly options: ResourceServiceOptions) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Reads the overlay. An entry for a resource the station file no longer names is dropped from
   * what applies (and said once); it is not written back until the next change.
   */
  start(): void {
    this.loadedAt = new Date(this.clock.now()).toISOString();
    const stored = this.options.settings.get<unknown>(SERVICE_SETTINGS_KEY);
    const next = new Map<string, CommandEntry>();
    for (const [name, entry] of Object.entries(isRecord(stored) ? stored : {})) {
      if (!this.options.resources[name]) {
        this.options.log.warn({ resource: name }, 'a resource taken out of service by command is no longer in the station file; ignored');
        continue;
      }
      const read = readEntry(entry);
      if (read) next.set(name, read);
      else this.options.log.warn({ resource: name }, 'unreadable out-of-service record ignored');
    }
    this.fromCommand = next;
  }

  /** Nothing runs between changes; the listeners are their owners' to remove. */
  stop(): void {}

  /** Why `resource` is out of service now, or undefined while it is in service. */
  outOfService(resource: string): OutOfServiceEntry | undefined {
    if (this.options.resources[resource]?.outOfService) return { resource, since: this.loadedAt, source: 'config' };
    const entry = this.fromCommand.get(resource);
    return entry && { resource, since: entry.since, by: entry.by, ...(entry.reason !== undefined ? { reason: entry.reason } : {}), source: 'command' };
  }

  /** Every resource out of service now, by name. */
  list(): OutOfServiceEntry[] {
    return Object.keys(this.options.resources)
      .sort()
      .flatMap((name) => this.outOfService(name) ?? []);
  }

  /** Refuses a change that could never be made, before the operator's code is spent. */
  check(resource: string, enabled: boolean): void {
    const configured = this.options.resources[resource];
    if (!configured) throw new AccessDenied('UNKNOWN_RESOURCE', `resource "${resource.slice(0, 64)}" is not configured at this station`);
    if (enabled && configured.outOfService) {
      throw new AccessDenied('FORBIDDEN', `${resource} is out of service in the station file; only a new station file puts it back`);
    }
  }

  /**
   * Takes `resource` out of service (`enabled` false) or puts it back, for operator `by`. On disk
   * before it applies: a full disk changes nothing (INTERNAL). Asking for what already holds
   * changes nothing and keeps the first record (who took it out, when, why).
   */
  set(resource: string, enabled: boolean, by: string, reason?: string): ServiceChange {
    this.check(resource, enabled);
    const out = this.outOfService(resource) !== undefined;
    if (out !== enabled) return { resource, enabled, changed: false };
    const next = new Map(this.fromCommand);
    if (enabled) next.delete(resource);
    else next.set(resource, { since: new Date(this.clock.now()).toISOString(), by, ...(reason !== undefined ? { reason } : {}) });
    try {
      this.options.settings.set(SERVICE_SETTINGS_KEY, Object.fromEntries([...next].sort(([a], [b]) => a.localeCompare(b))));
    } catch (err) {
      if (err instanceof StoreFullError) throw new AccessDenied('INTERNAL', `the station cannot record the change (disk full); ${resource} stays ${enabled ? 'out of' : 'in'} service`);
      throw err;
    }
    this.fromCommand = next;
    const { device } = this.options.resources[resource]!;
    this.options.recorder.record({ type: 'resource.service', device, data: { resource, enabled, by, ...(reason !== undefined ? { reason } : {}) } });
    this.options.log.info({ resource, enabled, by }, enabled ? 'resource put back in service by an operator' : 'resource taken out of service by an operator');
    this.emit('changed');
    return { resource, enabled, changed: true };
  }
}

function readEntry(entry: unknown): CommandEntry | undefined {
  if (!isRecord(entry) || typeof entry['since'] !== 'string' || typeof entry['by'] !== 'string') return undefined;
  if (Number.isNaN(Date.parse(entry['since']))) return undefined;
  const reason = entry['reason'];
  return { since: entry['since'], by: entry['by'], ...(typeof reason === 'string' ? { reason } : {}) };
}
