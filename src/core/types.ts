// Shared shapes of hookflow's data, from the webhook in to the run record out.
// PURE: this folder is imported by the workflow sandbox; no Node built-ins, no I/O.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An incoming webhook after it was verified and parsed: what a recipe's expressions see. */
export interface TriggerEvent {
  source: string;
  /** Event type, e.g. `group_channel:message_send`, `push`, `payment_intent.succeeded`. */
  type: string;
  /** Delivery id used for dedupe: the run's workflow id is `<recipe>/<source>/<id>`. */
  id: string;
  /** ISO-8601 time the ingress received it. */
  received_at: string;
  /** Parsed body: JSON, form fields, XML as an object, or a string for text/plain. */
  body: Json;
  /** Lower-case header names; credentials (Authorization, signature headers) removed. */
  headers: Record<string, string>;
  query: Record<string, string | string[]>;
}

// ---------------------------------------------------------------------------------------------
// Recipes: the validated form of one `RECIPES_DIR/*.yaml` file. Templates (`{{ … }}`) and CEL
// expressions are kept as source strings; they are compiled once at load time for checking and
// again (cached) wherever they are evaluated.

export interface RetryPolicy {
  attempts?: number;
  /** Durations are strings like `500ms`, `10s`, `5m`, `1h`, `1d`. */
  initial?: string;
  factor?: number;
  max?: string;
}

export interface StepCommon {
  id?: string;
  name?: string;
  timeout?: string;
  retry?: RetryPolicy;
  /** Outbound steps: a local activity (default up to a 30 s timeout) or a regular one. */
  mode?: 'local' | 'activity';
  continue_on_error?: boolean;
}

export interface HttpParams {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, Json>;
  json?: Json;
  form?: Record<string, Json>;
  body?: string;
  auth?: { bearer?: string; basic?: { username: string; password: string } };
  /** Status codes (or `2xx`-style classes) that count as success; default: any 2xx. */
  expect?: Array<number | string> | number | string;
  sign?: { 'standard-webhooks': string };
}

export interface EmailParams {
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  from?: string;
  reply_to?: string;
  subject: string;
  text?: string;
  html?: string;
}

export interface SmsParams {
  to: string;
  from?: string;
  messaging_service_sid?: string;
  body: string;
}

export interface PushParams {
  provider: 'webpush' | 'fcm';
  /** webpush: a PushSubscription object (or its JSON string); fcm: a registration token. */
  to: Json;
  title?: string;
  body?: string;
  data?: Json;
  ttl?: number | string;
}

export type LogParams = string | { level?: 'debug' | 'info' | 'warn' | 'error'; message: string; fields?: Json };

export type Step =
  | (StepCommon & { http: HttpParams })
  | (StepCommon & { email: EmailParams })
  | (StepCommon & { sms: SmsParams })
  | (StepCommon & { push: PushParams })
  | (StepCommon & { log: LogParams })
  | (StepCommon & { set: Record<string, Json> })
  | (StepCommon & { if: string; then: Step[]; else?: Step[] })
  | (StepCommon & { for_each: string; as?: string; steps: Step[]; concurrency?: number })
  | (StepCommon & { delay: string | { until: string } })
  | (StepCommon & { wait_for: { source?: string; event: string | string[]; match?: string; timeout: string } })
  | (StepCommon & { fail: string });

export interface RecipeTest {
  name: string;
  event?: Json;
  /** Several events, in arrival order (flow control: a debounced burst, a batch, queued runs). */
  events?: Json[];
  headers?: Record<string, string>;
  /** Event type and delivery id for the test; defaults from the recipe's `on`. */
  trigger?: { type?: string; id?: string };
  mocks?: Record<string, Json>;
  expect: Json;
}

export interface Recipe {
  name: string;
  description?: string;
  on: {
    /** For a schedule recipe the loader sets `schedule` here (its fires' source). */
    source: string;
    /** Exact event type, a glob (`group_channel:*`, `*`), or a list of those. */
    event: string | string[];
    if?: string;
    /** A cron expression or an interval: the recipe runs on a Temporal Schedule. */
    schedule?: string | { every: string };
    /** IANA time zone of the cron expression. */
    timezone?: string;
  };
  vars?: Record<string, Json>;
  steps: Step[];
  /** Steps run once a run has failed for good; they see `error`. */
  on_failure?: Step[];
  /** The answer to the webhook's sender (see RespondSpec). */
  respond?: RespondSpec;
  /** Flow control (spec §7): each keyed by CEL over the event; see src/core/flow.ts. */
  concurrency?: { key?: string; limit: number };
  throttle?: { key?: string; limit: number; period: string };
  debounce?: { key?: string; period: string; max_wait?: string };
  batch?: { key?: string; size: number; timeout: string };
  tests?: RecipeTest[];
}

