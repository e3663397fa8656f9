// Loads RECIPES_DIR: every `*.yaml`/`*.yml` recipe plus sources.yaml, and reports EVERY problem as
// `file:line:col message` — YAML syntax, the JSON Schema, CEL and templates (with the position inside
// the string), references to unknown step ids and sources, duplicate names and ids, misused secrets,
// durations. A recipe with any problem is left out of `recipes`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { compileExpression, ExprError, type CompiledExpr } from '../core/expr.js';
import { parseDuration } from '../core/duration.js';
import { parseTemplate } from '../core/template.js';
import { SCHEDULE_EVENT, SCHEDULE_SOURCE } from '../core/runtime-contract.js';
import type { Recipe, SourceConfig } from '../core/types.js';
import { OUTBOUND_KINDS, STEP_KINDS } from '../core/step-kinds.js';
import { recipeValidator, schemaProblems } from './schema.js';
import { isPreset, PRESET_NAMES } from '../providers/index.js';
import { loadSourcesFile } from './sources.js';
import { YamlFile, type Path, type Problem } from './yaml.js';

export type { Problem } from './yaml.js';

const SOURCES_FILES = ['sources.yaml', 'sources.yml'];
/** The flow controls of spec §7, in the order their problems are reported. */
const FLOW_CONTROLS = ['concurrency', 'throttle', 'debounce', 'batch'] as const;
/** Variables every step expression sees; `steps` is checked separately. */
const RUN_VARS = ['event', 'headers', 'query', 'trigger', 'vars', 'steps'];
/** Namespaces of CEL functions (`optional.of`, `math.greatest`), not variables. */
const CEL_NAMESPACES = ['optional', 'math', 'strings', 'base64', 'lists', 'sets'];
const STEP_FIELDS = new Set<string>([...STEP_KINDS, 'id', 'name', 'timeout', 'retry', 'continue_on_error', 'then', 'else', 'as', 'steps', 'concurrency']);

