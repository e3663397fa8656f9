// The flow-control entity: one per (recipe, key), fed by signal-with-start. It gathers debounced
// bursts and batches, queues runs for their concurrency slot or throttle turn, and starts them as
// children (the normal run workflow, `events` in their input). Timers, groups and queues are its
// workflow state, so they survive worker restarts and deploys; continue-as-new bounds its history.
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  describeFlow,
  FLOW_SEEN_MAX,
  FLOW_SIGNAL,
  FLOW_STARTED_MAX,
  FLOW_STATE_QUERY,
  flowSettings,
  runOf,
  type FlowArrival,
  type FlowInput,
  type FlowRun,
  type FlowSettings,
  type FlowState,
  type FlowView,
} from '../src/core/flow.js';
import { RUN_WORKFLOW } from '../src/core/runtime-contract.js';
import type { RunInput, RunResult } from '../src/core/types.js';

export const flowEventSignal = defineSignal<[FlowArrival]>(FLOW_SIGNAL);
export const flowStateQuery = defineQuery<FlowView>(FLOW_STATE_QUERY);

/** With nothing gathered, queued or running, the entity ends after this long (the next event starts it again). */
const IDLE_MS = 5 * 60_000;
/** Arrivals handled before the entity continues as new (its history stays small). */
const ARRIVALS_PER_RUN = 500;

const RECIPE_KEY = { name: 'HookflowRecipe', type: 'KEYWORD' } as const;
const SOURCE_KEY = { name: 'HookflowSource', type: 'KEYWORD' } as const;
const EVENT_KEY = { name: 'HookflowEvent', type: 'KEYWORD' } as const;

