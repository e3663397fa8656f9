// Secrets are resolved here, inside the activity, so their values never enter workflow history:
// the workflow only says "the field at this path is 'Bearer ' + secret TOKEN".
import { readFileSync } from 'node:fs';
import type { Json, SecretField } from '../core/types.js';
import { PERMANENT, permanentFailure } from './failures.js';

export type Env = Record<string, string | undefined>;

const REDACTED = '[redacted]';
/** Shorter values would turn ordinary words into `[redacted]`; real secrets are longer. */
const MIN_REDACTED_LENGTH = 4;

/** The env var names consulted for `secret.NAME`, in order. */
export function secretEnvNames(name: string): string[] {
  const exact = `HOOKFLOW_SECRET_${name}`;
  const normalized = `HOOKFLOW_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return exact === normalized ? [exact] : [exact, normalized];
}

/**
 * The value of `secret.NAME`: `HOOKFLOW_SECRET_NAME`, else the contents of the file named by
 * `HOOKFLOW_SECRET_NAME_FILE` (Docker/Kubernetes secrets; one trailing newline dropped).
 */
export function resolveSecret(name: string, env: Env): string {
  const names = secretEnvNames(name);
  for (const varName of names) {
    const value = env[varName];
    if (value !== undefined && value !== '') return value;
  }
  for (const varName of names) {
    const file = env[`${varName}_FILE`];
    if (file === undefined || file === '') continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      throw permanentFailure(PERMANENT.secretMissing, `secret.${name}: cannot read ${varName}_FILE=${file} (${reason})`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw permanentFailure(PERMANENT.secretMissing, `secret.${name}: the file ${file} named by ${varName}_FILE is empty`);
    return value;
  }
  const primary = names[names.length - 1] ?? `HOOKFLOW_SECRET_${name}`;
  throw permanentFailure(
    PERMANENT.secretMissing,
    `secret.${name} is not set: define ${primary} (or ${primary}_FILE naming a file that holds it) in the worker's environment`,
  );
}

/** `\u00e9` escapes for everything outside printable ASCII, as Python's json.dumps writes them. */
function asciiJson(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's encoding/json also escapes <, > and & in strings. */
function htmlSafeJson(text: string): string {
  return text.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The rest of `prefix + value` as the WHATWG URL serializer writes it: the value inside a path, query or fragment. */
function inUrl(prefix: string, value: string): string | undefined {
  try {
    return new URL(prefix + value).href.slice(prefix.length);
  } catch {
    return undefined;
  }
}

/**
 * Every way a secret value can be written where it might be echoed back: as is, percent-encoded
 * (encodeURIComponent, a form or `query:` value, inside a URL's path, query, fragment or user-info as
 * the URL serializer writes them), JSON-escaped (as JavaScript, Python and Go write it), lower-cased
 * (a host), and — when it is itself a URL — normalised (host lower-cased, default port dropped).
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value, value.toLowerCase(), encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]);
  for (const prefix of ['http://h/', 'http://h/?', 'http://h/#']) forms.add(inUrl(prefix, value) ?? value);
  const u = new URL('http://h/');
  u.password = value;
  forms.add(u.password);
  const json = JSON.stringify(value).slice(1, -1);
  forms
    .add(json)
    .add(asciiJson(json))
    .add(htmlSafeJson(asciiJson(json)));
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    try {
      const url = new URL(value);
      for (const href of [url.href, Object.assign(new URL(url.href), { username: '', password: '' }).href]) {
        // A base URL without a path gains a "/" that `{{ secret.API }}/v1` does not show.
        forms.add(href.endsWith('/') && !value.endsWith('/') ? href.slice(0, -1) : href);
      }
    } catch {
      // not a URL after all
    }
  }
  return [...forms];
}

/** Replaces known secret values, in every form they can take (secretForms), in text. */
export class Redactor {
  private values: string[] = [];

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  add(value: string): void {
    for (const form of secretForms(value)) {
      if (form.length >= MIN_REDACTED_LENGTH && !this.values.includes(form)) this.values.push(form);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.length;
  }

  text(input: string): string {
    let out = input;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  }

  /**
   * `input` redacted, then cut to `max` characters: in that order, so no secret survives in part
   * at the cut. Whitespace runs are collapsed after redaction (a secret may hold spaces).
   */
  excerpt(input: string, max: number): string {
    const text = this.text(input).replace(/\s+/g, ' ').trim();
    return text.length > max ? `${text.slice(0, max)}…` : text;
  }

  /**
   * For text that was cut before it could be redacted (a response body over its cap): redacts it,
   * and also a tail that is the start of a secret, which the cut left incomplete.
   */
  cutText(input: string): string {
    let out = this.text(input);
    for (const v of this.values) {
      for (let k = Math.min(v.length - 1, out.length); k >= MIN_REDACTED_LENGTH; k--) {
        if (out.endsWith(v.slice(0, k))) {
          out = out.slice(0, out.length - k) + REDACTED;
          break;
        }
      }
    }
    return out;
  }

  json(input: Json): Json {
    if (this.values.length === 0) return input;
    if (typeof input === 'string') return this.text(input);
    if (Array.isArray(input)) return input.map((v) => this.json(v));
    if (input !== null && typeof input === 'object') {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(input)) out[this.text(k)] = this.json(v);
      return out;
    }
    return input;
  }
}

export interface FilledParams<P> {
  /** A copy of the params with every secret field filled in. */
  params: P;
  /** Knows every secret value used, for scrubbing messages, logs and results. */
  redactor: Redactor;
}

/** Fills `secretFields` into a copy of `params`; `input.params` itself is left untouched. */
export function fillSecrets<P>(params: P, fields: readonly SecretField[], env: Env): FilledParams<P> {
  const redactor = new Redactor();
  if (fields.length === 0) return { params, redactor };
  const copy = structuredClone(params) as unknown;
  for (const field of fields) {
    let value = '';
    for (const part of field.parts) {
      if (typeof part === 'string') {
        value += part;
      } else {
        const secret = resolveSecret(part.secret, env);
        redactor.add(secret);
        value += secret;
      }
    }
    setAtPath(copy, field.path, value);
  }
  return { params: copy as P, redactor };
}

function setAtPath(root: unknown, path: ReadonlyArray<string | number>, value: string): void {
  if (path.length === 0) throw permanentFailure(PERMANENT.invalidParams, 'a secret field has an empty path');
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const container = asContainer(node, path, i);
    let next = container[key as keyof typeof container] as unknown;
    if (next === undefined || next === null) {
      next = typeof path[i + 1] === 'number' ? [] : {};
      (container as Record<string | number, unknown>)[key] = next;
    }
    node = next;
  }
  const container = asContainer(node, path, path.length - 1);
  (container as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
}

function asContainer(node: unknown, path: ReadonlyArray<string | number>, depth: number): object {
  if (node === null || typeof node !== 'object') {
    throw permanentFailure(
      PERMANENT.invalidParams,
      `cannot fill a secret at ${path.join('.')}: ${path.slice(0, depth).join('.') || 'params'} is not an object`,
    );
  }
  return node;
}
