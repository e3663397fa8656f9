// The retry vocabulary of the outbound activities: every failure leaves an activity as an
// ApplicationFailure whose `type` says whether Temporal may try again.
import { ApplicationFailure } from '@temporalio/common';

/** Failure types that retrying cannot fix: bad input, missing configuration, a definite "no". */
export const PERMANENT = {
  /** An env var (SMTP_URL, TWILIO_*, VAPID_*, FCM_*) is missing or unusable. */
  configuration: 'ConfigurationError',
  /** A `{{ secret.NAME }}` has no HOOKFLOW_SECRET_NAME (or _FILE). */
  secretMissing: 'SecretMissing',
  /** The step's parameters cannot be sent as given (bad URL, two bodies, bad subscription). */
  invalidParams: 'InvalidParams',
  /** The destination is loopback/link-local/private and not in HOOKFLOW_OUTBOUND_ALLOW. */
  outboundRefused: 'OutboundRefused',
  /** An HTTP 4xx (other than 408/429), or a status the step's `expect` does not accept. */
  httpRejected: 'HttpRejected',
  /** The SMTP server answered 5xx, or the message has no valid recipient. */
  emailRejected: 'EmailRejected',
  /** Twilio refused the message (invalid or unsubscribed number, bad credentials, …). */
  smsRejected: 'SmsRejected',
  /** The push service refused the message for a reason other than an expired subscription. */
  pushRejected: 'PushRejected',
  /** The push subscription / FCM token no longer exists: remove it from your data. */
  subscriptionGone: 'SubscriptionGone',
} as const;

/** Failure types worth another attempt (the workflow's retry policy decides when and how often). */
export const TRANSIENT = {
  network: 'NetworkError',
  timeout: 'OutboundTimeout',
  httpStatus: 'HttpRetryableStatus',
  email: 'EmailTemporaryFailure',
  sms: 'SmsTemporaryFailure',
  push: 'PushTemporaryFailure',
} as const;

export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.values(PERMANENT);

/**
 * An HTTP status worth another attempt: 408 (request timeout), 429 (too many requests) and every
 * 5xx. Any other 4xx is the server's definite "no" to this request, which a retry would only repeat.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Upper bound for a server-requested delay: a `Retry-After: 86400` must not park a run for a day. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export function permanentFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function transientFailure(type: string, message: string, retryAfterMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    ...(retryAfterMs !== undefined && retryAfterMs > 0 ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Capped at MAX_RETRY_AFTER_MS; undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** A short description of a socket-level error: `ECONNREFUSED 127.0.0.1:25`, `ETIMEDOUT`, … */
export function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof AggregateError && err.errors.length > 0) {
      return err.errors.map((e) => describeNetworkError(e)).join('; ');
    }
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

export function isApplicationFailure(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure;
}