/** `file:line:col message`, the file relative to the working directory when it is below it. */
export function formatProblem(p: Problem): string {
  let file = p.file;
  if (isAbsolute(file)) {
    const rel = relative(process.cwd(), file);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) file = rel;
  }
  return `${file}:${p.line}:${p.col} ${p.message}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function byPosition(a: Problem, b: Problem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

interface Scope {
  /** Variables visible here: the run's plus loop variables. */
  vars: ReadonlySet<string>;
  /** Inside a for_each (a step there has a result per iteration). */
  inLoop?: boolean;
}

/** What a `respond` answer's templates see without `after`: the event alone. */
const EVENT_VARS = ['event', 'headers', 'query', 'trigger'];
/** Sources hookflow itself provides: recipes may listen to them; sources.yaml may not declare them. */
export const BUILTIN_SOURCES = ['hookflow'];
/** A cron expression as Temporal Schedules take it: 5 fields (or an @-name like @daily). */
const CRON = /^(@(yearly|annually|monthly|weekly|daily|hourly)|(\S+\s+){4}\S+)$/;

/** Checks of one recipe file beyond the schema. */
class RecipeChecker {
  readonly problems: Problem[] = [];
  /** Step ids in document order (an id is usable by every step after it and inside it). */
  private readonly stepIds = new Map<string, number>();
  /** Step ids defined inside a for_each. */
  private readonly loopIds = new Set<string>();

  constructor(
    private readonly y: YamlFile,
    private readonly knownSource: (name: string) => boolean,
  ) {}

  private add(problem: Problem): void {
    this.problems.push(problem);
  }

  /** Variables and `steps.<id>` references of a compiled expression; `base` maps its offsets into the string. */
  private references(path: Path, c: CompiledExpr, base: number, scope: Scope): void {
    for (const [name, offset] of c.variableOffsets) {
      if (scope.vars.has(name) || CEL_NAMESPACES.includes(name) || name === 'cel') continue;
      this.add(this.y.atString(path, base + offset, `unknown variable "${name}" in \`${c.source}\` (known here: ${[...scope.vars].join(', ')})`));
    }
    for (const ref of c.stepRefs) {
      if (this.stepIds.has(ref.id)) continue;
      const known = [...this.stepIds.keys()];
      this.add(
        this.y.atString(
          path,
          base + ref.offset,
          `unknown step id "${ref.id}" in \`${c.source}\`: ${known.length ? `steps defined before this point: ${known.join(', ')}` : 'no step before this point has an id'}`,
        ),
      );
    }
  }

  expression(path: Path, src: unknown, scope: Scope): void {
    if (typeof src !== 'string' || src.trim() === '') return; // the schema reports it
    let c: CompiledExpr;
    try {
      c = compileExpression(src);
    } catch (e) {
      const err = e as ExprError;
      this.add(this.y.atString(path, err.offset ?? 0, err.message));
      return;
    }
    this.references(path, c, 0, scope);
  }

  /** Every string inside `value` is a template. Secrets are allowed only in outbound step parameters. */
  templates(path: Path, value: unknown, scope: Scope, secretsAllowed: boolean, where: string): void {
    if (typeof value === 'string') {
      let parts;
      try {
        parts = parseTemplate(value);
      } catch (e) {
        const err = e as ExprError;
        this.add(this.y.atString(path, err.offset ?? 0, err.message));
        return;
      }
      for (const part of parts) {
        if (part.kind === 'expr') this.references(path, compileExpression(part.text), part.offset, scope);
        if (part.kind === 'secret' && !secretsAllowed) {
          this.add(
            this.y.atString(
              path,
              part.offset,
              `{{ secret.${part.text} }} cannot be used in ${where}: secrets are only filled in by http, email, sms and push steps, so they never reach the run's history`,
            ),
          );
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => this.templates([...path, i], v, scope, secretsAllowed, where));
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) this.templates([...path, k], v, scope, secretsAllowed, where);
    }
  }

  duration(path: Path, value: unknown): void {
    if (typeof value !== 'string') return;
    try {
      parseDuration(value);
    } catch (e) {
      this.add(this.y.at(path, `${(e as Error).message} (in ${path.filter((s) => typeof s === 'string').slice(-1)[0] ?? 'duration'})`));
    }
  }

  /** delay and wait_for.timeout may come from the event: `{{ event.wait }}` is checked as a template. */
  durationOrTemplate(path: Path, value: unknown, scope: Scope): void {
    if (typeof value === 'string' && value.includes('{{')) this.templates(path, value, scope, false, 'a duration');
    else this.duration(path, value);
  }

  source(path: Path, name: unknown): void {
    if (typeof name !== 'string' || name === '' || this.knownSource(name)) return;
    this.add(this.y.at(path, `unknown source "${name}": not a preset (${PRESET_NAMES.join(', ')}) and not declared in sources.yaml`));
  }

  steps(list: unknown, path: Path, scope: Scope): void {
    if (!Array.isArray(list)) return;
    list.forEach((step, i) => this.step(step, [...path, i], scope));
  }

  private step(step: unknown, path: Path, scope: Scope): void {
    if (!isObject(step)) return;
    const keys = Object.keys(step);
    const kinds = STEP_KINDS.filter((k) => k in step);
    if (kinds.length === 0 && keys.every((k) => STEP_FIELDS.has(k))) {
      this.add(this.y.at(path, `a step needs one of ${STEP_KINDS.join(', ')}`));
    }
    if (kinds.length > 1) {
      this.add(
        this.y.at([...path, kinds[1]!], `a step does one thing, this one has ${kinds.map((k) => `"${k}"`).join(' and ')}: split it into separate steps`, 'key'),
      );
    }
    const id = step['id'];
    if (typeof id === 'string') {
      const first = this.stepIds.get(id);
      if (first !== undefined) this.add(this.y.at([...path, 'id'], `duplicate step id "${id}": already used by the step at line ${first}`));
    }
    this.duration([...path, 'timeout'], step['timeout']);
    if (isObject(step['retry'])) {
      this.duration([...path, 'retry', 'initial'], step['retry']['initial']);
      this.duration([...path, 'retry', 'max'], step['retry']['max']);
    }

    // The step's own expressions see the steps before it, not itself.
    for (const kind of OUTBOUND_KINDS) {
      if (kind in step) this.templates([...path, kind], step[kind], scope, true, kind);
    }
    const http = step['http'];
    if (isObject(http)) {
      const bodies = ['json', 'form', 'body'].filter((k) => k in http);
      if (bodies.length > 1) {
        this.add(this.y.at([...path, 'http', bodies[1]!], `http has ${bodies.map((b) => `"${b}"`).join(' and ')}: a request has one body, keep one`, 'key'));
      }
    }
    if ('log' in step) this.templates([...path, 'log'], step['log'], scope, false, 'log');
    if ('set' in step) this.templates([...path, 'set'], step['set'], scope, false, 'set (vars are part of the run history)');
    if ('fail' in step) this.templates([...path, 'fail'], step['fail'], scope, false, 'fail');
    if ('if' in step) this.expression([...path, 'if'], step['if'], scope);
    if ('for_each' in step) this.expression([...path, 'for_each'], step['for_each'], scope);
    const delay = step['delay'];
    if (typeof delay === 'string') this.durationOrTemplate([...path, 'delay'], delay, scope);
    else if (isObject(delay)) this.templates([...path, 'delay', 'until'], delay['until'], scope, false, 'delay');
    const wait = step['wait_for'];
    if (isObject(wait)) {
      this.source([...path, 'wait_for', 'source'], wait['source']);
      this.expression([...path, 'wait_for', 'match'], wait['match'], scope);
      this.durationOrTemplate([...path, 'wait_for', 'timeout'], wait['timeout'], scope);
    }

    if (typeof id === 'string' && !this.stepIds.has(id)) {
      this.stepIds.set(id, this.y.problemAt(this.y.valueOffset([...path, 'id']), '').line);
      if (scope.inLoop) this.loopIds.add(id);
    }

    this.steps(step['then'], [...path, 'then'], scope);
    this.steps(step['else'], [...path, 'else'], scope);
    if ('for_each' in step) {
      const as = typeof step['as'] === 'string' ? step['as'] : 'item';
      // Inside a loop: the loop variable, and `index` (0-based position in the list).
      this.steps(step['steps'], [...path, 'steps'], { vars: new Set([...scope.vars, as, 'index']), inLoop: true });
    }
  }

  /** `on`: a webhook trigger (source + event) or a schedule, not both. */
  private trigger(on: Record<string, unknown>): void {
    if ('schedule' in on) {
      for (const k of ['source', 'event', 'if']) {
        if (k in on) this.add(this.y.at(['on', k], `on has both "schedule" and "${k}": a recipe runs on a schedule or on a webhook; split it in two`, 'key'));
      }
      const schedule = on['schedule'];
      if (typeof schedule === 'string' && !CRON.test(schedule.trim())) {
        this.add(
          this.y.at(
            ['on', 'schedule'],
            `"${schedule}" is not a cron expression: 5 fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5", or use { every: 15m }`,
          ),
        );
      }
      if (isObject(schedule)) this.duration(['on', 'schedule', 'every'], schedule['every']);
      const tz = on['timezone'];
      if (typeof tz === 'string') {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
        } catch {
          this.add(this.y.at(['on', 'timezone'], `unknown time zone "${tz}": use an IANA name such as "Asia/Shanghai", "Europe/Paris" or "UTC"`));
        }
      }
      return;
    }
    if ('timezone' in on) this.add(this.y.at(['on', 'timezone'], 'timezone applies to a schedule: add on.schedule, or remove it', 'key'));
    for (const k of ['source', 'event'])
      if (!(k in on)) this.add(this.y.at(['on'], `on needs "${k}" (a webhook trigger: source and event) or "schedule" (a time trigger)`));
    this.source(['on', 'source'], on['source']);
    this.expression(['on', 'if'], on['if'], { vars: new Set(['event', 'headers', 'query', 'trigger', 'vars']) });
  }

  /** `respond`: templates see the event alone, or — with `after` — the run up to that step. */
  private respond(spec: Record<string, unknown>): void {
    const after = spec['after'];
    if (typeof after === 'string') {
      if (!this.stepIds.has(after))
        this.add(
          this.y.at(
            ['respond', 'after'],
            `respond.after names no step: "${after}" is not a step id (step ids: ${[...this.stepIds.keys()].join(', ') || 'none'})`,
          ),
        );
      else if (this.loopIds.has(after))
        this.add(
          this.y.at(['respond', 'after'], `respond.after names "${after}", a step inside for_each (it has a result per item): name a step outside the loop`),
        );
    }
    const answerVars = new Set(after === undefined ? EVENT_VARS : RUN_VARS);
    const why = after === undefined ? 'a respond answer without `after` (it is sent before any step runs)' : 'respond';
    for (const k of ['status', 'headers', 'body']) {
      if (k in spec) this.templates(['respond', k], spec[k], { vars: answerVars }, false, why);
    }
    this.duration(['respond', 'timeout'], spec['timeout']);
    if ('timeout' in spec && after === undefined)
      this.add(this.y.at(['respond', 'timeout'], 'respond.timeout is how long the answer waits for `after`: add respond.after, or remove it', 'key'));
    if ('fallback' in spec && after === undefined)
      this.add(this.y.at(['respond', 'fallback'], 'respond.fallback is sent when `after` has no result in time: add respond.after, or remove it', 'key'));
    const fb = spec['fallback'];
    if (isObject(fb)) {
      for (const k of ['status', 'headers', 'body'])
        if (k in fb)
          this.templates(['respond', 'fallback', k], fb[k], { vars: new Set(EVENT_VARS) }, false, 'respond.fallback (sent when the step has no result)');
    }
  }

  /** `concurrency`, `throttle`, `debounce`, `batch` (spec §7): keys, durations and how they combine. */
  private flowControl(data: Record<string, unknown>): void {
    const present = FLOW_CONTROLS.filter((k) => isObject(data[k]));
    if (present.length === 0) return;
    let firstKey: { control: string; key: string | undefined } | undefined;
    for (const control of present) {
      const spec = data[control] as Record<string, unknown>;
      this.expression([control, 'key'], spec['key'], { vars: new Set(EVENT_VARS) });
      for (const d of ['period', 'max_wait', 'timeout']) this.duration([control, d], spec[d]);
      const key = typeof spec['key'] === 'string' ? spec['key'].trim() : undefined;
      if (!firstKey) firstKey = { control, key };
      else if (firstKey.key !== key) {
        this.add(
          this.y.at(
            'key' in spec ? [control, 'key'] : [control],
            `${control} and ${firstKey.control} have different keys (${key === undefined ? 'none' : `\`${key}\``} vs ${firstKey.key === undefined ? 'none' : `\`${firstKey.key}\``}): flow controls of one recipe share one key — use the same expression, or split the recipe`,
          ),
        );
      }
    }
    if (isObject(data['debounce']) && isObject(data['batch'])) {
      this.add(this.y.at(['batch'], 'a recipe has debounce or batch, not both: debounce runs once per quiet period, batch once per `size` events', 'key'));
    }
    const debounce = data['debounce'];
    if (isObject(debounce) && typeof debounce['period'] === 'string' && typeof debounce['max_wait'] === 'string') {
      try {
        if (parseDuration(debounce['max_wait']) < parseDuration(debounce['period'])) {
          this.add(
            this.y.at(
              ['debounce', 'max_wait'],
              `debounce.max_wait (${debounce['max_wait']}) is shorter than its period (${debounce['period']}): it caps how long a burst may wait, so make it at least the period`,
            ),
          );
        }
      } catch {
        // reported by duration()
      }
    }
    const on = data['on'];
    if (isObject(on) && 'schedule' in on) {
      this.add(
        this.y.at(
          [present[0]!],
          `${present[0]} applies to webhook recipes: a schedule's fires are spaced by the schedule itself (an overlapping fire is skipped)`,
          'key',
        ),
      );
    }
    const respond = data['respond'];
    if (isObject(respond) && 'after' in respond) {
      this.add(
        this.y.at(
          ['respond', 'after'],
          `respond.after cannot wait for a step of a recipe with ${present.join(' and ')}: its run starts later than the answer; answer from the event (remove after)`,
          'key',
        ),
      );
    }
  }

  recipe(data: Record<string, unknown>): void {
    this.trigger(isObject(data['on']) ? data['on'] : {});
    this.flowControl(data);
    // Debounced and batched runs also see `events`: all the events of the burst / batch.
    const runVars = isObject(data['debounce']) || isObject(data['batch']) ? [...RUN_VARS, 'events'] : RUN_VARS;
    this.steps(data['steps'], ['steps'], { vars: new Set(runVars) });
    this.steps(data['on_failure'], ['on_failure'], { vars: new Set([...runVars, 'error']) });
    if (isObject(data['respond'])) this.respond(data['respond']);
    if (Array.isArray(data['tests'])) {
      data['tests'].forEach((t, i) => {
        if (isObject(t) && 'event' in t === 'events' in t) {
          this.add(
            'event' in t
              ? this.y.at(['tests', i, 'events'], 'a test feeds `event` or `events`, not both', 'key')
              : this.y.at(['tests', i], 'a test needs `event` (one webhook body) or `events` (several, in order)'),
          );
        }
        if (!isObject(t) || !isObject(t['mocks'])) return;
        for (const id of Object.keys(t['mocks'])) {
          if (!this.stepIds.has(id)) {
            this.add(
              this.y.at(['tests', i, 'mocks', id], `mock for unknown step id "${id}" (step ids: ${[...this.stepIds.keys()].join(', ') || 'none'})`, 'key'),
            );
          }
        }
      });
    }
  }
}

