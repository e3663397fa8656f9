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

/** Replaces known secret values (and their URL- and base64-encoded forms added by callers) in text. */
export class Redactor {
  private values: string[] = [];

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  add(value: string): void {
    for (const form of [value, encodeURIComponent(value)]) {
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
