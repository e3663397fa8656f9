// Sendbird: hex HMAC-SHA256 of the raw body keyed by the application's master API token.
import { badSignature, bodyHashId, decodeSignature, hmac, matchAny, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import type { Provider } from './types.js';

const LABEL = 'Sendbird';
// Older Sendbird apps sent `x-signature`; current ones `x-sendbird-signature`.
const HEADERS = ['X-Sendbird-Signature', 'X-Signature'];

export const sendbird: Provider = {
  name: 'sendbird',
  sensitiveHeaders: ['x-sendbird-signature', 'x-signature'],

  verify(req, source) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, HEADERS, LABEL, { noComma: true });
    const given = decodeSignature(sig.value, 'hex');
    const ok = given !== undefined && matchAny(secrets, [given], (secret) => hmac('sha256', secret, req.rawBody));
    if (!ok) throw badSignature(source, LABEL, sig.name, secrets.length);
  },

  describe(req, body) {
    const type = textAt(body, ['category']);
    if (!type) throw noEventType(LABEL, 'the body field "category" (group_channel:message_send, …)');
    // Sendbird sends no delivery id; its retries repeat the same bytes, so the body hash dedupes them.
    return { type, id: bodyHashId(req.rawBody) };
  },

  sign({ body, secret, contentType, headers }) {
    return {
      headers: mergeHeaders({ 'Content-Type': contentType }, headers, { 'X-Sendbird-Signature': hmac('sha256', secret, body).toString('hex') }),
    };
  },
};