export async function flowControl(input: FlowInput): Promise<void> {
  const s: FlowState = input.state ?? { group: [], queue: [], seen: [], started: [], startedTotal: 0 };
  const seen = new Set(s.seen);
  const inbox: FlowArrival[] = [];
  let running = 0;
  let changed = 0;
  let arrivals = 0;
  // The settings of the most recent event's recipe (an edit applies from the next event on).
  let settings: FlowSettings | undefined = s.group[0]
    ? flowSettings(s.group[s.group.length - 1]!.recipe)
    : s.queue[0]
      ? flowSettings(s.queue[0].recipe)
      : undefined;

  setHandler(flowEventSignal, (a) => {
    inbox.push(a);
  });
  setHandler(flowStateQuery, () => ({
    status: settings ? describeFlow(settings, s, running) : 'idle',
    gathering: s.group.length,
    waiting: s.queue.length,
    running,
    started: [...s.started],
    startedTotal: s.startedTotal,
  }));

  const flush = (): void => {
    if (s.group.length === 0) return;
    s.queue.push(runOf(s.group));
    s.group = [];
    delete s.groupFirstAt;
    delete s.groupLastAt;
  };

  const accept = (a: FlowArrival): void => {
    arrivals++;
    if (seen.has(a.workflowId)) return;
    seen.add(a.workflowId);
    s.seen.push(a.workflowId);
    if (s.seen.length > FLOW_SEEN_MAX) seen.delete(s.seen.shift()!);
    settings = flowSettings(a.recipe);
    const now = Date.now();
    if (settings.debounce || settings.batch) {
      s.group.push(a);
      s.groupFirstAt ??= now;
      s.groupLastAt = now;
      if (settings.batch && s.group.length >= settings.batch.size) flush();
    } else {
      s.queue.push({
        recipe: a.recipe,
        event: a.event,
        workflowId: a.workflowId,
        ...(a.replayOf ? { replayOf: a.replayOf } : {}),
        ...(a.limitedHosts ? { limitedHosts: a.limitedHosts } : {}),
      });
    }
  };

  /** When the group is due (ms, workflow time), if there is one. */
  const groupDue = (): number | undefined => {
    if (s.group.length === 0 || !settings || s.groupFirstAt === undefined) return undefined;
    if (settings.batch) return s.groupFirstAt + settings.batch.timeoutMs;
    if (settings.debounce) {
      const quiet = (s.groupLastAt ?? s.groupFirstAt) + settings.debounce.periodMs;
      return settings.debounce.maxWaitMs !== undefined ? Math.min(quiet, s.groupFirstAt + settings.debounce.maxWaitMs) : quiet;
    }
    return Date.now(); // the recipe lost its debounce/batch: run what was gathered
  };

  const start = async (run: FlowRun): Promise<void> => {
    const info = workflowInfo();
    const args: RunInput = {
      recipe: run.recipe,
      event: run.event,
      ...(run.events ? { events: run.events } : {}),
      ...(run.replayOf ? { replayOf: run.replayOf } : {}),
      ...(run.limitedHosts ? { limitedHosts: run.limitedHosts } : {}),
    };
    const n = run.events?.length;
    try {
      const child = await startChild<(i: RunInput) => Promise<RunResult>>(RUN_WORKFLOW, {
        workflowId: run.workflowId,
        args: [args],
        // The run outlives this entity's continue-as-new and end.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: RECIPE_KEY, value: run.recipe.name },
          { key: SOURCE_KEY, value: run.event.source },
          { key: EVENT_KEY, value: run.event.type },
        ],
        memo: {
          recipe: run.recipe.name,
          source: run.event.source,
          event: run.event.type,
          delivery: run.event.id,
          flow: info.workflowId,
          ...(run.events ? { deliveries: run.events.map((e) => e.id) } : {}),
          ...(run.replayOf ? { replay_of: run.replayOf } : {}),
        },
        staticSummary: `${run.recipe.name} ← ${run.event.source} ${run.event.type}${n !== undefined ? ` (${n} event${n === 1 ? '' : 's'})` : ''}${run.replayOf ? ' (replay)' : ''}`,
      });
      if (settings?.concurrency !== undefined) {
        running++;
        void child
          .result()
          .then(
            () => {},
            () => {},
          )
          .finally(() => {
            running--;
            changed++;
          });
      }
    } catch (err) {
      // The run exists already (a repeated start, or a run started before the recipe had flow control).
      if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
    }
    s.lastStartAt = Date.now();
    s.started.push(run.workflowId);
    if (s.started.length > FLOW_STARTED_MAX) s.started.shift();
    s.startedTotal++;
  };

  let shown = '';
  const show = async (): Promise<void> => {
    const status = settings ? describeFlow(settings, s, running) : 'idle';
    if (status === shown) return;
    shown = status;
    setCurrentDetails(`flow control for ${input.recipe}${input.key ? ` (key ${input.key})` : ''}: ${status}`);
    upsertMemo({ flow_status: status });
  };

  for (;;) {
    while (inbox.length > 0) accept(inbox.shift()!);
    const due = groupDue();
    if (due !== undefined && Date.now() >= due) flush();

    // Start what may start now, in arrival order.
    let wakeAt: number | undefined = due;
    while (s.queue.length > 0 && settings) {
      if (settings.concurrency !== undefined && running >= settings.concurrency) break;
      if (settings.spacingMs !== undefined && s.lastStartAt !== undefined) {
        const turn = s.lastStartAt + settings.spacingMs;
        if (Date.now() < turn) {
          wakeAt = wakeAt === undefined ? turn : Math.min(wakeAt, turn);
          break;
        }
      }
      await start(s.queue.shift()!);
    }
    await show();

    const idle = s.group.length === 0 && s.queue.length === 0 && running === 0;
    if (inbox.length === 0 && running === 0 && (arrivals >= ARRIVALS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      s.seen = [...s.seen];
      await continueAsNew<typeof flowControl>({ ...input, state: s });
    }

    const seenChange = changed;
    const timeout = idle ? IDLE_MS : wakeAt !== undefined ? Math.max(1, wakeAt - Date.now()) : undefined;
    const wake = (): boolean => inbox.length > 0 || changed !== seenChange;
    const woke = timeout === undefined ? (await condition(wake), true) : await condition(wake, timeout);
    if (idle && !woke && inbox.length === 0) return;
  }
}
