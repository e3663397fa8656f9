// Templates: `{{ expr }}` inside recipe strings. PURE (workflow sandbox).
//
// - A string that is exactly one `{{ … }}` keeps the value's type (object, list, number, bool, null).
// - Otherwise each value is stringified: strings as they are, null as "", objects and lists as JSON.
// - `{{ secret.NAME }}` is never resolved here (workflow code holds no secrets). renderValue() renders
//   the rest of the string, puts the placeholder "[secret]" at that path and records a SecretField
//   whose parts the sending activity joins with the real secret. Only the recipe's own template text
//   can produce a SecretField: rendered data is never parsed again, so a webhook cannot forge one.
// - A literal `{{` is written as `{{ "{{" }}`.
// - With an Escaper (an http url, an email's html: escape.ts), every substituted value is encoded
//   for where it lands, and the field is always a string.

import type { Escaper } from './escape.js';
import { compileExpression, ExprError } from './expr.js';
import type { Json, SecretField, SecretPart } from './types.js';

export interface TemplatePart {
  kind: 'text' | 'expr' | 'secret';
  /** text: the literal text; expr: the CEL source (trimmed); secret: the secret's NAME. */
  text: string;
  /** Offset in the template string where the part (for expr/secret: the expression) starts. */
  offset: number;
}

export const SECRET_PLACEHOLDER = '[secret]';

const SECRET_RE = /^secret\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** Index of the `}}` closing an expression that starts at `from`, skipping string literals and nested braces; -1 if none. */
function findClose(s: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const triple = s.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const raw = /[rR]/.test(s[i - 1] ?? ''); // r"…": backslash is not an escape
      i += quote.length;
      while (i < s.length && !s.startsWith(quote, i)) i += !raw && s[i] === '\\' ? 2 : 1;
      i += quote.length;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && s[i + 1] === '}') return i;
      depth = Math.max(0, depth - 1);
    }
    i++;
  }
  return -1;
}

const CACHE_LIMIT = 5000;
const parsed = new Map<string, TemplatePart[]>();

/** Splits a template into parts and compiles each expression. Throws ExprError (offset into `s`). */
export function parseTemplate(s: string): TemplatePart[] {
  const hit = parsed.get(s);
  if (hit) return hit;
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (pos < s.length) {
    const open = s.indexOf('{{', pos);
    if (open === -1) {
      parts.push({ kind: 'text', text: s.slice(pos), offset: pos });
      break;
    }
    if (open > pos) parts.push({ kind: 'text', text: s.slice(pos, open), offset: pos });
    const close = findClose(s, open + 2);
    if (close === -1) throw new ExprError('unclosed `{{` in template: add the matching `}}`', open);
    const inner = s.slice(open + 2, close);
    const lead = inner.length - inner.trimStart().length;
    const src = inner.trim();
    const offset = open + 2 + lead;
    if (src === '') throw new ExprError('empty `{{ }}` in template', open);
    const secret = SECRET_RE.exec(src);
    if (secret) {
      parts.push({ kind: 'secret', text: secret[1]!, offset });
    } else {
      try {
        compileExpression(src);
      } catch (e) {
        const err = e as ExprError;
        throw new ExprError(err.message, offset + (err.offset ?? 0));
      }
      parts.push({ kind: 'expr', text: src, offset });
    }
    pos = close + 2;
  }
  if (parsed.size >= CACHE_LIMIT) {
    const oldest = parsed.keys().next();
    if (!oldest.done) parsed.delete(oldest.value);
  }
  parsed.set(s, parts);
  return parts;
}

/** How a value is written into a larger string. */
export function stringifyValue(v: Json): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function evalPart(part: TemplatePart, ctx: Record<string, unknown>): Json {
  try {
    return compileExpression(part.text).evaluate(ctx);
  } catch (e) {
    const err = e as ExprError;
    throw new ExprError(`in {{ ${part.text} }}: ${err.message}`, part.offset + (err.offset ?? 0));
  }
}

/** Renders one string. A string that is exactly one `{{ … }}` keeps the value's type. Secrets are refused. */
export function renderTemplate(s: string, ctx: Record<string, unknown>): Json {
  const parts = parseTemplate(s);
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'expr') return evalPart(only, ctx);
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'expr') out += stringifyValue(evalPart(p, ctx));
    else {
      throw new ExprError(`{{ secret.${p.text} }} is only available in the parameters of a step that sends (http, email, sms, push)`, p.offset);
    }
  }
  return out;
}

