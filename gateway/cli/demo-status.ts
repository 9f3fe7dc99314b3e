/**
 * The demo's compact live view, built only from what the station publishes: it shows what an
 * operator would see from the cloud side, not the gateway's internals.
 */

export interface StatusView {
  stationId: string;
  status?: { online: boolean; bootId?: string; version?: string };
  devices: Map<string, DeviceView>;
  events: number;
  lastEvent?: string;
}

interface DeviceView {
  online: boolean;
  kind: string;
  points: Record<string, unknown>;
}

export function emptyView(stationId: string): StatusView {
  return { stationId, devices: new Map(), events: 0 };
}

/** Folds one MQTT message into the view; returns false for topics the view does not show. */
export function applyMessage(view: StatusView, topic: string, payload: Buffer): boolean {
  const root = `/${view.stationId}/`;
  const at = topic.indexOf(root);
  if (at < 0) return false;
  const rest = topic.slice(at + root.length);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (rest === 'status') {
    view.status = { online: body['online'] === true, bootId: String(body['bootId'] ?? ''), version: String(body['version'] ?? '') };
    return true;
  }
  if (rest.startsWith('devices/')) {
    view.devices.set(rest.slice('devices/'.length), {
      online: body['online'] === true,
      kind: String(body['kind'] ?? ''),
      points: (body['points'] as Record<string, unknown> | undefined) ?? {},
    });
    return true;
  }
  if (rest === 'events') {
    view.events++;
    view.lastEvent = `${String(body['type'])}${body['device'] ? ` ${String(body['device'])}` : ''}`;
    return true;
  }
  return false;
}

export function renderView(view: StatusView): string[] {
  const s = view.status;
  const head = s
    ? `gateway ${s.online ? 'ONLINE' : 'OFFLINE'}${s.version ? ` v${s.version}` : ''}${s.bootId ? ` boot ${s.bootId}` : ''}`
    : 'gateway: waiting for its status…';
  const lines = [head];
  for (const [id, d] of [...view.devices].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${id.padEnd(13)} ${(d.online ? 'online' : 'OFFLINE').padEnd(8)} ${summarise(d)}`);
  }
  lines.push(`  events: ${view.events}${view.lastEvent ? ` (last: ${view.lastEvent})` : ''}`);
  return lines;
}

function summarise(d: DeviceView): string {
  const p = d.points;
  switch (d.kind) {
    case 'door-lock': {
      const doors = (p['doors'] ?? {}) as Record<string, { bolt?: string; door?: string }>;
      return Object.entries(doors)
        .map(([n, s]) => `door ${n} ${s.bolt ?? '?'}/${s.door ?? '?'}`)
        .join(' · ');
    }
    case 'battery-cabinet': {
      const slots = (p['slots'] ?? []) as Array<{ state?: string }>;
      const by = new Map<string, number>();
      for (const slot of slots) by.set(slot.state ?? '?', (by.get(slot.state ?? '?') ?? 0) + 1);
      const parts = [...by].map(([state, n]) => `${n} ${state}`).join(' · ');
      return `${slots.length} slots: ${parts} · ${String(p['cabinetTemp'] ?? '?')} °C`;
    }
    case 'water-dispenser':
      return `tank ${String(p['tankLevel'] ?? '?')}% · hot ${String(p['hotTemp'] ?? '?')} °C · ${String(p['session'] ?? '?')}`;
    case 'occupancy':
      return `${String(p['people'] ?? '?')} inside · still ${String(p['stillSeconds'] ?? '?')} s`;
    case 'qr-scanner':
      return `${String(p['scans'] ?? 0)} scans · ${String(p['dropped'] ?? 0)} dropped`;
    default:
      return '';
  }
}
