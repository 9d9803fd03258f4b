import { SdedgeError } from '../errors.ts';
import { roundHalfEven } from '../schedulers/numpy-math.ts';

/** Variables an expression can read: t (frame), max_f (max_frames - 1), s (seed). */
export type ExpressionScope = Record<string, number>;
export type CompiledExpression = (scope: ExpressionScope) => number;

type Fn = (...args: number[]) => number;
const FUNCTIONS: Record<string, { arity: number; fn: Fn }> = {
  sin: { arity: 1, fn: Math.sin },
  cos: { arity: 1, fn: Math.cos },
  tan: { arity: 1, fn: Math.tan },
  arcsin: { arity: 1, fn: Math.asin },
  arccos: { arity: 1, fn: Math.acos },
  arctan: { arity: 1, fn: Math.atan },
  arctan2: { arity: 2, fn: Math.atan2 },
  sinh: { arity: 1, fn: Math.sinh },
  cosh: { arity: 1, fn: Math.cosh },
  tanh: { arity: 1, fn: Math.tanh },
  log: { arity: 1, fn: Math.log },
  log10: { arity: 1, fn: Math.log10 },
  exp: { arity: 1, fn: Math.exp },
  sqrt: { arity: 1, fn: Math.sqrt },
  abs: { arity: 1, fn: Math.abs },
  floor: { arity: 1, fn: Math.floor },
  ceil: { arity: 1, fn: Math.ceil },
  round: { arity: 1, fn: roundHalfEven },
  min: { arity: 2, fn: Math.min },
  max: { arity: 2, fn: Math.max },
  where: { arity: 3, fn: (c, a, b) => (c !== 0 ? a : b) },
};
const CONSTANTS: Record<string, number> = { pi: Math.PI };

interface Token {
  kind: 'number' | 'name' | 'op' | 'end';
  text: string;
  at: number;
}

const OPERATORS = ['**', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '(', ')', ',', '<', '>'];

/**
 * Compiles one arithmetic expression of a keyframe schedule, with numexpr's semantics as
 * Deforum uses it: floating point, `**` power (binding tighter than a leading minus), `%` with
 * the sign of the dividend (C fmod), comparisons giving 1 or 0 for `where`. Our own parser: no
 * eval. `offset` places error positions within the whole schedule string.
 */
export function compileExpression(
  source: string,
  offset = 0,
  names: readonly string[] = ['t', 'max_f', 's'],
): CompiledExpression {
  const tokens = tokenize(source, offset);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (message: string, token = peek()): never => {
    throw new SdedgeError('invalid_schedule', `${message} at position ${token.at}.`, {
      position: token.at,
    });
  };
  const expect = (text: string) => {
    if (peek().text !== text) fail(`Expected "${text}" but found ${describe(peek())}`);
    i++;
  };

  const comparison = (): CompiledExpression => {
    const left = additive();
    const op = peek().text;
    if (['<', '<=', '>', '>=', '==', '!='].includes(op) && peek().kind === 'op') {
      i++;
      const right = additive();
      const compare: Record<string, (a: number, b: number) => boolean> = {
        '<': (a, b) => a < b,
        '<=': (a, b) => a <= b,
        '>': (a, b) => a > b,
        '>=': (a, b) => a >= b,
        '==': (a, b) => a === b,
        '!=': (a, b) => a !== b,
      };
      const test = compare[op];
      return (scope) => (test(left(scope), right(scope)) ? 1 : 0);
    }
    return left;
  };
  const additive = (): CompiledExpression => {
    let left = term();
    while (peek().kind === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = tokens[i++].text;
      const l = left;
      const r = term();
      left = op === '+' ? (s) => l(s) + r(s) : (s) => l(s) - r(s);
    }
    return left;
  };
  const term = (): CompiledExpression => {
    let left = unary();
    while (peek().kind === 'op' && ['*', '/', '%'].includes(peek().text)) {
      const op = tokens[i++].text;
      const l = left;
      const r = unary();
      left = op === '*' ? (s) => l(s) * r(s) : op === '/' ? (s) => l(s) / r(s) : (s) => l(s) % r(s); // JS % is fmod
    }
    return left;
  };
  const unary = (): CompiledExpression => {
    if (peek().kind === 'op' && (peek().text === '-' || peek().text === '+')) {
      const negate = tokens[i++].text === '-';
      const operand = unary();
      return negate ? (s) => -operand(s) : operand;
    }
    return power();
  };
  const power = (): CompiledExpression => {
    const base = primary();
    if (peek().kind === 'op' && peek().text === '**') {
      i++;
      const exponent = unary();
      return (s) => base(s) ** exponent(s);
    }
    return base;
  };
  const primary = (): CompiledExpression => {
    const token = peek();
    if (token.kind === 'number') {
      i++;
      const value = Number(token.text);
      return () => value;
    }
    if (token.kind === 'name') {
      i++;
      if (peek().text === '(' && peek().kind === 'op') {
        const fn = Object.hasOwn(FUNCTIONS, token.text) ? FUNCTIONS[token.text] : undefined;
        if (!fn) return fail(`Unknown function "${token.text}"`, token);
        i++;
        const args: CompiledExpression[] = [];
        if (peek().text !== ')') {
          args.push(comparison());
          while (peek().text === ',' && peek().kind === 'op') {
            i++;
            args.push(comparison());
          }
        }
        if (args.length !== fn.arity)
          fail(
            `${token.text}() takes ${fn.arity} argument${fn.arity > 1 ? 's' : ''}, got ${args.length}`,
            token,
          );
        expect(')');
        return (s) => fn.fn(...args.map((a) => a(s)));
      }
      if (Object.hasOwn(CONSTANTS, token.text)) {
        const value = CONSTANTS[token.text];
        return () => value;
      }
      if (!names.includes(token.text))
        fail(`Unknown name "${token.text}" (use ${[...names, 'pi'].join(', ')})`, token);
      const name = token.text;
      return (s) => s[name];
    }
    if (token.kind === 'op' && token.text === '(') {
      i++;
      const inner = comparison();
      expect(')');
      return inner;
    }
    return fail(
      token.kind === 'end'
        ? 'Expected a value but the expression ended'
        : `Unexpected ${describe(token)}`,
    );
  };

  if (peek().kind === 'end') fail('Empty expression');
  const compiled = comparison();
  if (peek().kind !== 'end') fail(`Unexpected ${describe(peek())}`);
  return compiled;
}

function tokenize(source: string, offset: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'number', text: number[0], at: offset + i });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(source.slice(i));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], at: offset + i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) {
      throw new SdedgeError(
        'invalid_schedule',
        `Unexpected character "${c}" at position ${offset + i}.`,
        { position: offset + i },
      );
    }
    tokens.push({ kind: 'op', text: op, at: offset + i });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', at: offset + source.length });
  return tokens;
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : `"${token.text}"`;
}
