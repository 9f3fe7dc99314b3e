import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { parseDurationMs } from '../faults/transport-faults.js';

/*
 * A scenario is a timeline of control commands, the same language as stdin and the control API:
 *
 *   - at: 5s
 *     do: cabinet-1 slot 3 temperature 62
 *   - at: 20s
 *     do: [water-1 leak on, occupancy-1 person still]
 *
 * `at` is the time since the scenario started (`500ms`, `5s`, `2m`; a bare number is seconds).
 * Steps run in time order; steps at the same time run in file order.
 */

export interface ScenarioStep {
  atMs: number;
  commands: string[];
  /** Line in the file, for messages. */
  line?: number | undefined;
}

export interface Scenario {
  source: string;
  steps: ScenarioStep[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code = 'SIM_SCENARIO';
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, source = 'scenario'): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) throw new ScenarioError(`${source}: YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'unreadable'}`);
  const lineOf = (node: Node | null | undefined): number | undefined => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const root = doc.contents;
  const list = isMap(root) ? root.get('steps', true) : root;
  if (!isSeq(list)) throw new ScenarioError(`${source}: a scenario is a list of steps (- at: 5s / do: <command>)`);
  const steps: ScenarioStep[] = list.items.map((item, i) => {
    const line = lineOf(item as Node);
    const where = `${source}${line ? `:${line}` : ''}: step ${i + 1}`;
    if (!isMap(item)) throw new ScenarioError(`${where}: must be a mapping with "at" and "do"`);
    const value = item.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(value)) if (key !== 'at' && key !== 'do') throw new ScenarioError(`${where}: unknown key "${key}" (at, do)`);
    const at = value['at'];
    let atMs: number;
    try {
      atMs = typeof at === 'number' && at >= 0 ? Math.round(at * 1000) : typeof at === 'string' ? parseDurationMs(at, 's') : NaN;
    } catch (err) {
      throw new ScenarioError(`${where}: at: ${(err as Error).message}`);
    }
    if (!Number.isFinite(atMs)) throw new ScenarioError(`${where}: "at" must be a time such as 5s, 500ms or 2m`);
    const does = value['do'];
    const commands = typeof does === 'string' ? [does] : Array.isArray(does) && does.every((d) => typeof d === 'string') ? (does as string[]) : undefined;
    if (!commands || commands.length === 0 || commands.some((c) => c.trim() === '')) throw new ScenarioError(`${where}: "do" must be a command or a list of commands`);
    return { atMs, commands: commands.map((c) => c.trim()), line };
  });
  // A stable sort keeps file order among steps at the same time.
  steps.sort((a, b) => a.atMs - b.atMs);
  return { source, steps };
}

export interface StepOutcome {
  atMs: number;
  command: string;
  ok: boolean;
  /** The command's answer, or the error's message. */
  result: string;
}

export interface ScenarioRunOptions {
  /** Called after each command, in order. */
  onStep?: (outcome: StepOutcome) => void;
}

export interface ScenarioRun {
  /** Resolves with every outcome once the last step ran, or when stopped. */
  readonly done: Promise<StepOutcome[]>;
  stop(): void;
}

/** Runs the steps against `run` on a timer; a failed command is reported and the timeline goes on. */
export function playScenario(scenario: Scenario, run: (command: string) => Promise<string>, options: ScenarioRunOptions = {}): ScenarioRun {
  const outcomes: StepOutcome[] = [];
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish: (value: StepOutcome[]) => void = () => undefined;
  const done = new Promise<StepOutcome[]>((resolve) => (finish = resolve));

  const runFrom = async (index: number): Promise<void> => {
    const step = scenario.steps[index];
    if (!step || stopped) return finish(outcomes);
    const wait = step.atMs - (performance.now() - start);
    if (wait > 0) {
      timer = setTimeout(() => void runFrom(index), wait);
      return;
    }
    for (const command of step.commands) {
      if (stopped) break;
      let outcome: StepOutcome;
      try {
        outcome = { atMs: step.atMs, command, ok: true, result: await run(command) };
      } catch (err) {
        outcome = { atMs: step.atMs, command, ok: false, result: err instanceof Error ? err.message : String(err) };
      }
      outcomes.push(outcome);
      options.onStep?.(outcome);
    }
    await runFrom(index + 1);
  };
  void runFrom(0);
  return {
    done,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      finish(outcomes);
    },
  };
}
