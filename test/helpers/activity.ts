// Shared by the activity tests: run an activity in MockActivityEnvironment and inspect its failure.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { NON_RETRYABLE_ERROR_TYPES } from '../../src/activities/index.js';

/** MockActivityEnvironment.run with the activity's result type kept. */
export function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
}

export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

/** Would Temporal try this failure again? */
export const retryable = (f: ApplicationFailure): boolean => !f.nonRetryable && !NON_RETRYABLE_ERROR_TYPES.includes(f.type ?? '');
