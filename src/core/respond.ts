// `respond:` — the answer a recipe gives the webhook's sender (TwiML for Twilio, a Slack slash
// command's acknowledgement, an API's expected status). Rendered from the event alone, or — with
// `after: <step>` — inside the run once that step has a result. PURE.
import { parseDuration } from './duration.js';
import { renderTemplate, renderValue } from './template.js';
import type { Json, RespondSpec } from './types.js';

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the run hands the waiting webhook: the answer, or "use the fallback" (the step never came). */
export type ResponseOutcome = { response: RenderedResponse } | { fallback: true; reason: string };

/** How long an `after` answer waits by default: below Slack's 3 s and Sendbird's 5 s. */
export const DEFAULT_RESPOND_TIMEOUT_MS = 2_500;

export function respondTimeoutMs(spec: RespondSpec): number {
  return spec.timeout ? parseDuration(spec.timeout) : DEFAULT_RESPOND_TIMEOUT_MS;
}

/**
 * Renders `{status, headers, body}`. A body that is a string is sent as text (text/plain unless a
 * content-type is given); an object or list as JSON. Throws on a template error or a bad status.
 */
export function renderResponse(spec: Pick<RespondSpec, 'status' | 'headers' | 'body'>, ctx: Record<string, unknown>): RenderedResponse {
  const rawStatus = typeof spec.status === 'string' ? renderTemplate(spec.status, ctx) : (spec.status ?? 200);
  const status = Number(rawStatus);
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw new Error(`respond status ${JSON.stringify(rawStatus)} is not an HTTP status from 200 to 599`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = String(renderTemplate(v, ctx) ?? '');
  let body = '';
  if (typeof spec.body === 'string') {
    body = String(renderTemplate(spec.body, ctx) ?? '');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (spec.body !== undefined && spec.body !== null) {
    body = JSON.stringify(renderValue(spec.body as Json, ctx).value);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  return { status, headers, body };
}
