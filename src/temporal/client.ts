// The ingress's side of Temporal: durable, idempotent starts of runs, waking runs that wait for an
// event, and the health checks behind /healthz.
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { TypedSearchAttributes } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createHash } from 'node:crypto';
import { DEFAULT_START_TIMEOUT_MS } from '../config.js';
import type { ResponseOutcome } from '../core/respond.js';
import {
  FLOW_SIGNAL,
  FLOW_STATE_QUERY,
  FLOW_WORKFLOW,
  flowKeyOf,
  flowWorkflowId,
  hasFlowControl,
  type FlowArrival,
  type FlowInput,
  type FlowView,
} from '../core/flow.js';
import { RESPOND_UPDATE, RESPONSE_QUERY, RUN_WORKFLOW, runWorkflowId, WAKE_SIGNAL, type Wake } from '../core/runtime-contract.js';
import type { Recipe, RunInput, TriggerEvent } from '../core/types.js';
import { EVENT_KEY, RECIPE_KEY, SEARCH_ATTRIBUTE_KEYS, SOURCE_KEY } from './search-attributes.js';

// @temporalio/proto is CommonJS: its namespaces come off the default export.
const { temporal } = proto;

/** Temporal could not be reached or did not answer in time: the ingress answers 503 + Retry-After. */
export class TemporalUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporalUnavailableError';
  }
}

/** Temporal refused a start for good (INVALID_ARGUMENT: an id or payload it will never take). */
export class TemporalRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporalRefusedError';
  }
}

/** gRPC status INVALID_ARGUMENT, wherever in the cause chain the code sits. */
function isInvalidArgument(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 3) return true;
  }
  return false;
}

export interface StartedRun {
  recipe: string;
  workflowId: string;
  duplicate: boolean;
}

export interface HookflowClientOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Per-call deadline for starts and signals (ms); DEFAULT_START_TIMEOUT_MS when not given. */
  callTimeoutMs?: number;
  /** Payload encryption (HOOKFLOW_CODEC_KEYS), if configured. */
  dataConverter?: DataConverter;
  /**
   * The NativeConnection of a worker in this same process (`hookflow start`). Starts then go through
   * it with eager workflow start: Temporal hands the run's first workflow task back in the start
   * response, skipping the task-queue round trip (docs/BENCHMARKS.md: e2e p50 ~150 → ~40 ms).
   * The connection stays the worker's: close() leaves it open.
   */
  workerConnection?: NativeConnection;
  /** Hosts under HOOKFLOW_OUTBOUND_RATE, handed to every run (their http steps go to the host's task queue). */
  limitedHosts?: string[];
}

export class HookflowClient {
  private constructor(
    readonly connection: Connection | NativeConnection,
    readonly client: Client,
    private readonly opts: Required<Omit<HookflowClientOptions, 'dataConverter' | 'workerConnection' | 'limitedHosts'>> & { limitedHosts?: string[] },
    private readonly eager = false,
  ) {}

