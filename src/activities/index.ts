// The outbound activities, built from their dependencies (env, logger) so the worker, tests and
// tools each build their own set. Every activity throws ApplicationFailure: types listed in
// NON_RETRYABLE_ERROR_TYPES are final, the others are worth another attempt.
import type { EmailParams, EmailResult, HttpParams, HttpResult, OutboundInput, PushParams, PushResult, SmsParams, SmsResult } from '../core/types.js';
import { runEmail } from './email.js';
import { runHttp } from './http.js';
import { OutboundGuard, parseAllowList, type DnsLookup } from './outbound-guard.js';
import { FcmTokenCache, runPush } from './push.js';
import { runSms } from './sms.js';

export { NON_RETRYABLE_ERROR_TYPES, PERMANENT as PERMANENT_FAILURE_TYPES, TRANSIENT as TRANSIENT_FAILURE_TYPES } from './failures.js';

/** What the activities log through (pino's Logger fits): only set-up warnings — each attempt's line is the worker's (attempt-facts.ts). */
export interface ActivityLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface ActivityDeps {
  env: Record<string, string | undefined>;
  logger?: ActivityLogger;
  /** DNS resolution used by the outbound guard; tests replace it to simulate rebinding. */
  dnsLookup?: DnsLookup;
}

export interface Activities {
  http(input: OutboundInput<HttpParams>): Promise<HttpResult>;
  email(input: OutboundInput<EmailParams>): Promise<EmailResult>;
  sms(input: OutboundInput<SmsParams>): Promise<SmsResult>;
  push(input: OutboundInput<PushParams>): Promise<PushResult>;
}

export function createActivities(deps: ActivityDeps): Activities {
  const allow = parseAllowList(deps.env['HOOKFLOW_OUTBOUND_ALLOW']);
  if (allow.invalid.length > 0) {
    deps.logger?.warn({ entries: allow.invalid }, 'HOOKFLOW_OUTBOUND_ALLOW: ignoring entries that are neither a hostname, an IP nor a CIDR');
  }
  const guard = new OutboundGuard(allow, deps.dnsLookup);
  const fcmTokens = new FcmTokenCache();
  const shared = { env: deps.env, guard };
  return {
    http: (input) => runHttp(input, shared),
    email: (input) => runEmail(input, shared),
    sms: (input) => runSms(input, shared),
    push: (input) => runPush(input, { ...shared, fcmTokens }),
  };
}
