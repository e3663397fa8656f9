// Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` keyed by the app's secret
// token, and the `endpoint.url_validation` handshake Zoom sends when the endpoint is saved.
import {
  DEFAULT_TOLERANCE_S,
  badSignature,
  bodyHashId,
  checkTimestamp,
  decodeSignature,
  hmac,
  matchAny,
  secretsOf,
  signatureHeader,
} from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import type { Provider, WebhookRequest } from './types.js';

const LABEL = 'Zoom';
const SIG = 'x-zm-signature';
const TS = 'x-zm-request-timestamp';

function signs(req: WebhookRequest, secret: string, ts: string, given: Buffer): boolean {
  return matchAny([secret], [given], (s) => hmac('sha256', s, `v0:${ts}:`, req.rawBody));
}

export const zoom: Provider = {
  name: 'zoom',
  sensitiveHeaders: [SIG],

  verify(req, source, now) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, [SIG], LABEL, { noComma: true });
    const ts = signatureHeader(req, [TS], LABEL, { noComma: true }).value;
    const given = sig.value.startsWith('v0=') ? decodeSignature(sig.value.slice(3), 'hex') : undefined;
    const ok = given !== undefined && matchAny(secrets, [given], (secret) => hmac('sha256', secret, `v0:${ts}:`, req.rawBody));
    if (!ok) throw badSignature(source, LABEL, SIG, secrets.length);
    checkTimestamp(ts, TS, now, DEFAULT_TOLERANCE_S);
  },

  describe(req, body) {
    const type = textAt(body, ['event']);
    if (!type) throw noEventType(LABEL, 'the body field "event" (meeting.started, …)');
    return { type, id: bodyHashId(req.rawBody) };
  },

  handshake(req, body, source) {
    if (textAt(body, ['event']) !== 'endpoint.url_validation') return undefined;
    const plainToken = textAt(body, ['payload', 'plainToken']) ?? '';
    const secrets = secretsOf(source, LABEL);
    // During rotation answer with the secret that signed this request: it is the one Zoom holds.
    const sigText = signatureHeader(req, [SIG], LABEL, { noComma: true }).value;
    const ts = signatureHeader(req, [TS], LABEL, { noComma: true }).value;
    const given = decodeSignature(sigText.replace(/^v0=/, ''), 'hex');
    const secret = (given && secrets.find((s) => signs(req, s, ts, given))) ?? secrets[0] ?? '';
    const encryptedToken = hmac('sha256', secret, plainToken).toString('hex');
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ plainToken, encryptedToken }) };
  },

  sign({ body, secret, contentType, now, headers }) {
    const ts = String(Math.floor(now.getTime() / 1000));
    const sig = `v0=${hmac('sha256', secret, `v0:${ts}:`, body).toString('hex')}`;
    return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [TS]: ts, [SIG]: sig }) };
  },
};
