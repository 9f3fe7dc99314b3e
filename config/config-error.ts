/** One thing wrong with a config or profile file, said so that a crew can fix it without a manual. */
export interface ConfigProblem {
  file: string;
  /** 1-based line in the file, when the problem can be pinned to one. */
  line?: number | undefined;
  /** Key path such as `devices[2] (cabinet-1).transport.port`; empty for the file as a whole. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
