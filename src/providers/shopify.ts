// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>` keyed by the app's client secret.
import { randomUUID } from 'node:crypto';
import { badSignature, bodyHashId, decodeSignature, headerValue, hmac, matchAny, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, parseJsonObject, userHeader } from './fields.js';
import type { Provider } from './types.js';

const LABEL = 'Shopify';
const HEADER = 'X-Shopify-Hmac-Sha256';

export const shopify: Provider = {
  name: 'shopify',
  sensitiveHeaders: ['x-shopify-hmac-sha256'],

  verify(req, source) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, [HEADER], LABEL, { noComma: true });
    const given = decodeSignature(sig.value, 'base64');
    const ok = given !== undefined && matchAny(secrets, [given], (secret) => hmac('sha256', secret, req.rawBody));
    if (!ok) throw badSignature(source, LABEL, HEADER, secrets.length);
  },

  describe(req) {
    const type = headerValue(req, 'x-shopify-topic');
    if (!type) throw noEventType(LABEL, 'the X-Shopify-Topic header (orders/create, …)');
    return { type, id: headerValue(req, 'x-shopify-webhook-id') || bodyHashId(req.rawBody) };
  },

  sign({ body, secret, contentType, now, headers }) {
    const defaults: Record<string, string> = {
      'Content-Type': contentType,
      'X-Shopify-Webhook-Id': randomUUID(),
      'X-Shopify-Triggered-At': now.toISOString(),
    };
    // An order body is recognisable; for anything else the user names the topic (--header X-Shopify-Topic:…).
    const order = parseJsonObject(body);
    if (!userHeader(headers, 'X-Shopify-Topic') && order && Object.hasOwn(order, 'line_items')) {
      defaults['X-Shopify-Topic'] = 'orders/create';
    }
    return { headers: mergeHeaders(defaults, headers, { [HEADER]: hmac('sha256', secret, body).toString('base64') }) };
  },
};
