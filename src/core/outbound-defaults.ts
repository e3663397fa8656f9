// The spec's default deadline of one outbound attempt, shared by the interpreter (a step without
// `timeout:`) and the activities (a call made outside an activity, which has no start-to-close
// timeout to go by). PURE: the workflow imports it.

/** 10 s per attempt unless the step says otherwise. */
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;