function renderString(s: string, ctx: Record<string, unknown>, path: Array<string | number>, secretFields: SecretField[], escaper?: Escaper): Json {
  const parts = parseTemplate(s);
  if (escaper) return renderEscaped(parts, ctx, path, secretFields, escaper);
  if (!parts.some((p) => p.kind === 'secret')) return renderTemplate(s, ctx);
  const out: SecretPart[] = [];
  const push = (text: string): void => {
    if (text === '') return;
    const last = out[out.length - 1];
    if (typeof last === 'string') out[out.length - 1] = last + text;
    else out.push(text);
  };
  for (const p of parts) {
    if (p.kind === 'text') push(p.text);
    else if (p.kind === 'expr') push(stringifyValue(evalPart(p, ctx)));
    else out.push({ secret: p.text });
  }
  secretFields.push({ path: [...path], parts: out });
  return SECRET_PLACEHOLDER;
}

/** A field with an Escaper: each substituted value encoded for its place; secrets and literal text as written. */
function renderEscaped(parts: TemplatePart[], ctx: Record<string, unknown>, path: Array<string | number>, secretFields: SecretField[], escaper: Escaper): Json {
  const out: SecretPart[] = [];
  const push = (text: string): void => {
    const last = out[out.length - 1];
    if (typeof last === 'string') out[out.length - 1] = last + text;
    else if (text !== '') out.push(text);
  };
  let start = true;
  for (const p of parts) {
    if (p.kind === 'text') push(p.text);
    else if (p.kind === 'secret') out.push({ secret: p.text });
    else {
      const text = stringifyValue(evalPart(p, ctx));
      if (compileExpression(p.text).rawCall === escaper.raw) push(text);
      else {
        try {
          push(escaper.escape(text, start));
        } catch (e) {
          throw new ExprError(`{{ ${p.text} }} ${(e as Error).message}`, p.offset);
        }
      }
    }
    start = false;
  }
  if (!out.some((x) => typeof x !== 'string')) return (out[0] as string | undefined) ?? '';
  secretFields.push({ path: [...path], parts: out });
  return SECRET_PLACEHOLDER;
}

/**
 * Renders every string in a recipe value (objects, arrays); lists the fields that need a secret.
 * `escapers` names top-level fields whose substituted values are encoded for where they land.
 */
export function renderValue(
  v: Json,
  ctx: Record<string, unknown>,
  escapers: Readonly<Record<string, Escaper>> = {},
): { value: Json; secretFields: SecretField[] } {
  const secretFields: SecretField[] = [];
  const path: Array<string | number> = [];
  const walk = (x: Json): Json => {
    if (typeof x === 'string') {
      const field = path.length === 1 ? path[0] : undefined;
      const escaper = typeof field === 'string' && Object.hasOwn(escapers, field) ? escapers[field] : undefined;
      return renderString(x, ctx, path, secretFields, escaper);
    }
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) {
      return x.map((item, i) => {
        path.push(i);
        const r = walk(item);
        path.pop();
        return r;
      });
    }
    const out: { [k: string]: Json } = {};
    for (const [k, item] of Object.entries(x)) {
      path.push(k);
      out[k] = walk(item);
      path.pop();
    }
    return out;
  };
  return { value: walk(v), secretFields };
}

/** Every CEL expression inside the templates of a value, for load-time checks. Throws ExprError on a malformed template. */
export function templateExpressions(v: Json): Array<{ path: Array<string | number>; expr: string; offset: number }> {
  const found: Array<{ path: Array<string | number>; expr: string; offset: number }> = [];
  const walk = (x: Json, path: Array<string | number>): void => {
    if (typeof x === 'string') {
      for (const p of parseTemplate(x)) if (p.kind === 'expr') found.push({ path, expr: p.text, offset: p.offset });
    } else if (Array.isArray(x)) {
      x.forEach((item, i) => walk(item, [...path, i]));
    } else if (x !== null && typeof x === 'object') {
      for (const [k, item] of Object.entries(x)) walk(item, [...path, k]);
    }
  };
  walk(v, []);
  return found;
}
