import { describe, expect, it } from 'vitest';
import { parseScenario, playScenario, ScenarioError } from '../../../simulators/scenario/scenario.js';

describe('scenario files', () => {
  it('reads steps with times and one or several commands, in time order', () => {
    const s = parseScenario(`
- at: 5s
  do: cabinet-1 slot 3 temperature 62
- at: 500ms
  do: [water-1 leak on, occupancy-1 person still]
- at: 1
  do: lock-1 fault delay 800
`);
    expect(s.steps.map((st) => [st.atMs, st.commands])).toEqual([
      [500, ['water-1 leak on', 'occupancy-1 person still']],
      [1000, ['lock-1 fault delay 800']],
      [5000, ['cabinet-1 slot 3 temperature 62']],
    ]);
    expect(s.steps[2]?.line).toBe(2);
  });

  it('accepts a mapping with steps', () => {
    expect(parseScenario('steps:\n  - { at: 0s, do: water-1 tank empty }').steps).toHaveLength(1);
  });

  it('names the step and line of a mistake', () => {
    expect(() => parseScenario('- at: soon\n  do: x y')).toThrow(ScenarioError);
    expect(() => parseScenario('- at: soon\n  do: x y', 's.yaml')).toThrow(/s\.yaml:1: step 1: at:/);
    expect(() => parseScenario('- at: 1s\n  do: a b\n- at: 2s\n  run: c', 's.yaml')).toThrow(/s\.yaml:3: step 2: unknown key "run"/);
    expect(() => parseScenario('- at: 1s\n  do: [1, 2]')).toThrow(/"do" must be/);
    expect(() => parseScenario('at: 1s')).toThrow(/list of steps/);
  });

  it('plays the commands at their times, reports failures and goes on', async () => {
    const s = parseScenario('- { at: 0s, do: a }\n- { at: 200ms, do: [bad, b] }');
    const seen: Array<[string, number]> = [];
    const start = performance.now();
    const run = playScenario(s, async (c) => {
      seen.push([c, performance.now() - start]);
      if (c === 'bad') throw new Error('no such thing');
      return `did ${c}`;
    });
    const outcomes = await run.done;
    expect(outcomes.map((o) => [o.command, o.ok, o.result])).toEqual([
      ['a', true, 'did a'],
      ['bad', false, 'no such thing'],
      ['b', true, 'did b'],
    ]);
    // Lower bound only: the second step never runs early.
    expect(seen[1]?.[1] ?? 0).toBeGreaterThanOrEqual(199);
  });

  it('stops before later steps', async () => {
    const s = parseScenario('- { at: 0s, do: a }\n- { at: 10s, do: b }');
    const ran: string[] = [];
    const run = playScenario(s, async (c) => {
      ran.push(c);
      return c;
    });
    await new Promise((r) => setTimeout(r, 50));
    run.stop();
    expect((await run.done).map((o) => o.command)).toEqual(['a']);
    expect(ran).toEqual(['a']);
  });
});
