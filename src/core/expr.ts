// CEL expressions (https://cel.dev) for recipes: `on.if`, `if:`, `for_each:`, `wait_for.match`, the
// inside of `{{ … }}` templates and a generic source's `event`/`id`.
// PURE: imported by the workflow sandbox — no Node built-ins, no I/O, deterministic.
//
// Engine: @marcbachmann/cel-js (measured against @bufbuild/cel: ~10x faster to evaluate and compile,
// ~0.45 MB added to a workflow bundle instead of ~2.6 MB).
//
// Deviations from strict CEL, for values that come from JSON.parse:
// - A JSON number is a CEL `double`, a literal like `3` is an `int`. Comparison across the two already
//   works (`event.count > 3`, `event.count == 5`); arithmetic mixing them (`event.count + 1`) is made to
//   work too, giving a double. `1 == 1.0` is true.
// - Results are plain JSON: int/uint → number (a string when beyond 2^53), timestamp → ISO-8601 string,
//   duration → `"90s"`, bytes → base64, maps → objects, optional → its value or null, NaN/±Infinity →
//   the strings "NaN"/"Infinity"/"-Infinity" (the protobuf JSON mapping).
// - `secret` is not a variable: secrets are resolved only by the activity that sends, from a template
//   value that is exactly `{{ secret.NAME }}` (see template.ts). Any other use is a compile error.

import { Environment, Optional } from '@marcbachmann/cel-js';
import { RAW_FUNCTIONS } from './escape.js';
import type { Json, JsonObject } from './types.js';

export class ExprError extends Error {
  /** Character offset inside the expression source where the problem is, when known. */
  offset?: number;
  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'ExprError';
    if (offset !== undefined) this.offset = offset;
  }
}

/** A `steps.<id>` reference found in an expression. */
export interface StepReference {
  id: string;
  offset: number;
}

export interface CompiledExpr {
  source: string;
  /** Top-level variables the expression reads (`event`, `steps`, a loop variable, …), macro variables excluded. */
  variables: ReadonlySet<string>;
  /** Offset of the first use of each variable in `variables`. */
  variableOffsets: ReadonlyMap<string, number>;
  /** Every `steps.<id>` / `steps["<id>"]` the expression reads, for load-time reference checks. */
  stepRefs: StepReference[];
  /** `raw_url` / `raw_html` when the whole expression is one call of it: the template inserts the value unescaped. */
  rawCall?: string;
  /** Evaluates against a context of plain JSON-ish values; throws ExprError. */
  evaluate(ctx: Record<string, unknown>): Json;
}

const env = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  enableOptionalTypes: true,
  limits: { maxAstNodes: 5000, maxDepth: 100 },
});

// Mixed int/double arithmetic, so JSON numbers (doubles) combine with integer literals.
const arithmetic: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};
for (const [op, fn] of Object.entries(arithmetic)) {
  env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
  env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
}

// raw_url(x) / raw_html(x): identity here; a template that is exactly one such call skips the
// escaping of its place (see escape.ts).
for (const name of RAW_FUNCTIONS) env.registerFunction(`${name}(dyn): dyn`, (x: unknown) => x);

type Evaluator = (ctx: Record<string, unknown>) => unknown;

interface LibError {
  message: string;
  summary?: string;
  range?: { start: number; end: number };
}

function toExprError(e: unknown, src: string, what: string): ExprError {
  if (e instanceof ExprError) return e;
  const err = e as LibError;
  const summary = (err.summary ?? String(err.message ?? e).split('\n')[0] ?? 'error').trim();
  const offset = err.range?.start;
  return new ExprError(`${what} \`${src}\`: ${summary}`, offset);
}

// ---------------------------------------------------------------------------------------------
// AST walk: variables read, `steps.<id>` references, misuse of `secret`.

interface AstNode {
  op: string;
  args: unknown;
  start: number;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as AstNode).op === 'string' && 'args' in v;
}

const MACROS_WITH_VAR = new Set(['all', 'exists', 'exists_one', 'map', 'filter', 'transformList', 'transformMap']);

interface Analysis {
  variables: Map<string, number>;
  stepRefs: StepReference[];
  secretUse?: number;
}

