import { constants } from 'node:os';
import ts from 'typescript';
import { projectSources as allSources, type SourceText } from '../cloud-bridge/catalogue-scan.js';

/**
 * Finds, in source text, every error code the code raises, and compares them with the error
 * catalogue both ways. Read from TypeScript's syntax tree, as the alarm scan is, so a code kept in
 * a constant or chosen by a conditional is found as surely as a literal. A code is raised where it is
 *
 * - an error class's `code` field (`readonly code = 'STORE_FULL'`);
 * - the first argument of a constructor (`new DeviceError('TIMEOUT', …)`, `new AccessDenied('FULL', …)`),
 *   or the code `toDeviceError` falls back to;
 * - a `code` in an object: a log entry's (`log.warn({ code: 'RELOAD_REFUSED' }, …)`), a reply's
 *   error, an event's data;
 * - assigned to a `code` (`code = 'CRC'`).
 *
 * Not raised: a code compared (`err.code === 'UNSUPPORTED'`) or forwarded (`code: err.code`), which
 * the types of the typed lists already hold to the catalogue.
 */

export type { SourceText };

export interface RaisedCode {
  code: string;
  at: string;
  /** Raised in the object a logger is called with. */
  logged: boolean;
}

/** The shape of the catalogue the comparison needs, so a test can hand it a made-up one. */
export type ErrorCatalogueView = Readonly<Record<string, { shows: readonly string[] }>>;

/** Upper-case words with underscores: what our codes look like (`CRC`, `STORE_FULL`). */
const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/**
 * Node's system error names (`ETIMEDOUT`): a `code` set to one of them imitates a Node error for
 * code that reads Node's codes, so it is Node's vocabulary, not the gateway's.
 */
const NODE_ERRNO = new Set(Object.keys(constants.errno));

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** The catalogue and its docs renderer name every code to describe it; counting them would hide a dead entry. */
const CATALOGUE_FILES = new Set(['config/error-catalogue.ts', 'config/error-codes-reference.ts']);

/** The project's own source, as a fresh clone has it (tests, the catalogues and their renderers excluded). */
export function projectSources(): SourceText[] {
  return allSources().filter((s) => !CATALOGUE_FILES.has(s.path));
}

const unwrap = (e: ts.Expression): ts.Expression =>
  ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) ? unwrap(e.expression) : e;

/** The code-like strings an expression can be, or undefined when it is anything else. */
function codesOf(expr: ts.Expression, constant: (name: string) => string | undefined): string[] | undefined {
  const e = unwrap(expr);
  if (ts.isStringLiteralLike(e)) return CODE.test(e.text) && e.text.length >= 3 ? [e.text] : undefined;
  if (ts.isConditionalExpression(e)) {
    const a = codesOf(e.whenTrue, constant);
    const b = codesOf(e.whenFalse, constant);
    return a && b ? [...a, ...b] : undefined;
  }
  if (ts.isIdentifier(e)) {
    const v = constant(e.text);
    return v !== undefined && CODE.test(v) ? [v] : undefined;
  }
  return undefined;
}

/** A file's top-level string constants (`const DEVICE = 'DeviceError'`), which a code may be kept in. */
function constantsOf(file: ts.SourceFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of statement.declarationList.declarations) {
      const init = d.initializer && unwrap(d.initializer);
      if (ts.isIdentifier(d.name) && init && ts.isStringLiteralLike(init)) out.set(d.name.text, init.text);
    }
  }
  return out;
}

const isCodeName = (name: ts.PropertyName | ts.BindingName): boolean => (ts.isIdentifier(name) || ts.isStringLiteral(name)) && name.text === 'code';

/** `{ code }` as a later argument of a constructor is its detail: a device's own code (`ERR BADDOOR`), not ours. */
function inConstructorDetail(node: ts.Node): boolean {
  for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isNewExpression(parent)) return (parent.arguments ?? ([] as readonly ts.Expression[])).indexOf(child as ts.Expression) > 0;
    if (ts.isFunctionLike(parent) || ts.isClassLike(parent)) return false;
  }
  return false;
}

/** The object is what a logger is called with first (`log.warn({ code }, message)`). */
function isLogEntry(o: ts.ObjectLiteralExpression): boolean {
  const call = o.parent;
  return ts.isCallExpression(call) && call.arguments[0] === o && ts.isPropertyAccessExpression(call.expression) && LOG_LEVELS.has(call.expression.name.text);
}

/** Parsing the whole project takes seconds; the tests scan it several times over. */
const parsed = new Map<string, ts.SourceFile>();
function parse(s: SourceText): ts.SourceFile {
  const key = `${s.path}\n${s.text}`;
  let file = parsed.get(key);
  if (!file) {
    file = ts.createSourceFile(s.path, s.text, ts.ScriptTarget.Latest, true);
    parsed.set(key, file);
  }
  return file;
}

export function scanErrorCodes(sources: readonly SourceText[]): RaisedCode[] {
  const found: RaisedCode[] = [];
  for (const source of sources) {
    const file = parse(source);
    const consts = constantsOf(file);
    const constant = (name: string): string | undefined => consts.get(name);
    const at = (node: ts.Node): string => `${source.path}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;
    const add = (expr: ts.Expression | undefined, node: ts.Node, logged = false): void => {
      for (const code of (expr && codesOf(expr, constant)) ?? []) if (!NODE_ERRNO.has(code)) found.push({ code, at: at(node), logged });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyDeclaration(node) && isCodeName(node.name)) add(node.initializer, node);
      else if (ts.isNewExpression(node)) add(node.arguments?.[0], node);
      else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'toDeviceError') add(node.arguments[1], node);
      else if (ts.isPropertyAssignment(node) && isCodeName(node.name) && !inConstructorDetail(node)) add(node.initializer, node, isLogEntry(node.parent as ts.ObjectLiteralExpression));
      else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const target = node.left;
        if ((ts.isIdentifier(target) && target.text === 'code') || (ts.isPropertyAccessExpression(target) && target.name.text === 'code')) add(node.right, node);
      } else if (ts.isVariableDeclaration(node) && isCodeName(node.name)) add(node.initializer, node);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

/**
 * Both directions: a code raised that the catalogue lacks (or logged where the catalogue does not
 * say it shows in the log), and a code the catalogue lists that nothing raises.
 */
export function compareWithErrorCatalogue(found: readonly RaisedCode[], catalogue: ErrorCatalogueView): string[] {
  const problems: string[] = [];
  const listed = (code: string): boolean => Object.hasOwn(catalogue, code);
  for (const r of found) {
    if (!listed(r.code)) problems.push(`${r.at} raises ${r.code}, which the error catalogue lacks`);
    else if (r.logged && !catalogue[r.code]?.shows.includes('log')) problems.push(`${r.at} logs ${r.code}; the catalogue does not say it shows in the log`);
  }
  for (const code of Object.keys(catalogue)) if (!found.some((r) => r.code === code)) problems.push(`the error catalogue lists ${code}, which nothing raises`);
  return problems;
}