/** A templated answer to the sender: from the event alone, or after a step's result (`after`). */
export interface RespondSpec {
  status?: number | string;
  headers?: Record<string, string>;
  body?: Json;
  /** A step id: the run starts before the answer, which waits for this step's result. */
  after?: string;
  /** How long the answer waits for `after` (default 3s), then `fallback` is sent while the run goes on. */
  timeout?: string;
  fallback?: { status?: number | string; headers?: Record<string, string>; body?: Json };
}

// ---------------------------------------------------------------------------------------------
// Sources: `sources.yaml` plus the presets that need no file.

export type GenericVerify =
  | 'none'
  | { none: true }
  | {
      hmac: 'sha1' | 'sha256' | 'sha512';
      header: string;
      encoding?: 'hex' | 'base64';
      prefix?: string;
      secret?: string;
    }
  | { token: { header?: string; query?: string }; secret?: string }
  | { basic: { username: string }; secret?: string };

export interface SourceConfig {
  name: string;
  /** A preset's name (PRESET_NAMES in src/providers/index.ts). */
  provider: string;
  /** Resolved secrets (rotation: several); empty when none is configured. */
  secrets: string[];
  /** Where the secret came from, for error messages: an env var name or `sources.yaml:<line>`. */
  secretOrigin: string;
  /** For generic sources (or an explicit `verify: none` on a preset). */
  verify?: GenericVerify;
  /** CEL → event type (generic). */
  event?: string;
  /** CEL → delivery id (generic); default: hash of the raw body. */
  id?: string;
  /** Maximum body size in bytes (default 1 MiB). */
  maxBody: number;
  /** A content key (CEL over body, headers, query) deduped within `windowMs`, on top of the delivery id. */
  dedupe?: { key: string; windowMs: number };
}

// ---------------------------------------------------------------------------------------------
// What the workflow hands to an outbound activity. Secrets never travel here in clear: a field
// that used `{{ secret.NAME }}` is listed in `secretFields` and filled in by the activity.

export type SecretPart = string | { secret: string };
export interface SecretField {
  /** Path into `params`, e.g. ['headers', 'Authorization']. */
  path: Array<string | number>;
  parts: SecretPart[];
}

export interface OutboundInput<P> {
  /** Workflow id of the run: with `stepPath` it forms the Idempotency-Key. */
  workflowId: string;
  /** Stable path of the step in the recipe, e.g. `steps[0].steps[1]` or the step id path. */
  stepPath: string;
  params: P;
  secretFields: SecretField[];
  /** Who the call is for, so every log line about it names the recipe and the event. */
  context?: { recipe: string; source: string; event_id: string };
  /** The step's retry limit, so the last attempt's failure is logged and counted as final. */
  maxAttempts?: number;
}

export interface HttpResult {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, else text; capped in size for history. */
  body: Json;
  truncated?: boolean;
}
export interface EmailResult {
  message_id: string;
  accepted: string[];
  rejected: string[];
}
export interface SmsResult {
  sid: string;
  status: string;
}
export interface PushResult {
  id: string;
  status: number;
}

/** The per-step record in a run's result. */
export interface StepRecord {
  path: string;
  id?: string;
  kind: string;
  status: 'ok' | 'failed' | 'skipped';
  attempts: number;
  started_at: string;
  duration_ms: number;
  /** A short, human-readable line: `POST https://… → 200`, `sms to +1… queued`. */
  output?: string;
  error?: string;
}

export interface RunInput {
  recipe: Recipe;
  event: TriggerEvent;
  /** Set by `hookflow replay`: the workflow id this run replays. */
  replayOf?: string;
  /** A debounced or batched run: the events it stands for, in arrival order (`event` is the last). */
  events?: TriggerEvent[];
  /** Hosts under HOOKFLOW_OUTBOUND_RATE: http steps to them run on the host's rate-limited task queue. */
  limitedHosts?: string[];
}

/** Why a run failed for good: the step, its error, and how many attempts it made. `error` in `on_failure`. */
export interface RunFailure {
  /** The step's path, e.g. `notify[2].sms` ('' when the run failed outside any step). */
  step: string;
  message: string;
  attempts: number;
}

export interface RunResult {
  recipe: string;
  event: { source: string; type: string; id: string };
  status: 'completed' | 'failed';
  error?: string;
  failure?: RunFailure;
  /** An `on_failure` step failed too. */
  on_failure_error?: string;
  steps: StepRecord[];
  logs: Array<{ level: string; message: string; fields?: Json; at: string }>;
  /** Log lines past the run's limit, not kept. */
  logs_dropped?: number;
  vars: Record<string, Json>;
}
