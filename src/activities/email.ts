// The `email` step: one message through nodemailer over SMTP_URL.
// SMTP 5xx is a definite "no" (non-retryable); 4xx and connection trouble are worth retrying.
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { EmailParams, EmailResult, OutboundInput } from '../core/types.js';
import { noteAttempt } from './attempt-facts.js';
import { PERMANENT, TRANSIENT, describeNetworkError, permanentFailure, transientFailure } from './failures.js';
import { idempotencyKey, shortStableId } from './ids.js';
import { fillSecrets, type Env } from './secrets.js';
import { activityContext, attemptTimeoutMs } from './transport.js';

export const DEFAULT_FROM = 'hookflow@localhost';

export interface EmailActivityDeps {
  env: Env;
}

const ADDRESS_FIELDS = ['to', 'cc', 'bcc', 'from', 'reply_to'] as const;

/**
 * Why the address fields cannot be sent as given, or undefined. One string is one address: a value
 * from an event such as "a@x, attacker@evil" must not add a recipient. Several addresses are a list.
 */
export function emailAddressProblem(params: Partial<Pick<EmailParams, (typeof ADDRESS_FIELDS)[number]>>): string | undefined {
  for (const field of ADDRESS_FIELDS) {
    const value = params[field] as unknown;
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      const text = String(item).trim();
      if (text === '') continue;
      const found = addressparser(text, { flatten: true });
      if (found.length > 1) {
        const shown = found
          .map((a) => a.address || a.name)
          .slice(0, 3)
          .join('", "');
        return `email step: \`${field}\` ${Array.isArray(value) ? 'has an entry that holds' : 'holds'} ${found.length} addresses ("${shown}"); one string is one address — for several, give a list (\`${field}: [a@example.com, b@example.com]\`) or a template that gives a list`;
      }
    }
  }
  return undefined;
}

function addressList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => String(v).trim()).filter((v) => v !== '');
}

function domainOf(address: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(address);
  return match?.[1] ?? 'hookflow.local';
}

/** What nodemailer puts on its errors (it does not export a type for them). */
interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message: string;
}

export function classifySmtpError(err: unknown): { permanent: boolean; message: string } {
  const e: SmtpError = err instanceof Error ? (err as Error & SmtpError) : { message: String(err) };
  const detail = e.response ?? e.message;
  if (typeof e.responseCode === 'number') {
    const where = e.command ? ` after ${e.command}` : '';
    return { permanent: e.responseCode >= 500, message: `SMTP server answered ${e.responseCode}${where}: ${detail}` };
  }
  // Problems with the message itself (no recipients, bad address) will not go away on retry.
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return { permanent: true, message: detail };
  return { permanent: false, message: describeNetworkError(err) };
}

export async function runEmail(input: OutboundInput<EmailParams>, deps: EmailActivityDeps): Promise<EmailResult> {
  const smtpUrl = deps.env['SMTP_URL'];
  if (!smtpUrl) {
    throw permanentFailure(PERMANENT.configuration, 'email step: SMTP_URL is not set (e.g. smtp://user:pass@mail.example.com:587)');
  }
  const { params, redactor } = fillSecrets(input.params, input.secretFields ?? [], deps.env);
  const addressProblem = emailAddressProblem(params);
  if (addressProblem) throw permanentFailure(PERMANENT.invalidParams, redactor.text(addressProblem));
  const to = addressList(params.to);
  const cc = addressList(params.cc);
  const bcc = addressList(params.bcc);
  if (to.length + cc.length + bcc.length === 0) {
    throw permanentFailure(PERMANENT.emailRejected, 'email step: no recipient (to, cc and bcc are all empty)');
  }
  const from = params.from ?? deps.env['HOOKFLOW_EMAIL_FROM'] ?? DEFAULT_FROM;
  const ctx = activityContext();
  const timeout = attemptTimeoutMs(ctx);

  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const onCancel = (): void => transport.close();
  ctx?.cancellationSignal.addEventListener('abort', onCancel, { once: true });
  try {
    const info = await transport.sendMail({
      from,
      to,
      cc,
      bcc,
      ...(params.reply_to ? { replyTo: params.reply_to } : {}),
      subject: params.subject ?? '',
      ...(params.text !== undefined ? { text: params.text } : {}),
      ...(params.html !== undefined ? { html: params.html } : {}),
      // The same Message-ID on every attempt lets mail systems drop a duplicate of a retried send.
      messageId: `<${shortStableId(idempotencyKey(input.workflowId, input.stepPath))}@${domainOf(from)}>`,
    });
    const asText = (list: unknown[] | undefined): string[] =>
      (list ?? []).map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address ?? a)));
    const result: EmailResult = { message_id: info.messageId, accepted: asText(info.accepted), rejected: asText(info.rejected) };
    noteAttempt({ message_id: result.message_id, accepted: result.accepted.length, rejected: result.rejected.length });
    return result;
  } catch (err) {
    ctx?.cancellationSignal.throwIfAborted();
    const { permanent, message } = classifySmtpError(err);
    const text = redactor.text(`email to ${[...to, ...cc].join(', ') || '(bcc only)'}: ${message}`);
    throw permanent ? permanentFailure(PERMANENT.emailRejected, text) : transientFailure(TRANSIENT.email, text);
  } finally {
    ctx?.cancellationSignal.removeEventListener('abort', onCancel);
    transport.close();
  }
}
