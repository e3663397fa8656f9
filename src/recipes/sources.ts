// Sources: `RECIPES_DIR/sources.yaml` plus the provider presets that need no file.
import { readFileSync } from 'node:fs';
import { ExprError, compileExpression } from '../core/expr.js';
import { parseDuration } from '../core/duration.js';
import { parseSize } from '../http/size.js';
import type { GenericVerify, SourceConfig } from '../core/types.js';
import { standardWebhooksKeyProblem } from '../http/standard-webhooks.js';
import { isPreset } from '../providers/index.js';
import { schemaProblems, sourcesValidator } from './schema.js';
import { YamlFile, type Path, type Problem } from './yaml.js';

export const DEFAULT_MAX_BODY = 1024 * 1024;

/** Names hookflow keeps for itself: `hookflow` (its own events) and `schedule` (fires of on.schedule). */
export const RESERVED_SOURCES = ['hookflow', 'schedule'];

/** `<SOURCE>_WEBHOOK_SECRET`: the name upper-cased, every character other than a letter or digit made `_`. */
export function secretEnvVar(source: string): string {
  return `${source.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_WEBHOOK_SECRET`;
}

/** Comma-separated secrets (rotation) → list, blanks dropped. */
export function splitSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${VAR}` with the variable's value ('' when unset); returns the names it used and those unset. */
export function interpolateEnv(value: string, env: Record<string, string | undefined>): { value: string; vars: string[]; unset: string[] } {
  const vars: string[] = [];
  const unset: string[] = [];
  const out = value.replace(ENV_REF, (_, name: string) => {
    vars.push(name);
    const v = env[name];
    if (v === undefined || v === '') unset.push(name);
    return v ?? '';
  });
  return { value: out, vars, unset };
}

/**
 * Unset variables that would silently shorten a secret: `tok-${UNSET}` becomes the guessable
 * `tok-`. A comma-separated item that is exactly one `${VAR}` may be unset — it then gives no
 * secret at all, and the source refuses requests naming the variable.
 */
export function unsetInSecret(raw: string, env: Record<string, string | undefined>): string[] {
  const found: string[] = [];
  for (const item of raw.split(',')) {
    const text = item.trim();
    if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text)) continue;
    for (const name of interpolateEnv(text, env).unset) if (!found.includes(name)) found.push(name);
  }
  return found;
}

/** The config of a source: declared in sources.yaml, else a preset configured from the environment. */
export function resolveSource(name: string, sources: Map<string, SourceConfig>, env: Record<string, string | undefined>): SourceConfig | undefined {
  const declared = sources.get(name);
  if (declared) return declared;
  if (!isPreset(name)) return undefined;
  const variable = secretEnvVar(name);
  return { name, provider: name, secrets: splitSecrets(env[variable]), secretOrigin: variable, maxBody: DEFAULT_MAX_BODY };
}

interface RawSource {
  provider?: unknown;
  secret?: unknown;
  verify?: unknown;
  event?: unknown;
  id?: unknown;
  max_body?: unknown;
  dedupe?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and checks a sources.yaml file. Sources with problems are left out of the map. */
export function loadSourcesFile(
  file: string,
  env: Record<string, string | undefined>,
  text: string = readFileSync(file, 'utf8'),
): { sources: Map<string, SourceConfig>; declared: Set<string>; problems: Problem[] } {
  const y = new YamlFile(file, text);
  const sources = new Map<string, SourceConfig>();
  if (!y.ok) return { sources, declared: new Set(), problems: y.problems };
  const data = y.toJS();
  const problems: Problem[] = [];
  if (data === null || data === undefined) return { sources, declared: new Set(), problems };

  const validate = sourcesValidator();
  const valid = validate(data);
  const errors = valid ? [] : (validate.errors ?? []);
  const schema = schemaProblems(y, errors, []);
  // Sources the schema found fault with (JSON pointer of each error's value).
  const invalid = (name: string): boolean => {
    const ptr = `/sources/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return errors.some(
      (e) => e.instancePath === ptr || e.instancePath.startsWith(`${ptr}/`) || (e.keyword === 'propertyNames' && e.params['propertyName'] === name),
    );
  };
  const all = isObject(data) && isObject(data['sources']) ? data['sources'] : {};
  const declared = new Set(Object.keys(all));

  for (const [name, raw] of Object.entries(all)) {
    if (!isObject(raw)) continue;
    const before = problems.length;
    const path: Path = ['sources', name];
    if (RESERVED_SOURCES.includes(name)) {
      problems.push(
        y.at(
          path,
          `"${name}" is a source hookflow provides itself (${name === 'hookflow' ? 'its own events, e.g. run.failed' : 'the fires of on.schedule'}): give this source another name`,
          'key',
        ),
      );
      continue;
    }
    const src = raw as RawSource;
    const dedupe = isObject(src.dedupe) ? src.dedupe : undefined;
    for (const key of ['event', 'id', 'dedupe'] as const) {
      const expr = key === 'dedupe' ? dedupe?.['key'] : src[key];
      const where: Path = key === 'dedupe' ? [...path, 'dedupe', 'key'] : [...path, key];
      if (typeof expr !== 'string') continue;
      try {
        const compiled = compileExpression(expr);
        const unknown = [...compiled.variables].find((v) => !['body', 'headers', 'query'].includes(v));
        if (unknown !== undefined) {
          problems.push(
            y.at(where, `unknown variable "${unknown}" in ${key === 'dedupe' ? 'dedupe.key' : key}: a source's expressions see body, headers and query`),
          );
        }
      } catch (e) {
        const err = e as ExprError;
        problems.push(y.atString(where, err.offset ?? 0, err.message));
      }
    }
    let dedupeWindowMs: number | undefined;
    if (dedupe && typeof dedupe['window'] === 'string') {
      try {
        dedupeWindowMs = parseDuration(dedupe['window']);
      } catch (e) {
        problems.push(y.at([...path, 'dedupe', 'window'], (e as Error).message));
      }
    }
    let maxBody = DEFAULT_MAX_BODY;
    if (src.max_body !== undefined && (typeof src.max_body === 'string' || typeof src.max_body === 'number')) {
      try {
        maxBody = parseSize(src.max_body);
      } catch (e) {
        problems.push(y.at([...path, 'max_body'], (e as Error).message));
      }
    }
    const provider = typeof src.provider === 'string' ? src.provider : '';
    if (problems.length > before || invalid(name) || !isPreset(provider)) continue;

    // Secret: top-level `secret`, else the generic verify's `secret`, else <SOURCE>_WEBHOOK_SECRET.
    const verify = isObject(src.verify) ? { ...src.verify } : src.verify;
    const verifySecret = isObject(verify) && typeof verify['secret'] === 'string' ? verify['secret'] : undefined;
    if (isObject(verify)) delete verify['secret'];
    const rawSecret = typeof src.secret === 'string' ? src.secret : verifySecret;
    let secrets: string[];
    let secretOrigin: string;
    if (rawSecret !== undefined) {
      const { value, vars } = interpolateEnv(rawSecret, env);
      secrets = splitSecrets(value);
      const where = typeof src.secret === 'string' ? [...path, 'secret'] : [...path, 'verify', 'secret'];
      secretOrigin = vars.length > 0 ? vars.join(',') : `sources.yaml:${y.problemAt(y.valueOffset(where), '').line}`;
      const unset = unsetInSecret(rawSecret, env);
      for (const name of unset) {
        problems.push(y.at(where, `\${${name}} is not set, so this secret would be what is left around it: set ${name} in the environment (or .env)`));
      }
      if (unset.length === 0 && (provider === 'standard-webhooks' || provider === 'svix')) {
        for (const secret of secrets) {
          const why = standardWebhooksKeyProblem(secret);
          if (why) problems.push(y.at(where, `${vars.length > 0 ? `${vars.join(', ')}: ` : ''}${why}`));
        }
      }
    } else {
      secretOrigin = secretEnvVar(name);
      secrets = splitSecrets(env[secretOrigin]);
    }
    if (isObject(verify) && isObject(verify['basic']) && typeof verify['basic']['username'] === 'string') {
      const username = interpolateEnv(verify['basic']['username'], env);
      for (const unset of username.unset) {
        problems.push(
          y.at(
            [...path, 'verify', 'basic', 'username'],
            `\${${unset}} is not set: set ${unset} in the environment (or .env); an empty part of a user name is not a credential`,
          ),
        );
      }
      verify['basic'] = { username: username.value };
    }
    if (problems.length > before) continue;
    const config: SourceConfig = { name, provider, secrets, secretOrigin, maxBody };
    if (verify !== undefined) config.verify = verify as GenericVerify;
    if (typeof src.event === 'string') config.event = src.event;
    if (typeof src.id === 'string') config.id = src.id;
    if (dedupe && typeof dedupe['key'] === 'string' && dedupeWindowMs !== undefined) config.dedupe = { key: dedupe['key'], windowMs: dedupeWindowMs };
    sources.set(name, config);
  }
  // Where the schema and a specific check flag the same spot, the specific message wins.
  const specific = new Set(problems.map((p) => `${p.line}:${p.col}`));
  problems.push(...schema.filter((p) => !specific.has(`${p.line}:${p.col}`)));
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return { sources, declared, problems };
}
