// Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` over the URL Twilio called followed by every form
// parameter, sorted by name, as name+value. A non-form (JSON) body is not in the MAC: the URL carries
// `bodySHA256=<hex>` and the body must hash to it.
//
// The signed string has no delimiters ("MessageSidSM…SmsStatusreceived"), so other splits of the
// same bytes carry the same signature. Two defences: the parameters are decoded by the same code
// (and charset) as the event's body, and the values that name the delivery — SID and status — must
// have the exact shape Twilio sends, which a shifted boundary cannot keep.
import { badSignature, decodeSignature, digest, headerValue, hmac, matchAny, safeEqual, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import type { Json } from '../core/types.js';
import { IngressError } from './errors.js';
import { parseContentType } from '../http/content-type.js';
import { formPairs } from '../http/form-pairs.js';
import type { Described, Provider } from './types.js';

const LABEL = 'Twilio';
const HEADER = 'X-Twilio-Signature';

/** The string Twilio signs: URL + sorted names, each followed by its (deduped, sorted) values. */
export function twilioSignedString(url: string, params: Record<string, string[]>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    for (const value of [...new Set(params[name])].sort()) data += name + value;
  }
  return data;
}

export function twilioSignature(authToken: string, url: string, params: Record<string, string[]>): Buffer {
  return hmac('sha1', authToken, Buffer.from(twilioSignedString(url, params), 'utf8'));
}

/** The form's parameters exactly as the body parser decodes them (same charset, same percent-decoding). */
function formParams(raw: Buffer, contentType: string | undefined): Record<string, string[]> {
  const params: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of formPairs(raw, parseContentType(contentType)?.charset ?? 'utf-8')) (params[name] ??= []).push(value);
  return params;
}

function isForm(contentType: string | undefined): boolean {
  return parseContentType(contentType)?.mediaType === 'application/x-www-form-urlencoded';
}

/** Two capital letters and 32 hex digits (SM…, MM…, CA…): exactly 34 characters. */
const SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;
/** https://www.twilio.com/docs/messaging/api/message-resource#message-status-values */
const MESSAGE_STATUSES = new Set([
  'accepted',
  'scheduled',
  'canceled',
  'queued',
  'sending',
  'sent',
  'failed',
  'delivered',
  'undelivered',
  'receiving',
  'received',
  'read',
  'partially_delivered',
]);
/** https://www.twilio.com/docs/voice/api/call-resource#call-status-values */
const CALL_STATUSES = new Set(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']);

function badParameter(message: string): IngressError {
  return new IngressError(
    400,
    'invalid_twilio_delivery',
    `${message} Twilio's signature has no delimiters between parameters, so hookflow only names a delivery after values of the exact shape Twilio sends.`,
  );
}

/** The one value of a form parameter; sent twice (even with one value) it cannot name the delivery. */
function single(body: Json, name: string): string | undefined {
  const v = body !== null && typeof body === 'object' && !Array.isArray(body) && Object.hasOwn(body, name) ? body[name] : undefined;
  if (Array.isArray(v)) throw badParameter(`${name} is sent ${v.length} times.`);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Sid and status of a form delivery, checked: a SID of Twilio's shape, a status Twilio documents. */
function strictIds(body: Json): Described {
  const messageSid = single(body, 'MessageSid') ?? single(body, 'SmsSid') ?? single(body, 'SmsMessageSid');
  const callSid = messageSid === undefined ? single(body, 'CallSid') : undefined;
  const sid = messageSid ?? callSid;
  if (sid === undefined) throw noEventType(LABEL, 'MessageSid (with SmsStatus/MessageStatus) or CallSid with CallStatus');
  if (!SID.test(sid))
    throw badParameter(`${messageSid ? 'MessageSid' : 'CallSid'} "${sid.slice(0, 50)}" is not a Twilio SID (two capital letters and 32 hex digits).`);
  const status = messageSid ? (single(body, 'MessageStatus') ?? single(body, 'SmsStatus')) : single(body, 'CallStatus');
  const kind = messageSid ? 'message' : 'call';
  if (status === undefined) throw noEventType(LABEL, messageSid ? 'SmsStatus or MessageStatus with the MessageSid' : 'CallStatus with the CallSid');
  const known = messageSid ? MESSAGE_STATUSES : CALL_STATUSES;
  if (!known.has(status))
    throw badParameter(
      `${messageSid ? 'MessageStatus/SmsStatus' : 'CallStatus'} "${status.slice(0, 40)}" is not a ${kind} status Twilio sends (${[...known].join(', ')}).`,
    );
  return { type: `${kind}.${status}`, id: `${sid}:${status}` };
}

/**
 * The URL as given, without its port and with the scheme's default port: Twilio signs whichever
 * form it dialled, and a proxy in between may add or drop `:443`.
 */
export function twilioUrlVariants(url: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) return [url];
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const withoutPort = scheme + userInfo + host + rest;
  const withPort = colon < 0 ? scheme + userInfo + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}

function bodySha256Param(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('bodySHA256') ?? undefined;
  } catch {
    return undefined;
  }
}