  static async connect(opts: HookflowClientOptions): Promise<HookflowClient> {
    const { dataConverter: _dc, workerConnection, ...rest } = opts;
    if (workerConnection) {
      const client = new Client({
        connection: workerConnection,
        namespace: opts.namespace,
        ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
      });
      return new HookflowClient(workerConnection, client, { callTimeoutMs: DEFAULT_START_TIMEOUT_MS, ...rest }, true);
    }
    const connection = await Connection.connect({
      address: opts.address,
      connectTimeout: 10_000,
      // After a Temporal outage, reconnect within seconds rather than grpc's default backoff (up to 2 min),
      // so the ingress stops answering 503 as soon as the server is back.
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2_000 },
    });
    const client = new Client({ connection, namespace: opts.namespace, ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}) });
    return new HookflowClient(connection, client, { callTimeoutMs: DEFAULT_START_TIMEOUT_MS, ...rest });
  }

  get namespace(): string {
    return this.opts.namespace;
  }
  get taskQueue(): string {
    return this.opts.taskQueue;
  }

  /** Runs `fn` with a deadline; any transport failure becomes TemporalUnavailableError. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + this.opts.callTimeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) throw err;
      if (isInvalidArgument(err)) throw new TemporalRefusedError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      throw new TemporalUnavailableError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /**
   * Starts one run, idempotently: the workflow id is the dedupe key, and a run that exists (or
   * existed, for as long as the namespace keeps it) makes this a duplicate.
   */
  async startRun(recipe: Recipe, event: TriggerEvent, extra: { workflowId?: string; replayOf?: string } = {}): Promise<StartedRun> {
    const { workflowId, options } = this.runOptions(recipe, event, extra);
    if (hasFlowControl(recipe)) return this.startFlowRun(recipe, event, workflowId, extra.replayOf);
    try {
      await this.call(`starting ${workflowId}`, () =>
        this.client.workflow.start(RUN_WORKFLOW, {
          ...options,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          ...(this.eager ? { requestEagerStart: true } : {}),
        }),
      );
      return { recipe: recipe.name, workflowId, duplicate: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { recipe: recipe.name, workflowId, duplicate: true };
      throw err;
    }
  }

  /**
   * A recipe with flow control: the event goes to its (recipe, key) entity workflow by
   * signal-with-start — one call that starts the entity if it is not running — which starts the run
   * when its turn comes. The entity counts a repeated delivery (same run workflow id) once.
   */
  private async startFlowRun(recipe: Recipe, event: TriggerEvent, workflowId: string, replayOf?: string): Promise<StartedRun> {
    let key: string;
    try {
      key = flowKeyOf(recipe, event);
    } catch (err) {
      throw new TemporalRefusedError(
        `the flow-control key of recipe "${recipe.name}" could not be computed on this event: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const flowId = flowWorkflowId(recipe.name, createHash('sha256').update(key).digest('hex').slice(0, 20));
    const limited = this.opts.limitedHosts?.length ? { limitedHosts: this.opts.limitedHosts } : {};
    const arrival: FlowArrival = { recipe, event, workflowId, ...(replayOf ? { replayOf } : {}), ...limited };
    await this.call(`signalling ${flowId}`, () =>
      this.client.workflow.signalWithStart(FLOW_WORKFLOW, {
        taskQueue: this.opts.taskQueue,
        workflowId: flowId,
        args: [{ recipe: recipe.name, key } satisfies FlowInput],
        signal: FLOW_SIGNAL,
        signalArgs: [arrival],
        typedSearchAttributes: new TypedSearchAttributes([{ key: RECIPE_KEY, value: recipe.name }]),
        memo: { recipe: recipe.name, flow_key: key },
        staticSummary: `flow control for ${recipe.name}${key ? ` (key ${key.slice(0, 80)})` : ''}`,
      }),
    );
    return { recipe: recipe.name, workflowId, duplicate: false };
  }

  /** A flow-control entity's state (what it gathers, queues and has started). */
  async flowState(recipe: Recipe, event: TriggerEvent): Promise<FlowView> {
    const flowId = flowWorkflowId(recipe.name, createHash('sha256').update(flowKeyOf(recipe, event)).digest('hex').slice(0, 20));
    return this.call(`asking ${flowId} for its state`, () => this.client.workflow.getHandle(flowId).query<FlowView>(FLOW_STATE_QUERY));
  }

  /** How every run is started: its id, input, search attributes, memo and summary. */
  private runOptions(recipe: Recipe, event: TriggerEvent, extra: { workflowId?: string; replayOf?: string }) {
    const workflowId = extra.workflowId ?? runWorkflowId(recipe.name, event.source, event.id);
    const limited = this.opts.limitedHosts?.length ? { limitedHosts: this.opts.limitedHosts } : {};
    const input: RunInput = { recipe, event, ...(extra.replayOf ? { replayOf: extra.replayOf } : {}), ...limited };
    return {
      workflowId,
      options: {
        taskQueue: this.opts.taskQueue,
        workflowId,
        args: [input] as [RunInput],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: RECIPE_KEY, value: recipe.name },
          { key: SOURCE_KEY, value: event.source },
          { key: EVENT_KEY, value: event.type },
        ]),
        memo: { recipe: recipe.name, source: event.source, event: event.type, delivery: event.id, ...(extra.replayOf ? { replay_of: extra.replayOf } : {}) },
        staticSummary: `${recipe.name} ← ${event.source} ${event.type}${extra.replayOf ? ' (replay)' : ''}`,
      },
    };
  }

  /**
   * Starts a run whose recipe answers the webhook after a step (`respond.after`) and waits up to
   * `timeoutMs` for that answer (Temporal's update-with-start: one call starts the run and asks it).
   * `started` resolves once the run exists. An existing run is asked instead (a repeated delivery).
   */
  startRunForResponse(
    recipe: Recipe,
    event: TriggerEvent,
    extra: { workflowId: string },
    timeoutMs: number,
  ): { answer: Promise<ResponseOutcome | 'timeout'>; started: Promise<void> } {
    const { workflowId, options } = this.runOptions(recipe, event, extra);
    const op = new WithStartWorkflowOperation(RUN_WORKFLOW, {
      ...options,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    const update = this.client.workflow.executeUpdateWithStart(RESPOND_UPDATE, { startWorkflowOperation: op }) as Promise<ResponseOutcome>;
    let timer: NodeJS.Timeout | undefined;
    const answer = Promise.race([
      update.catch(async (err: unknown) => {
        // A run that already ended cannot take an update, but it still answers the query.
        const known = await this.queryResponse(workflowId).catch(() => null);
        return known ?? ({ fallback: true, reason: `Temporal did not run the update: ${err instanceof Error ? err.message : String(err)}` } as const);
      }),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    return { answer, started: op.workflowHandle().then(() => undefined) };
  }

  /** The `respond` answer a run has given (null while its step has no result, or when it has none). */
  async queryResponse(workflowId: string): Promise<ResponseOutcome | null> {
    return this.call(`asking ${workflowId} for its answer`, () => this.client.workflow.getHandle(workflowId).query<ResponseOutcome | null>(RESPONSE_QUERY));
  }

  /**
   * Hands a waiting run the event that satisfies one of its waits. 'gone' when the run no longer
   * exists or has finished (nobody to wake); throws TemporalUnavailableError when Temporal cannot be reached.
   */
  async wake(workflowId: string, wake: Wake): Promise<'woken' | 'gone'> {
    try {
      await this.call(`waking ${workflowId}`, () => this.client.workflow.getHandle(workflowId).signal(WAKE_SIGNAL, wake));
      return 'woken';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'gone';
      throw err;
    }
  }

  /** Workflow ids of runs of a source that failed (visibility query), for `hookflow replay --failed`. */
  async failedRuns(source: string, since: number | undefined): Promise<Set<string>> {
    const clauses = [`HookflowSource = ${JSON.stringify(source)}`, 'ExecutionStatus = "Failed"'];
    if (since !== undefined) clauses.push(`StartTime >= "${new Date(since).toISOString()}"`);
    const ids = new Set<string>();
    await this.call('listing failed runs', async () => {
      for await (const w of this.client.workflow.list({ query: clauses.join(' AND ') })) ids.add(w.workflowId);
    });
    return ids;
  }

  /** Registers the search attributes (idempotent); the dev server also gets them at start-up. */
  async ensureSearchAttributes(): Promise<void> {
    const wanted = Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]));
    const existing = await this.call('listing search attributes', () =>
      this.connection.operatorService.listSearchAttributes({ namespace: this.opts.namespace }),
    );
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
    if (Object.keys(missing).length === 0) return;
    await this.call('adding search attributes', () =>
      this.connection.operatorService.addSearchAttributes({ namespace: this.opts.namespace, searchAttributes: missing }),
    );
  }

  /** undefined when healthy; else the reason. Checks that Temporal answers and a worker polls the task queue. */
  async unhealthyReason(): Promise<string | undefined> {
    try {
      const res = await this.connection.withDeadline(Date.now() + 2_000, () =>
        this.connection.workflowService.describeTaskQueue({
          namespace: this.opts.namespace,
          taskQueue: { name: this.opts.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      if (!res.pollers || res.pollers.length === 0) return `no worker polls the task queue "${this.opts.taskQueue}"`;
      return undefined;
    } catch (err) {
      return `Temporal does not answer: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  async close(): Promise<void> {
    // A worker's connection is closed by the worker's owner.
    if (!this.eager) await this.connection.close();
  }
}