function analyse(root: unknown): Analysis {
  const out: Analysis = { variables: new Map(), stepRefs: [] };
  const visit = (n: unknown, bound: ReadonlySet<string>): void => {
    if (Array.isArray(n)) {
      for (const x of n) visit(x, bound);
      return;
    }
    if (!isNode(n)) return;
    const args = n.args;
    switch (n.op) {
      case 'id': {
        const name = args as string;
        if (bound.has(name)) return;
        if (!out.variables.has(name)) out.variables.set(name, n.start);
        if (name === 'secret' && out.secretUse === undefined) out.secretUse = n.start;
        return;
      }
      case '.':
      case '.?':
      case '[]':
      case '[?]': {
        const [target, key] = args as [unknown, unknown];
        if (isNode(target) && target.op === 'id' && target.args === 'steps' && !bound.has('steps')) {
          const id = typeof key === 'string' ? key : isNode(key) && key.op === 'value' && typeof key.args === 'string' ? key.args : undefined;
          if (id !== undefined) out.stepRefs.push({ id, offset: target.start });
        }
        visit(target, bound);
        if (isNode(key)) visit(key, bound);
        return;
      }
      case 'rcall': {
        const [name, target, callArgs] = args as [string, unknown, unknown[]];
        const first = callArgs[0];
        // cel.bind(x, init, body): `cel` is a namespace, `x` is bound in body only.
        if (name === 'bind' && isNode(target) && target.op === 'id' && target.args === 'cel' && isNode(first) && first.op === 'id') {
          visit(callArgs[1], bound);
          visit(callArgs[2], new Set([...bound, first.args as string]));
          return;
        }
        visit(target, bound);
        if (MACROS_WITH_VAR.has(name) && isNode(first) && first.op === 'id') {
          const inner = new Set(bound);
          inner.add(first.args as string);
          // Two-variable comprehensions (`all(k, v, …)`, `transformMap(k, v, …)`) bind the second id
          // too; `map(x, filter, transform)` / `filter` take a predicate there instead.
          const second = callArgs[1];
          if (name !== 'map' && name !== 'filter' && callArgs.length >= 3 && isNode(second) && second.op === 'id') {
            inner.add(second.args as string);
          }
          for (const a of callArgs.slice(1)) visit(a, inner);
          return;
        }
        visit(callArgs, bound);
        return;
      }
      case 'call':
        visit((args as [string, unknown[]])[1], bound);
        return;
      case 'value':
        return;
      default:
        visit(args, bound);
    }
  };
  visit(root, new Set());
  out.stepRefs.sort((a, b) => a.offset - b.offset);
  return out;
}

// ---------------------------------------------------------------------------------------------

const CACHE_LIMIT = 5000;
const cache = new Map<string, CompiledExpr>();

/** Parses and type-checks a CEL expression; cached by source text. Throws ExprError. */
export function compileExpression(src: string): CompiledExpr {
  const hit = cache.get(src);
  if (hit) return hit;
  if (src.trim() === '') throw new ExprError('empty expression', 0);

  let fn: Evaluator & { ast: unknown; check(): { valid: boolean; error?: unknown } };
  try {
    fn = env.parse(src);
  } catch (e) {
    throw toExprError(e, src, 'invalid expression');
  }
  const analysis = analyse(fn.ast);
  if (analysis.secretUse !== undefined) {
    throw new ExprError(
      `\`secret\` cannot be used in an expression (\`${src}\`): a secret is only available as a whole template interpolation, e.g. "Bearer {{ secret.API_TOKEN }}"`,
      analysis.secretUse,
    );
  }
  const checked = fn.check();
  if (!checked.valid) throw toExprError(checked.error, src, 'invalid expression');

  const root = fn.ast;
  const rawCall =
    isNode(root) &&
    root.op === 'call' &&
    (RAW_FUNCTIONS as readonly string[]).includes((root.args as [string, unknown[]])[0]) &&
    (root.args as [string, unknown[]])[1].length === 1
      ? (root.args as [string, unknown[]])[0]
      : undefined;
  const compiled: CompiledExpr = {
    source: src,
    ...(rawCall !== undefined ? { rawCall } : {}),
    variables: new Set(analysis.variables.keys()),
    variableOffsets: analysis.variables,
    stepRefs: analysis.stepRefs,
    evaluate(ctx) {
      let raw: unknown;
      try {
        raw = fn(ctx);
      } catch (e) {
        throw toExprError(e, src, 'cannot evaluate');
      }
      return toJson(raw);
    },
  };
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(src, compiled);
  return compiled;
}

/** Compiles (cached) and evaluates. Throws ExprError on a compile or evaluation failure. */
export function evaluateExpression(src: string, ctx: Record<string, unknown>): Json {
  return compileExpression(src).evaluate(ctx);
}

/**
 * How `if:` (and `on.if`, `wait_for.match`) treat a result that is not a bool, like JavaScript and
 * GitHub Actions: false, null, 0, NaN, "" and an empty list or object are false; everything else is true.
 */
export function isTruthy(v: Json): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'string':
      return v !== '';
    default:
      return Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0;
  }
}

// ---------------------------------------------------------------------------------------------
// CEL value → JSON

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += b === undefined ? '=' : B64[(n >> 6) & 63]!;
    out += c === undefined ? '=' : B64[n & 63]!;
  }
  return out;
}

function bigintToJson(v: bigint): Json {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

function numberToJson(v: number): Json {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Converts whatever the CEL engine returned into plain JSON. */
export function toJson(v: unknown): Json {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return numberToJson(v);
    case 'bigint':
      return bigintToJson(v);
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return base64(v);
  if (v instanceof Optional) return v.hasValue() ? toJson(v.value()) : null;
  if (v instanceof Map) {
    const out: JsonObject = {};
    for (const [k, x] of v) out[String(toJson(k))] = toJson(x);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === Object.prototype || proto === null) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJson(x);
    return out;
  }
  // Engine-internal classes that the package does not export: uint, duration, type.
  const tag = (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  const val = (v as { valueOf(): unknown }).valueOf();
  if (typeof val === 'bigint') return bigintToJson(val);
  if (typeof tag === 'string' && tag.startsWith('Type<')) return (v as { name?: string }).name ?? tag;
  return String(v);
}
