/** The topic tree of the contract (docs/mqtt-topics.md); `S` = `<prefix>/<stationId>`. */
export interface StationTopics {
  root: string;
  status: string;
  device(deviceId: string): string;
  alarms: string;
  availability: string;
  events: string;
  command(name: string): string;
  commandWildcard: string;
}

export function stationTopics(prefix: string, stationId: string): StationTopics {
  const root = `${prefix}/${stationId}`;
  return {
    root,
    status: `${root}/status`,
    device: (id) => `${root}/devices/${id}`,
    alarms: `${root}/alarms`,
    availability: `${root}/availability`,
    events: `${root}/events`,
    command: (name) => `${root}/cmd/${name}`,
    commandWildcard: `${root}/cmd/+`,
  };
}
