// The run workflow: runs a recipe snapshot against the event that started it.
// Thin and deterministic: it imports only src/core (pure) and @temporalio/workflow.
import { ApplicationFailure } from '@temporalio/workflow';
import { Interpreter, interpret } from '../src/core/interpreter.js';
import type { LoopChunkResult } from '../src/core/loops.js';
import type { LoopChunkInput } from '../src/core/runtime-contract.js';
import type { RunInput, RunResult } from '../src/core/types.js';
import { durableRuntime } from './runtime.js';

export async function runRecipe(input: RunInput): Promise<RunResult> {
  const result = await interpret(input.recipe, input.event, durableRuntime(input.recipe, input.event));
  if (result.status === 'failed') {
    throw ApplicationFailure.create({ type: 'RunFailed', message: result.error ?? 'run failed', nonRetryable: true, details: [result] });
  }
  return result;
}

/** A chunk of a long `for_each`, run as a child of the run (see src/core/loops.ts). */
export async function runLoopChunk(input: LoopChunkInput): Promise<LoopChunkResult> {
  return new Interpreter(input.recipe, input.event, durableRuntime(input.recipe, input.event)).runChunk(input.chunk);
}
