import type { StationSimulator } from '../simulator-set.js';

/** What `help` answers on a simulator's stdin: the shape of a command and where each kind's words are. */
export function stationCommandHelp(sim: Pick<StationSimulator, 'devices'>): string {
  const kinds = new Map(sim.devices.map((d) => [d.kind, d]));
  const lines = ['Commands: <device-id> <command>   (devices: list)'];
  return lines.concat([...kinds.values()].map((d) => `  ${d.kind}: "${d.id} help" lists its commands`)).join('\n');
}

/** What `devices` / `list` answers: one device a line, with where the gateway reaches it. */
export function stationDeviceList(sim: Pick<StationSimulator, 'devices'>): string {
  return sim.devices.map((d) => `${d.id} ${d.kind} ${d.address}`).join('\n');
}