interface LoadedFile {
  file: string;
  y: YamlFile;
  recipe?: Recipe;
  problems: Problem[];
}

function checkRecipeFile(file: string, text: string, knownSource: (name: string) => boolean): LoadedFile {
  const y = new YamlFile(file, text);
  if (!y.ok) return { file, y, problems: y.problems };
  const data = y.toJS();
  if (data === null || data === undefined) return { file, y, problems: [y.problemAt(0, 'empty recipe file: a recipe needs name, on and steps')] };
  const problems: Problem[] = [];
  const validate = recipeValidator();
  if (!validate(data)) problems.push(...schemaProblems(y, validate.errors ?? [], []));
  if (isObject(data)) {
    const checker = new RecipeChecker(y, knownSource);
    checker.recipe(data);
    // Where the schema and a specific check flag the same spot, the specific message wins.
    const specific = new Set(checker.problems.map((p) => `${p.line}:${p.col}`));
    const kept = problems.filter((p) => !specific.has(`${p.line}:${p.col}`));
    problems.length = 0;
    problems.push(...kept, ...checker.problems);
  }
  return problems.length === 0 ? { file, y, recipe: normalized(data as Recipe), problems } : { file, y, problems };
}

/** A schedule recipe gets the source and event type of its fires, so matching and runs need no special case. */
function normalized(recipe: Recipe): Recipe {
  if (recipe.on.schedule !== undefined) recipe.on = { ...recipe.on, source: SCHEDULE_SOURCE, event: SCHEDULE_EVENT };
  return recipe;
}

