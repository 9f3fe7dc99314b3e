/*
 * The value a vendor's command register takes, as a small arithmetic expression of what the
 * station logic asks for: `slot` (the door number, from 1), `index` (from 0) and `value` (the
 * caller's value: 1 or 0 for on/off). Enough for "the slot number", "the slot number 0-based",
 * "0x100 + slot" or "slot * 2 + value"; deliberately nothing more (no functions, no names beyond
 * those three), so a profile cannot carry a program. Parsed once when the profile loads.
 */

export const EXPRESSION_VARIABLES = ['slot', 'index', 'value'] as const;
export type ExpressionVariable = (typeof EXPRESSION_VARIABLES)[number];
export type ExpressionScope = Readonly<Record<ExpressionVariable, number>>;
type Evaluate = (scope: ExpressionScope) => number;
export interface CompiledExpression {
  (scope: ExpressionScope): number;
  /** The names it reads: a command whose value reads `slot` needs an instance, one reading `value` a caller's value. */
  readonly variables: ReadonlySet<ExpressionVariable>;
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

type Token = { kind: 'num'; value: number } | { kind: 'var'; name: ExpressionVariable } | { kind: 'op'; op: string };

const MAX_LENGTH = 200;

function tokenize(text: string): Token[] {
  if (text.length > MAX_LENGTH) throw new ExpressionError(`longer than ${MAX_LENGTH} characters`);
  const tokens: Token[] = [];
  const re = /\s*(?:(0x[0-9a-fA-F]+|\d+(?:\.\d+)?)|([A-Za-z_]+)|([-+*/%()]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new ExpressionError(`unexpected "${text.slice(at).trim()[0] ?? ''}" at ${at + 1}`);
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) {
      if (!(EXPRESSION_VARIABLES as readonly string[]).includes(m[2])) throw new ExpressionError(`"${m[2]}" is not slot, index or value`);
      tokens.push({ kind: 'var', name: m[2] as ExpressionVariable });
    } else tokens.push({ kind: 'op', op: m[3] ?? '' });
  }
  if (tokens.length === 0) throw new ExpressionError('empty');
  return tokens;
}

/** Parses `text`; throws ExpressionError saying what is wrong with it. */
export function compileExpression(text: string): CompiledExpression {
  const tokens = tokenize(text);
  const variables = new Set(tokens.flatMap((t) => (t.kind === 'var' ? [t.name] : [])));
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (t: Token | undefined, ...ops: string[]): boolean => t?.kind === 'op' && ops.includes(t.op);

  // expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'%') unary)* ; unary := '-' unary | atom
  const expr = (): Evaluate => {
    let left = term();
    while (isOp(peek(), '+', '-')) {
      const op = (tokens[i++] as { op: string }).op;
      const l = left;
      const r = term();
      left = op === '+' ? (s) => l(s) + r(s) : (s) => l(s) - r(s);
    }
    return left;
  };
  const term = (): Evaluate => {
    let left = unary();
    while (isOp(peek(), '*', '/', '%')) {
      const op = (tokens[i++] as { op: string }).op;
      const l = left;
      const r = unary();
      left = op === '*' ? (s) => l(s) * r(s) : op === '/' ? (s) => l(s) / r(s) : (s) => l(s) % r(s);
    }
    return left;
  };
  const unary = (): Evaluate => {
    if (isOp(peek(), '-')) {
      i++;
      const inner = unary();
      return (s) => -inner(s);
    }
    return atom();
  };
  const atom = (): Evaluate => {
    const t = tokens[i++];
    if (!t) throw new ExpressionError('ends too early');
    if (t.kind === 'num') return () => t.value;
    if (t.kind === 'var') return (s) => s[t.name];
    if (t.op === '(') {
      const inner = expr();
      if (!isOp(tokens[i++], ')')) throw new ExpressionError('a "(" is not closed');
      return inner;
    }
    throw new ExpressionError(`unexpected "${t.op}"`);
  };

  const compiled = expr();
  if (i < tokens.length) throw new ExpressionError(`unexpected "${describe(tokens[i])}" after a complete expression`);
  const evaluate = (scope: ExpressionScope): number => {
    const v = compiled(scope);
    if (!Number.isFinite(v)) throw new ExpressionError(`"${text}" is not a finite number for slot ${scope.slot}, value ${scope.value}`);
    return v;
  };
  return Object.assign(evaluate, { variables });
}

function describe(t: Token | undefined): string {
  if (!t) return '';
  return t.kind === 'num' ? String(t.value) : t.kind === 'var' ? t.name : t.op;
}

/** The problem with `text` as an expression, or undefined when it parses. */
export function expressionProblem(text: string): string | undefined {
  try {
    compileExpression(text);
    return undefined;
  } catch (err) {
    return err instanceof ExpressionError ? err.message : String(err);
  }
}
