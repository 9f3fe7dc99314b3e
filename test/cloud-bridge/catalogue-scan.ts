import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { packageRoot } from '../../config/package-root.js';

/**
 * Finds, in source text, every alarm the code raises and every event type it records, and
 * compares them with a catalogue both ways. Read from the syntax tree (not with regexes over
 * lines) so a call split over lines, a name kept in a constant (`alarm: STILL_ALARM`), in an
 * object (`WATER_ALARMS.leak`) or built by a function (`overheatAlarm(n)` → `slot.overheat.<n>`)
 * is found as surely as a literal.
 */

export interface SourceText {
  path: string;
  text: string;
}

export interface Found {
  name: string;
  /** For alarms: the severities it is raised with; empty for events. */
  severities: string[];
  at: string;
}

export interface ScanResult {
  alarms: Found[];
  events: Found[];
  /** Raises whose name or severity the scan could not resolve: a test fails on them too. */
  unresolved: string[];
}

const EVENT_TYPE = /^[a-z]+(\.[a-z-]+)+$/;

/** The project's own source, as a fresh clone has it (tests, the catalogues and their docs renderer excluded). */
export function projectSources(): SourceText[] {
  const root = packageRoot();
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', ':!test/**', ':!**/*.d.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return files.filter((f) => !CATALOGUE_FILES.has(f)).map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** They name alarms and events to describe them, not to raise them: counting them would hide a dead entry. */
const CATALOGUE_FILES = new Set(['cloud-bridge/alarm-catalogue.ts', 'cloud-bridge/event-catalogue.ts', 'cloud-bridge/catalogue-reference.ts', 'cloud-bridge/contract-reference.ts']);

/**
 * Device drivers and bench simulators speak device events (`door.opened` from a lock, `smoke.changed`
 * from a GPIO pin) of the same shape; what reaches `S/events` is only what the station records.
 */
const recordsStationEvents = (path: string): boolean => /^(gateway|cloud-bridge|simulators\/fleet)\//.test(path);

type Value = string | Map<string, string>;

/** Parsing the whole project takes seconds; the tests scan it several times over. */
const parsedFiles = new Map<string, ts.SourceFile>();
const parse = (s: SourceText): ts.SourceFile => {
  const key = `${s.path}\n${s.text}`;
  let file = parsedFiles.get(key);
  if (!file) {
    file = ts.createSourceFile(s.path, s.text, ts.ScriptTarget.Latest, true);
    parsedFiles.set(key, file);
  }
  return file;
};

export function scanSources(sources: readonly SourceText[]): ScanResult {
  const parsed = sources.map((s) => ({ path: s.path, file: parse(s) }));
  const defs = new Map<string, Map<string, Value>>();
  for (const { path, file } of parsed) defs.set(path, collectDefinitions(file));
  const lookup = (path: string, name: string): Value | undefined => {
    const own = defs.get(path)?.get(name);
    if (own !== undefined) return own;
    const elsewhere = [...defs.values()].map((d) => d.get(name)).filter((v) => v !== undefined);
    return elsewhere.length === 1 ? elsewhere[0] : undefined;
  };

  const result: ScanResult = { alarms: [], events: [], unresolved: [] };
  for (const { path, file } of parsed) {
    const at = (node: ts.Node): string => `${path}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;
    const resolve = (e: ts.Expression): string[] | undefined => resolveStrings(e, (name) => lookup(path, name));
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isRaise(node.expression)) {
        const arg = node.arguments[0];
        const props = arg && ts.isObjectLiteralExpression(arg) ? properties(arg) : undefined;
        const alarm = props?.get('alarm');
        if (props && alarm) {
          const names = resolve(alarm);
          const severity = props.get('severity');
          const severities = severity ? resolve(severity) : undefined;
          if (names?.length !== 1 || !severities) result.unresolved.push(`${at(node)}: ${node.getText(file).slice(0, 80)}`);
          else result.alarms.push({ name: names[0] as string, severities, at: at(node) });
        }
      }
      // Alarms described as data (the fleet simulator's conditions, raised in a loop) count where they resolve.
      if (ts.isObjectLiteralExpression(node) && !(ts.isCallExpression(node.parent) && isRaise(node.parent.expression))) {
        const props = properties(node);
        const alarm = props.get('alarm');
        const severity = props.get('severity');
        const names = alarm && severity ? resolve(alarm) : undefined;
        const severities = names && severity ? resolve(severity) : undefined;
        if (names?.length === 1 && severities) result.alarms.push({ name: names[0] as string, severities, at: at(node) });
      }
      if (recordsStationEvents(path) && ts.isObjectLiteralExpression(node)) {
        const props = properties(node);
        const type = props.get('type');
        if (type && props.has('data')) {
          const literal = ts.isStringLiteralLike(type) ? type.text : undefined;
          if (literal !== undefined && EVENT_TYPE.test(literal)) result.events.push({ name: literal, severities: [], at: at(node) });
          // `type: event.type` under `case 'door.opened': case 'door.closed':` records those types.
          else if (literal === undefined) for (const t of caseLabels(node)) result.events.push({ name: t, severities: [], at: at(node) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return result;
}

function isRaise(callee: ts.Expression): boolean {
  return ts.isPropertyAccessExpression(callee) && (callee.name.text === 'raise' || callee.name.text === 'raiseVolatile');
}

function properties(o: ts.ObjectLiteralExpression): Map<string, ts.Expression> {
  const out = new Map<string, ts.Expression>();
  for (const p of o.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out.set(p.name.text, p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) out.set(p.name.text, p.name);
  }
  return out;
}

const unwrap = (e: ts.Expression): ts.Expression => (ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e) ? unwrap(e.expression) : e);

/** A string expression's possible values; a template's substitutions become `<n>`. */
function resolveStrings(expr: ts.Expression, lookup: (name: string) => Value | undefined): string[] | undefined {
  const e = unwrap(expr);
  if (ts.isStringLiteralLike(e)) return [e.text];
  if (ts.isTemplateExpression(e)) return [e.head.text + e.templateSpans.map((s) => `<n>${s.literal.text}`).join('')];
  if (ts.isConditionalExpression(e)) {
    const a = resolveStrings(e.whenTrue, lookup);
    const b = resolveStrings(e.whenFalse, lookup);
    return a && b ? [...a, ...b] : undefined;
  }
  if (ts.isIdentifier(e)) {
    const v = lookup(e.text);
    return typeof v === 'string' ? [v] : undefined;
  }
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) {
    const v = lookup(`${e.expression.text}()`);
    return typeof v === 'string' ? [v] : undefined;
  }
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)) {
    const v = lookup(e.expression.text);
    const member = v instanceof Map ? v.get(e.name.text) : undefined;
    return member === undefined ? undefined : [member];
  }
  return undefined;
}

/** Top-level constants a name can come from: strings, string-returning arrows (`name()`), objects of strings. */
function collectDefinitions(file: ts.SourceFile): Map<string, Value> {
  const defs = new Map<string, Value>();
  const noLookup = (): undefined => undefined;
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer) continue;
      const init = unwrap(d.initializer);
      if (ts.isArrowFunction(init) && !ts.isBlock(init.body)) {
        const v = resolveStrings(init.body, noLookup);
        if (v?.length === 1) defs.set(`${d.name.text}()`, v[0] as string);
      } else if (ts.isObjectLiteralExpression(init)) {
        const members = new Map<string, string>();
        for (const [k, v] of properties(init)) {
          const s = resolveStrings(v, noLookup);
          if (s?.length === 1) members.set(k, s[0] as string);
        }
        defs.set(d.name.text, members);
      } else {
        const v = resolveStrings(init, noLookup);
        if (v?.length === 1) defs.set(d.name.text, v[0] as string);
      }
    }
  }
  return defs;
}

/** The labels of the case (and the cases falling through into it) that `node` sits in. */
function caseLabels(node: ts.Node): string[] {
  let n: ts.Node | undefined = node;
  while (n && !ts.isCaseClause(n)) n = n.parent;
  if (!n || !ts.isCaseBlock(n.parent)) return [];
  const clauses = n.parent.clauses;
  const labels: string[] = [];
  for (let i = clauses.indexOf(n); i >= 0; i--) {
    const c = clauses[i] as ts.CaseOrDefaultClause;
    if (i !== clauses.indexOf(n) && c.statements.length > 0) break;
    if (ts.isCaseClause(c) && ts.isStringLiteralLike(c.expression)) labels.push(c.expression.text);
  }
  return labels;
}

export interface CatalogueView {
  alarms: ReadonlyArray<{ name: string; severities: readonly string[] }>;
  events: readonly string[];
}

/** `slot.overheat.<n>` covers the code's `slot.overheat.${n}` (scanned as `<n>` too) and a literal `slot.overheat.3`. */
const matches = (entry: string, name: string): boolean => entry === name || (entry.endsWith('.<n>') && name.startsWith(entry.slice(0, -3)) && /^[1-9]\d*$/.test(name.slice(entry.length - 3)));

/**
 * Both directions: what the code raises or records that the catalogue lacks (or raises with a
 * severity the catalogue does not give it), and what the catalogue lists that nothing raises.
 */
export function compareWithCatalogue(found: ScanResult, catalogue: CatalogueView): string[] {
  const problems = found.unresolved.map((u) => `cannot tell which alarm or severity this raises: ${u}`);
  for (const a of found.alarms) {
    const entry = catalogue.alarms.find((e) => matches(e.name, a.name));
    if (!entry) problems.push(`${a.at} raises ${a.name}, which the alarm catalogue lacks`);
    else for (const s of a.severities) if (!entry.severities.includes(s)) problems.push(`${a.at} raises ${a.name} as ${s}; the catalogue says ${entry.severities.join(' or ')}`);
  }
  for (const e of catalogue.alarms) {
    if (!found.alarms.some((a) => matches(e.name, a.name))) problems.push(`the alarm catalogue lists ${e.name}, which nothing raises`);
    for (const s of e.severities) if (!found.alarms.some((a) => matches(e.name, a.name) && a.severities.includes(s))) problems.push(`the alarm catalogue lists ${e.name} as ${s}, which nothing raises it as`);
  }
  for (const ev of found.events) if (!catalogue.events.includes(ev.name)) problems.push(`${ev.at} records ${ev.name}, which the event catalogue lacks`);
  for (const t of catalogue.events) if (!found.events.some((ev) => ev.name === t)) problems.push(`the event catalogue lists ${t}, which nothing records`);
  return problems;
}
