// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over `<t>.<raw body>` keyed by
// the whole `whsec_…` string. Several v1 entries appear while Stripe rolls an endpoint's secret.
import { DEFAULT_TOLERANCE_S, badSignature, bodyHashId, checkTimestamp, decodeSignature, hmac, matchAny, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import { IngressError } from './errors.js';
import type { Provider } from './types.js';

const LABEL = 'Stripe';
const HEADER = 'Stripe-Signature';

export const stripe: Provider = {
  name: 'stripe',
  sensitiveHeaders: ['stripe-signature'],

  verify(req, source, now) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, [HEADER], LABEL);
    const { t, v1 } = parseStripeHeader(sig.value);
    if (t === undefined || v1.length === 0) {
      throw new IngressError(401, 'bad_signature', `${HEADER} must carry t=<timestamp> and at least one v1=<signature>; got "${sig.value.slice(0, 80)}".`);
    }
    const given = v1.map((s) => decodeSignature(s, 'hex')).filter((b): b is Buffer => b !== undefined);
    if (!matchAny(secrets, given, (secret) => hmac('sha256', secret, `${t}.`, req.rawBody))) {
      throw badSignature(source, LABEL, HEADER, secrets.length);
    }
    checkTimestamp(t, `${HEADER} t=`, now, DEFAULT_TOLERANCE_S);
  },

  describe(req, body) {
    const type = textAt(body, ['type']);
    if (!type) throw noEventType(LABEL, 'the body field "type" (payment_intent.succeeded, …)');
    return { type, id: textAt(body, ['id']) ?? bodyHashId(req.rawBody) };
  },

  sign({ body, secret, contentType, now, headers }) {
    const t = Math.floor(now.getTime() / 1000);
    const v1 = hmac('sha256', secret, `${t}.`, body).toString('hex');
    return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [HEADER]: `t=${t},v1=${v1}` }) };
  },
};

function parseStripeHeader(value: string): { t: string | undefined; v1: string[] } {
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key === 't' && t === undefined) t = val;
    else if (key === 'v1') v1.push(val);
  }
  return { t, v1 };
}