export const twilio: Provider = {
  name: 'twilio',
  sensitiveHeaders: ['x-twilio-signature'],

  verify(req, source) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, [HEADER], LABEL, { noComma: true });
    const given = decodeSignature(sig.value, 'base64');

    const hasBody = req.rawBody.length > 0;
    const form = isForm(headerValue(req, 'content-type'));
    const bodySha = bodySha256Param(req.publicUrl);
    if (hasBody && !form && bodySha === undefined) {
      throw new IngressError(
        401,
        'bad_signature',
        `${LABEL} signs a non-form body through a bodySHA256 query parameter, and ${req.publicUrl} has none. ` +
          'Check that PUBLIC_URL is the URL configured in Twilio and that the query string reaches hookflow.',
      );
    }
    const params = hasBody && form ? formParams(req.rawBody, headerValue(req, 'content-type')) : {};

    let ok = false;
    if (given) {
      for (const url of twilioUrlVariants(req.publicUrl)) {
        if (matchAny(secrets, [given], (secret) => twilioSignature(secret, url, params))) ok = true;
      }
    }
    if (!ok) throw badSignature(source, LABEL, HEADER, secrets.length);

    if (bodySha !== undefined && !form) {
      const actual = digest('sha256', req.rawBody).toString('hex');
      if (!safeEqual(Buffer.from(bodySha.toLowerCase()), Buffer.from(actual))) {
        throw new IngressError(401, 'bad_signature', `The body does not hash to the bodySHA256 that ${LABEL} signed in the URL; it was changed on the way.`);
      }
    }
  },

  describe(req, body) {
    // A form body's parameters are what the signature covers, without delimiters: check their shape.
    if (req.rawBody.length > 0 && isForm(headerValue(req, 'content-type'))) return strictIds(body);
    // A JSON body is hashed whole (bodySHA256): its fields are what was signed.
    const messageSid = textAt(body, ['MessageSid']) ?? textAt(body, ['SmsSid']) ?? textAt(body, ['SmsMessageSid']);
    if (messageSid) {
      // An incoming message has SmsStatus=received; status callbacks carry MessageStatus (queued, sent, delivered, …).
      const status = (textAt(body, ['MessageStatus']) ?? textAt(body, ['SmsStatus']) ?? 'received').toLowerCase();
      return { type: `message.${status}`, id: `${messageSid}:${status}` };
    }
    const callSid = textAt(body, ['CallSid']);
    const callStatus = textAt(body, ['CallStatus']);
    if (callSid && callStatus) {
      const status = callStatus.toLowerCase();
      return { type: `call.${status}`, id: `${callSid}:${status}` };
    }
    throw noEventType(LABEL, 'MessageSid (with SmsStatus/MessageStatus) or CallSid with CallStatus');
  },

  sign({ body, secret, url, contentType, headers }) {
    if (isForm(contentType) || body.length === 0) {
      const sig = twilioSignature(secret, url, body.length ? formParams(body, contentType) : {}).toString('base64');
      return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [HEADER]: sig }) };
    }
    const signedUrl = `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${digest('sha256', body).toString('hex')}`;
    const sig = twilioSignature(secret, signedUrl, {}).toString('base64');
    return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [HEADER]: sig }), url: signedUrl };
  },
};
