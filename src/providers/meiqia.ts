// Meiqia (美洽): hex SHA1 over the raw body followed by the secret — a plain hash, not an HMAC.
import { bodyHashId, decodeSignature, digest, matchAny, secretsOf, signatureHeader, badSignature } from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import type { Provider } from './types.js';

const LABEL = 'Meiqia';
// Meiqia's sample delivery sends `Meiqia-Sign`; its prose names `Meiqia-Signature`. Accept both.
const HEADERS = ['Meiqia-Sign', 'Meiqia-Signature'];

export const meiqia: Provider = {
  name: 'meiqia',
  sensitiveHeaders: ['meiqia-sign', 'meiqia-signature'],

  verify(req, source) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, HEADERS, LABEL, { noComma: true });
    const given = decodeSignature(sig.value, 'hex');
    const ok = given !== undefined && matchAny(secrets, [given], (secret) => digest('sha1', req.rawBody, secret));
    if (!ok) throw badSignature(source, LABEL, sig.name, secrets.length);
  },

  describe(req, body) {
    const type = textAt(body, ['event']);
    if (!type) throw noEventType(LABEL, 'the body field "event" (conversation.closed, client.created, …)');
    return { type, id: textAt(body, ['id']) ?? bodyHashId(req.rawBody) };
  },

  sign({ body, secret, contentType, headers }) {
    return {
      headers: mergeHeaders({ 'Content-Type': contentType }, headers, { 'Meiqia-Sign': digest('sha1', body, secret).toString('hex') }),
    };
  },
};
