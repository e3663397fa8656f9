// The kinds of step a recipe may use: the one list the interpreter, the loader and the schema
// messages share. PURE.
import type { Step } from './types.js';

export const OUTBOUND_KINDS = ['http', 'email', 'sms', 'push'] as const;
export const STEP_KINDS = [...OUTBOUND_KINDS, 'log', 'set', 'if', 'for_each', 'delay', 'wait_for', 'fail'] as const;

export type OutboundKind = (typeof OUTBOUND_KINDS)[number];
export type StepKind = (typeof STEP_KINDS)[number];

/** The step of one kind, e.g. `StepOf<'http'>` has `http: HttpParams`. */
export type StepOf<K extends StepKind> = Extract<Step, Record<K, unknown>>;

/** A validated step's kind (the loader guarantees exactly one). */
export function stepKind(step: Step): StepKind {
  const k = STEP_KINDS.find((kind) => kind in step);
  if (!k) throw new Error(`a step needs one of ${STEP_KINDS.join(', ')}`);
  return k;
}

export function isOutboundKind(kind: string): kind is OutboundKind {
  return (OUTBOUND_KINDS as readonly string[]).includes(kind);
}
