// The JSON Schemas (schema/*.json) compiled with ajv, and ajv errors turned into `file:line:col`
// problems a person can act on.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Path, Problem, YamlFile } from './yaml.js';

import { STEP_KINDS } from '../core/step-kinds.js';
const COMMON_FIELDS = ['id', 'name', 'timeout', 'retry', 'continue_on_error'];

function readSchema(name: string): object {
  return JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8')) as object;
}

let ajv: Ajv | undefined;
let recipe: ValidateFunction | undefined;
let sources: ValidateFunction | undefined;

function compiler(): Ajv {
  // strictRequired off: the step's "exactly one kind" oneOf names properties declared beside it.
  ajv ??= new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  return ajv;
}

export function recipeValidator(): ValidateFunction {
  recipe ??= compiler().compile(readSchema('recipe.schema.json'));
  return recipe;
}

export function sourcesValidator(): ValidateFunction {
  sources ??= compiler().compile(readSchema('sources.schema.json'));
  return sources;
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `steps[0].http.url` */
export function describePath(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? 'the file' : out;
}

/** A path that ends at a step of a recipe: steps[i], …then[i], …else[i]. */
export function isStepPath(path: Path): boolean {
  const n = path.length;
  return n >= 2 && typeof path[n - 1] === 'number' && ['steps', 'then', 'else'].includes(String(path[n - 2])) && path[0] !== 'tests';
}

function typeName(t: unknown): string {
  const one = (x: string): string => (x === 'array' ? 'a list' : x === 'object' ? 'a mapping' : x === 'integer' ? 'an integer' : `a ${x}`);
  return Array.isArray(t) ? t.map((x) => one(String(x))).join(' or ') : one(String(t));
}

function describeSchema(s: unknown): string | undefined {
  return typeof s === 'object' && s !== null && typeof (s as { description?: unknown }).description === 'string'
    ? (s as { description: string }).description
    : undefined;
}

function message(e: ErrorObject, path: Path): { text: string; where: 'key' | 'value'; path: Path } | undefined {
  const at = describePath(path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p['additionalProperty']);
      const where = [...path, extra];
      if (isStepPath(path)) {
        return {
          text: `unknown step kind or field "${extra}" in ${at}: a step is one of ${STEP_KINDS.join(', ')}, with optional ${COMMON_FIELDS.join(', ')}`,
          where: 'key',
          path: where,
        };
      }
      const props = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { text: `unknown field "${extra}" in ${at}${props.length ? ` (allowed: ${props.join(', ')})` : ''}`, where: 'key', path: where };
    }
    case 'required':
      return { text: `${at} is missing the required field "${String(p['missingProperty'])}"`, where: 'value', path };
    case 'dependencies':
      return {
        text: `${at}: "${String(p['property'])}" needs "${String(p['missingProperty'])}" beside it`,
        where: 'key',
        path: [...path, String(p['property'])],
      };
    case 'type':
      return { text: `${at} must be ${typeName(p['type'])}`, where: 'value', path };
    case 'enum':
      return { text: `${at} must be one of: ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, where: 'value', path };
    case 'const':
      return { text: `${at} must be ${JSON.stringify(p['allowedValue'])}`, where: 'value', path };
    case 'pattern': {
      const desc = describeSchema(e.parentSchema);
      return { text: `${at} is not valid${desc ? `: ${desc}` : ` (must match ${String(p['pattern'])})`}`, where: 'value', path };
    }
    case 'propertyNames':
      return {
        text: `invalid name "${String(p['propertyName'])}" in ${at}: use letters, digits and _ (not starting with a digit)`,
        where: 'key',
        path: [...path, String(p['propertyName'])],
      };
    case 'oneOf':
    case 'anyOf': {
      const desc = describeSchema(e.parentSchema);
      return { text: `${at} is not valid${desc ? `: ${desc}` : ''}`, where: 'value', path };
    }
    case 'not':
      return { text: `${at} is not allowed here${describeSchema(e.parentSchema) ? `: ${describeSchema(e.parentSchema)}` : ''}`, where: 'value', path };
    case 'minItems':
      return { text: `${at} must not be empty`, where: 'value', path };
    case 'minLength':
      return { text: `${at} must not be empty`, where: 'value', path };
    case 'minProperties':
      return { text: `${at} must not be empty`, where: 'value', path };
    default:
      return { text: `${at} ${e.message ?? 'is not valid'}`, where: 'value', path };
  }
}

/**
 * Turns ajv errors into problems, dropping noise: the branch errors of a failed `oneOf` (the oneOf
 * itself, or a more specific error deeper down, says it better), the step's "exactly one kind" oneOf
 * (the loader reports that itself), and pattern errors on durations (the loader says why).
 */
export function schemaProblems(y: YamlFile, errors: ErrorObject[], skipPaths: Path[]): Problem[] {
  const paths = errors.map((e) => pointerToPath(e.instancePath));
  const oneOfAt = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: Problem[] = [];
  const seen = new Set<string>();
  errors.forEach((e, i) => {
    const path = paths[i]!;
    const ptr = e.instancePath;
    if (isStepPath(path) && (e.schemaPath.includes('/oneOf') || e.keyword === 'oneOf') && e.keyword !== 'additionalProperties') {
      if (e.keyword === 'oneOf' || e.keyword === 'required') return;
    }
    if (e.keyword === 'pattern' && /duration/.test(e.schemaPath)) return;
    if (oneOfAt.has(ptr) && e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.schemaPath.includes('Of/')) return;
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') {
      // A deeper error under this value explains the problem better.
      const deeper = errors.some((o) => o.instancePath.startsWith(`${ptr}/`));
      if (deeper) return;
      if (/duration/.test(JSON.stringify(e.schema))) {
        const v = y.node(path);
        if (v && 'value' in v && typeof (v as { value: unknown }).value === 'string') return; // loader explains the duration
      }
    }
    if (skipPaths.some((s) => s.length <= path.length && s.every((seg, j) => seg === path[j]))) return;
    const m = message(e, path);
    if (!m) return;
    const problem = y.at(m.path, m.text, m.where);
    const key = `${problem.line}:${problem.col}:${problem.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(problem);
  });
  return out;
}