/** Loads every recipe of `dir` and its sources.yaml. Recipes with problems are left out. */
export function loadRecipes(
  dir: string,
  env: Record<string, string | undefined> = process.env,
): { recipes: Recipe[]; sources: Map<string, SourceConfig>; problems: Problem[] } {
  const problems: Problem[] = [];
  const recipes: Recipe[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { recipes, sources: new Map(), problems: [{ file: dir, line: 1, col: 1, message: `recipes folder not found: ${dir} (set RECIPES_DIR)` }] };
  }
  const names = readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort();

  let sources = new Map<string, SourceConfig>();
  let declared = new Set<string>();
  const sourcesFile = names.find((f) => SOURCES_FILES.includes(f));
  if (sourcesFile) {
    const loaded = loadSourcesFile(join(dir, sourcesFile), env);
    sources = loaded.sources;
    declared = loaded.declared;
    problems.push(...loaded.problems);
  }
  const knownSource = (name: string): boolean => declared.has(name) || isPreset(name) || BUILTIN_SOURCES.includes(name);

  const firstByName = new Map<string, { file: string; line: number; col: number }>();
  for (const name of names) {
    if (SOURCES_FILES.includes(name)) continue;
    const file = join(dir, name);
    const loaded = checkRecipeFile(file, readFileSync(file, 'utf8'), knownSource);
    problems.push(...loaded.problems);
    const data = loaded.y.ok ? loaded.y.toJS() : undefined;
    const recipeName = isObject(data) && typeof data['name'] === 'string' ? data['name'] : undefined;
    let duplicate = false;
    if (recipeName !== undefined) {
      const at = loaded.y.at(['name'], '');
      const first = firstByName.get(recipeName);
      if (first) {
        duplicate = true;
        problems.push({ ...at, message: `duplicate recipe name "${recipeName}": also used by ${formatProblem({ ...first, message: '' }).trim()}` });
      } else {
        firstByName.set(recipeName, { file, line: at.line, col: at.col });
      }
    }
    if (loaded.recipe && !duplicate) recipes.push(loaded.recipe);
  }
  problems.sort(byPosition);
  return { recipes, sources, problems };
}

/** Checks one recipe text on its own (editors, tests); sources are the presets plus `declaredSources`. */
export function checkRecipeText(file: string, text: string, declaredSources: Iterable<string> = []): { recipe?: Recipe; problems: Problem[] } {
  const declared = new Set(declaredSources);
  const loaded = checkRecipeFile(file, text, (n) => declared.has(n) || isPreset(n) || BUILTIN_SOURCES.includes(n));
  return { ...(loaded.recipe ? { recipe: loaded.recipe } : {}), problems: loaded.problems.sort(byPosition) };
}
