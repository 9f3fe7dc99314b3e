import type { ConfigProblem } from './config-error.js';
import { renderPath, type ParsedYaml } from './read-yaml-file.js';
import { keyLine } from './yaml-key-line.js';

/** Where the profile came from, for lines: its file and, when it was parsed from YAML, the document. */
export interface ProfileSource {
  file: string;
  parsed?: ParsedYaml | undefined;
}

/** What the checks of one profile found: refusals on the profile's lines, and notices. */
export class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly notices: ConfigProblem[] = [];
  constructor(private readonly source: ProfileSource) {}

  /** A problem at `path`, on the line of its key (or of `linePath`'s, for something missing there). */
  problem(path: ReadonlyArray<string | number>, message: string, linePath: ReadonlyArray<string | number> = path): void {
    const line = this.source.parsed ? keyLine(this.source.parsed, linePath) : undefined;
    this.problems.push({ file: this.source.file, line, path: renderPath(path), message });
  }

  notice(message: string): void {
    this.notices.push({ file: this.source.file, path: '', message });
  }
}
