import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface LineControlOptions {
  input: Readable;
  output: Writable;
  /** Runs one line of the control language and returns its answer. */
  run(line: string): Promise<string>;
  /** Answers `help` and `devices` / `list` without a device id. */
  help(): string;
  list(): string;
}

/**
 * The control channel on stdin: one command per line, each answer on stdout prefixed `ok:` or
 * `error:` so a script (or a test) can tell them apart. End of input is not the end of the
 * simulator: a crew may start it with stdin closed.
 */
export function startLineControl(options: LineControlOptions): () => void {
  const rl = createInterface({ input: options.input, terminal: false });
  const say = (text: string): void => {
    options.output.write(`${text}\n`);
  };
  // One command at a time, in order, as typed.
  let queue = Promise.resolve();
  rl.on('line', (raw) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    queue = queue.then(async () => {
      if (line === 'help' || line === '?') return say(options.help());
      if (line === 'devices' || line === 'list') return say(options.list());
      try {
        // As typed: a scan's text keeps its spaces, at the end too.
        say(`ok: ${(await options.run(raw)).replace(/\n/g, '\n    ')}`);
      } catch (err) {
        say(`error: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  });
  return () => rl.close();
}
