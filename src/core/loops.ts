// `for_each` at scale: the limits, the shape of a chunk of iterations run apart (a child workflow,
// so no single workflow history or workflow task grows with the list), and the tally that keeps a
// loop's run record readable — every iteration counted, the step records of a few kept. PURE.
import type { Json, RunFailure, RunResult, Step, StepRecord } from './types.js';

/** Loops longer than this run their iterations in chunks of this size, each apart (when the runtime can). */
export const CHUNK_ITERATIONS = 250;
/** A loop may not have more items than this. */
export const MAX_ITERATIONS = 100_000;
/** Loops up to this many iterations keep the record of every step; longer ones keep a sample. */
export const RECORD_ALL_ITERATIONS = 100;
/** Iterations (the first ones) whose step records a long loop keeps. */
export const SAMPLE_ITERATIONS = 3;
/** Failed step records a long loop keeps. */
export const MAX_FAILED_RECORDS = 50;
/** What chunks may carry in all (their context and items, in the parent's history). */
export const MAX_CHUNK_INPUT_BYTES = 24 * 1024 * 1024;
/** What a loop with an id may collect as `steps.<id>` (every iteration's results). */
export const MAX_LOOP_RESULT_BYTES = 8 * 1024 * 1024;
/** Log lines a run keeps; the count of the others is in the result. */
export const MAX_LOGS = 500;

export type ForEachStep = Extract<Step, { for_each: string }>;

/** Iterations [offset, offset + items.length) of a loop, to run apart. */
export interface LoopChunk {
  /** The loop step's path, e.g. `steps[0]` or `notify`. */
  path: string;
  /** Chunk number within the loop (0, 1, …). */
  index: number;
  offset: number;
  items: Json[];
  /** The loop step itself (its body, `as`, `concurrency`). */
  step: ForEachStep;
  /** The context the iterations see (event, headers, query, trigger, vars, steps, outer loop variables). */
  ctx: Record<string, Json>;
  /** Whether the loop has an id, so its iterations' results are wanted. */
  collect: boolean;
}

export interface LoopChunkResult {
  /** `vars` after the chunk (`set` steps inside the loop change the run's vars). */
  vars: Record<string, Json>;
  logs: RunResult['logs'];
  logsDropped: number;
  tally: TallyState;
  /** Each iteration's own step results, when `collect`. */
  results?: Json[];
  /** Set when an iteration failed the run (a step without continue_on_error). */
  failed?: string;
  failure?: RunFailure;
}

export interface TallyState {
  iterations: number;
  /** Iterations that finished, with or without a failed (continue_on_error) step. */
  done: number;
  /** Iterations with a failed step. */
  failed: number;
  /** Step records kept, with the iteration they belong to. */
  kept: Array<{ index: number; records: StepRecord[] }>;
  failedRecordsKept: number;
}

/** Counts a loop's iterations and keeps the step records worth reading. */
export class LoopTally {
  readonly state: TallyState;

  constructor(iterations: number) {
    this.state = { iterations, done: 0, failed: 0, kept: [], failedRecordsKept: 0 };
  }

  /** The records of iteration `index`, once it ended (`finished` false: it failed the run). */
  add(index: number, records: StepRecord[], finished: boolean): void {
    const s = this.state;
    const failedHere = records.filter((r) => r.status === 'failed');
    if (finished) s.done++;
    if (failedHere.length > 0) s.failed++;
    if (s.iterations <= RECORD_ALL_ITERATIONS || index < SAMPLE_ITERATIONS) {
      s.kept.push({ index, records });
      return;
    }
    const room = MAX_FAILED_RECORDS - s.failedRecordsKept;
    if (room > 0 && failedHere.length > 0) {
      const keep = failedHere.slice(0, room);
      s.failedRecordsKept += keep.length;
      s.kept.push({ index, records: keep });
    }
  }

  merge(other: TallyState): void {
    this.state.done += other.done;
    this.state.failed += other.failed;
    for (const k of other.kept) {
      if (this.state.iterations > RECORD_ALL_ITERATIONS && k.index >= SAMPLE_ITERATIONS) {
        const room = MAX_FAILED_RECORDS - this.state.failedRecordsKept;
        const keep = k.records.filter((r) => r.status === 'failed').slice(0, Math.max(0, room));
        if (keep.length === 0) continue;
        this.state.failedRecordsKept += keep.length;
        this.state.kept.push({ index: k.index, records: keep });
      } else {
        this.state.kept.push(k);
      }
    }
  }

  /** The kept records in iteration order. */
  records(): StepRecord[] {
    return [...this.state.kept].sort((a, b) => a.index - b.index).flatMap((k) => k.records);
  }

  /** `20000 iteration(s): 19998 ok, 2 with a failed step (step records of 3 iterations and of the failures kept)`. */
  summary(): string {
    const s = this.state;
    const ok = s.done - s.failed;
    let line = `${s.iterations} iteration(s): ${ok} ok${s.failed ? `, ${s.failed} with a failed step` : ''}`;
    if (s.done < s.iterations) line += `, ${s.iterations - s.done} not finished`;
    if (s.iterations > RECORD_ALL_ITERATIONS)
      line += ` (step records of the first ${SAMPLE_ITERATIONS} iterations and of up to ${MAX_FAILED_RECORDS} failures kept)`;
    return line;
  }
}

/** Byte size of a value as JSON (what it costs in a workflow history). */
export function jsonBytes(v: unknown): number {
  return JSON.stringify(v ?? null).length;
}
