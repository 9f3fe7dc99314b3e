import type { StationSimulator } from '../../simulators/simulator-set.js';

/*
 * A simulated rider at the demo's cabinets, so a swap started from the console or the printed
 * line can finish: when a slot's door opens, they put their flat battery into it if it is empty
 * and take the battery out if it holds one (the offered one, or their own handed back). They act
 * through the simulators' control language, exactly what a person typing `cabinet-1 slot 3
 * insert 20 48` would do, so the cabinet simulator itself stays free of demo behaviour and the
 * tests, which start no rider, see a cabinet nobody touches.
 */

interface SlotView {
  slot: number;
  state: string;
  door: string;
  packType: number;
  soc: number;
}

export interface DemoRiderOptions {
  sim: Pick<StationSimulator, 'device' | 'command'>;
  cabinets: readonly string[];
  /** How long the rider takes to reach into an open door (default 1000 ms; doors stay open 4–7 s). */
  reachMs?: number;
  /** How often the doors are looked at (default 250 ms). */
  watchMs?: number;
  /** SOC of the battery the rider brings (default 20). */
  soc?: number;
  /** What the rider did, one line each (`rider: cabinet-1 slot 3 insert 20 48: ok`). */
  say(text: string): void;
}

export interface DemoRider {
  stop(): void;
}

export function startDemoRider(options: DemoRiderOptions): DemoRider {
  const reachMs = options.reachMs ?? 1000;
  const soc = options.soc ?? 20;
  const doors = new Map<string, string>();
  const pending = new Set<NodeJS.Timeout>();
  let stopped = false;

  const slotsOf = (cabinet: string): SlotView[] => {
    const slots = options.sim.device(cabinet).state()['slots'];
    return Array.isArray(slots) ? (slots as SlotView[]) : [];
  };

  // The rider's battery is of a pack type the cabinet has a charged one of, or a swap cannot end well.
  const packFor = (cabinet: string): number => {
    const ready = slotsOf(cabinet).filter((s) => s.state === 'ready').sort((a, b) => b.soc - a.soc);
    return ready[0]?.packType || 48;
  };

  const act = (cabinet: string, slot: number): void => {
    if (stopped) return;
    const now = slotsOf(cabinet).find((s) => s.slot === slot);
    if (!now || now.door !== 'open') return;
    const command = now.state === 'empty' ? `${cabinet} slot ${slot} insert ${soc} ${packFor(cabinet)}` : `${cabinet} slot ${slot} remove`;
    options.sim.command(command).then(
      () => options.say(`rider: ${command}: ok`),
      (err: unknown) => options.say(`rider: ${command}: error: ${err instanceof Error ? err.message : String(err)}`),
    );
  };

  const look = (): void => {
    for (const cabinet of options.cabinets) {
      for (const s of slotsOf(cabinet)) {
        const key = `${cabinet}/${s.slot}`;
        const before = doors.get(key);
        doors.set(key, s.door);
        // Only a door that opens while the rider watches: one open at the start was not for them.
        if (before !== 'closed' || s.door !== 'open') continue;
        const timer = setTimeout(() => {
          pending.delete(timer);
          act(cabinet, s.slot);
        }, reachMs);
        pending.add(timer);
      }
    }
  };

  look();
  const watcher = setInterval(look, options.watchMs ?? 250);
  return {
    stop() {
      stopped = true;
      clearInterval(watcher);
      for (const t of pending) clearTimeout(t);
      pending.clear();
    },
  };
}
