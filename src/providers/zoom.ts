// Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` keyed by the app's secret
// token, and the `endpoint.url_validation` handshake Zoom sends when the endpoint is saved.
import { bodyHashId, hmac } from './verify-core.js';
import { noEventType, textAt } from './fields.js';
import { v0Scheme } from './v0-scheme.js';
import type { Provider } from './types.js';

const LABEL = 'Zoom';
const SIG = 'x-zm-signature';
const TS = 'x-zm-request-timestamp';

const scheme = v0Scheme(LABEL, SIG, TS);

export const zoom: Provider = {
  name: 'zoom',
  sensitiveHeaders: [SIG],

  verify: scheme.verify,

  describe(req, body) {
    const type = textAt(body, ['event']);
    if (!type) throw noEventType(LABEL, 'the body field "event" (meeting.started, …)');
    return { type, id: bodyHashId(req.rawBody) };
  },

  handshake(req, body, source) {
    if (textAt(body, ['event']) !== 'endpoint.url_validation') return undefined;
    const plainToken = textAt(body, ['payload', 'plainToken']) ?? '';
    // During rotation answer with the secret that signed this request: it is the one Zoom holds.
    const secret = scheme.signingSecret(req, source);
    const encryptedToken = hmac('sha256', secret, plainToken).toString('hex');
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ plainToken, encryptedToken }) };
  },

  sign: scheme.sign,
};
