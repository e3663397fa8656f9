// The `sms` step: one message through the twilio library.
// Twilio's answers follow the shared status rule (isRetryableStatus): 408, 429 and 5xx retry; other 4xx (bad or
// unsubscribed number, bad credentials) are final.
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type { OutboundInput, SmsParams, SmsResult } from '../core/types.js';
import { noteAttempt } from './attempt-facts.js';
import { PERMANENT, TRANSIENT, describeNetworkError, isRetryableStatus, permanentFailure, transientFailure } from './failures.js';
import { fillSecrets, type Env } from './secrets.js';
import { activityContext, attemptTimeoutMs } from './transport.js';

export interface SmsActivityDeps {
  env: Env;
}

/** Twilio error codes worth naming in messages (https://www.twilio.com/docs/api/errors). */
const KNOWN_CODES: Record<number, string> = {
  20003: 'authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
  20404: 'resource not found: check TWILIO_ACCOUNT_SID',
  21211: 'the To number is not a valid phone number',
  21212: 'the From number is not a valid phone number',
  21408: 'sending to this region is not enabled on the account',
  21606: 'the From number cannot send SMS (not an SMS-capable number of this account)',
  21610: 'the recipient has unsubscribed (replied STOP)',
  21612: 'this To/From combination cannot be routed',
  21614: 'the To number cannot receive SMS (not a mobile number)',
  30007: 'the message was filtered as spam by the carrier',
};

/**
 * Rewrites every Twilio API URL onto `TWILIO_API_BASE_URL` (a regional proxy or a test double),
 * keeping path and query. Done in the HTTP client so it covers every resource the library builds.
 */
export function rebaseTwilioUri(uri: string, base: string): string {
  const from = new URL(uri);
  const to = new URL(base);
  const prefix = to.pathname.replace(/\/+$/, '');
  to.pathname = `${prefix}${from.pathname}`;
  to.search = from.search;
  return to.href;
}

class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    opts: TwilioRequestClient.RequestClientOptions,
  ) {
    super(opts);
  }

  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rebaseTwilioUri(opts.uri, this.baseUrl) });
  }
}

interface TwilioApiError {
  status: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

function asTwilioApiError(err: unknown): TwilioApiError | undefined {
  if (err instanceof twilio.RestException) return err;
  return undefined;
}

export async function runSms(input: OutboundInput<SmsParams>, deps: SmsActivityDeps): Promise<SmsResult> {
  const env = deps.env;
  const missing = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'].filter((name) => !env[name]);
  if (missing.length > 0) throw permanentFailure(PERMANENT.configuration, `sms step: ${missing.join(' and ')} not set`);
  const { params, redactor } = fillSecrets(input.params, input.secretFields ?? [], env);
  redactor.add(env['TWILIO_AUTH_TOKEN'] as string);

  const to = String(params.to ?? '').trim();
  if (to === '') throw permanentFailure(PERMANENT.invalidParams, 'sms step: `to` is empty');
  if (params.body === undefined || params.body === '') throw permanentFailure(PERMANENT.invalidParams, 'sms step: `body` is empty');
  const messagingServiceSid = params.messaging_service_sid;
  const from = params.from ?? (messagingServiceSid ? undefined : env['TWILIO_FROM']);
  if (!from && !messagingServiceSid) {
    throw permanentFailure(PERMANENT.configuration, 'sms step: no sender: set TWILIO_FROM, or give `from` or `messaging_service_sid` in the step');
  }

  const ctx = activityContext();
  const timeout = attemptTimeoutMs(ctx);
  const baseUrl = env['TWILIO_API_BASE_URL'];
  const client = twilio(env['TWILIO_ACCOUNT_SID'], env['TWILIO_AUTH_TOKEN'], {
    autoRetry: false, // retries belong to the workflow's policy, where they are visible
    timeout,
    ...(baseUrl ? { httpClient: new RebasedRequestClient(baseUrl, { timeout }) } : {}),
  });

  try {
    const message = await client.messages.create({
      to,
      body: params.body,
      ...(from ? { from } : {}),
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
    });
    noteAttempt({ sid: message.sid, status: message.status });
    return { sid: message.sid, status: String(message.status) };
  } catch (err) {
    ctx?.cancellationSignal.throwIfAborted();
    const apiError = asTwilioApiError(err);
    if (!apiError) throw transientFailure(TRANSIENT.sms, redactor.text(`sms to ${to}: cannot reach Twilio: ${describeNetworkError(err)}`));
    const hint = apiError.code !== undefined ? KNOWN_CODES[apiError.code] : undefined;
    const text = redactor.text(
      `sms to ${to}: Twilio answered ${apiError.status}` +
        (apiError.code !== undefined ? ` with error ${apiError.code}` : '') +
        `: ${apiError.message ?? '(no message)'}` +
        (hint ? ` (${hint})` : '') +
        (apiError.moreInfo ? ` ${apiError.moreInfo}` : ''),
    );
    if (isRetryableStatus(apiError.status)) throw transientFailure(TRANSIENT.sms, text);
    throw permanentFailure(PERMANENT.smsRejected, text);
  }
}
