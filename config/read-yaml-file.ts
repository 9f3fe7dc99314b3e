import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';

export interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

/** Station and profile files are a few KiB; anything this big is a mistake, refused before parsing. */
export const MAX_YAML_BYTES = 1024 * 1024;

/** Reads and parses a YAML file; problems (missing file, syntax) are returned, never thrown. */
export function readYamlFile(file: string): { parsed?: ParsedYaml; problems: ConfigProblem[] } {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_YAML_BYTES) return { problems: [{ file, path: '', message: `file is ${size} bytes; a config or profile file is at most ${MAX_YAML_BYTES}` }] };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`;
    return { problems: [{ file, path: '', message: why }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => {
        const first = e.linePos?.[0];
        return { file, line: first?.line, path: '', message: `YAML: ${yamlErrorText(e.message, first?.col)}` };
      }),
    };
  }
  let value: unknown;
  try {
    // Throws for an alias with no anchor (`*a`) and for alias bombs (more than 100 expansions).
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { problems: [{ file, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ file, path: '', message: 'expected a mapping of keys at the top level' }] };
  }
  return { parsed: { doc, lines, value }, problems: [] };
}

/**
 * yaml's pretty message is "<what> at line 3, column 9:" followed by the source excerpt; the line
 * is already in `file:line`, so keep what went wrong and the column, without the dangling colon.
 */
function yamlErrorText(message: string, column: number | undefined): string {
  const what = (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
  return column !== undefined ? `${what} (column ${column})` : what;
}

/** Turns zod issues into problems with a readable key path and, where the node exists, a line. */
export function issuesToProblems(
  file: string,
  parsed: ParsedYaml,
  issues: readonly z.core.$ZodIssue[],
  label: (path: readonly PropertyKey[]) => string = renderPath,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push(problemAt(file, parsed, [...path, key], label, `unknown key "${key}" (check its spelling and place)`));
      }
      continue;
    }
    out.push(problemAt(file, parsed, path, label, describeIssue(issue, valueAt(parsed.value, path))));
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function problemAt(
  file: string,
  parsed: ParsedYaml,
  path: readonly PropertyKey[],
  label: (path: readonly PropertyKey[]) => string,
  message: string,
): ConfigProblem {
  return { file, line: lineOf(parsed, path), path: label(path), message };
}

const isDefaultMessage = (m: string): boolean => m.startsWith('Invalid input');

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    if (!isDefaultMessage(issue.message)) return issue.message;
    if (value === undefined) return `is required (${issue.expected})`;
    return `must be ${article(issue.expected)}, not ${describeValue(value)}`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    const options = (issue as { options?: unknown[] }).options ?? [];
    return `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const cmp = issue.code === 'too_small' ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
    const what = issue.origin === 'array' ? 'entries' : issue.origin === 'string' ? 'characters' : '';
    return `must be ${cmp} ${String(bound)}${what ? ` ${what}` : ''}`;
  }
  return issue.message;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The line of the node at `path`, or of the nearest node above it that exists. */
export function lineOf(parsed: ParsedYaml, path: readonly PropertyKey[]): number | undefined {
  // The key itself may be missing: walk up to the nearest node that exists.
  for (let n = path.length; n >= 0; n--) {
    const node = parsed.doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return parsed.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

export function renderPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const part of path) {
    if (typeof part === 'number') s += `[${part}]`;
    else s += s ? `.${String(part)}` : String(part);
  }
  return s;
}

/**
 * A YAML file checked against a zod schema, every problem at once as a ConfigError
 * (`CONFIG_INVALID`, exit 2), with a resolver for the paths it names (relative to its folder).
 */
export function readCheckedYamlFile<S extends z.ZodType>(path: string, schema: S): { value: z.output<S>; parsed: ParsedYaml; file: string; at: (p: string) => string } {
  const file = resolve(path);
  const { parsed, problems } = readYamlFile(file);
  if (!parsed) throw new ConfigError(problems);
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) throw new ConfigError(issuesToProblems(file, parsed, checked.error.issues));
  const base = dirname(file);
  return { value: checked.data, parsed, file, at: (p) => (isAbsolute(p) ? p : resolve(base, p)) };
}
