/*
 * Which resource a door is, as the operator told the console, for a station whose birth lists no
 * `resources` (a gateway older than the field; docs/console.md): the name an unlock code must
 * carry is asked once per door and remembered in this browser, per station, lock and door.
 */

const KEY = 'station-console.door-resources';

function load(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const doorKey = (station: string, device: string, door: string): string => `${station}/${device}/${door}`;

export function rememberedResource(station: string, device: string, door: string): string | undefined {
  return load()[doorKey(station, device, door)];
}

export function rememberResource(station: string, device: string, door: string, res: string): void {
  const all = load();
  all[doorKey(station, device, door)] = res;
  save(all);
}

export function forgetResource(station: string, device: string, door: string): void {
  const all = load();
  delete all[doorKey(station, device, door)];
  save(all);
}

function save(all: Record<string, string>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // A browser that keeps nothing asks again next time.
  }
}
