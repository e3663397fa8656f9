// Standard Webhooks (and Svix, whose headers are `svix-*`): `webhook-signature: v1,<base64> [v1,<base64>…]`,
// signed as src/http/standard-webhooks.ts defines (HMAC-SHA256 over `<id>.<timestamp>.<raw body>`).
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_S,
  badSignature,
  checkTimestamp,
  decodeSignature,
  headerValue,
  matchAny,
  missingHeader,
  secretsOf,
  signatureHeader,
} from './verify-core.js';
import { standardWebhooksKey, standardWebhooksKeyProblem, standardWebhooksMac, standardWebhooksSignature } from '../http/standard-webhooks.js';
import { mergeHeaders, noEventType, textAt, userHeader } from './fields.js';
import { IngressError } from './errors.js';
import type { SourceConfig } from '../core/types.js';
import type { Provider, WebhookRequest } from './types.js';

const LABEL = 'Standard Webhooks';

/** The source's secrets that give a usable key; none → 401 naming where the secret comes from. */
function usableSecrets(source: SourceConfig): string[] {
  const secrets = secretsOf(source, LABEL);
  const usable = secrets.filter((s) => standardWebhooksKey(s) !== undefined);
  if (usable.length === 0) {
    throw new IngressError(
      401,
      'no_secret',
      `Source "${source.name}" (${LABEL}) has no usable secret: ${source.secretOrigin || 'its secret'} ${standardWebhooksKeyProblem(secrets[0] ?? '')}. ` +
        'Set it to the whsec_… secret of this endpoint.',
    );
  }
  return usable;
}

function prefixOf(req: WebhookRequest): 'webhook' | 'svix' {
  return headerValue(req, 'webhook-signature') === undefined && headerValue(req, 'svix-signature') !== undefined ? 'svix' : 'webhook';
}

export const standardWebhooks: Provider = {
  name: 'standard-webhooks',
  sensitiveHeaders: ['webhook-signature', 'svix-signature'],

  verify(req, source, now) {
    const secrets = usableSecrets(source);
    const p = prefixOf(req);
    const sig = signatureHeader(req, [`${p}-signature`], LABEL);
    const id = headerValue(req, `${p}-id`);
    const ts = headerValue(req, `${p}-timestamp`);
    if (!id) throw missingHeader([`${p}-id`], LABEL);
    if (!ts) throw missingHeader([`${p}-timestamp`], LABEL);

    const versions = sig.value.split(' ').filter((s) => s !== '');
    const given = versions
      .filter((s) => s.startsWith('v1,'))
      .map((s) => decodeSignature(s.slice(3), 'base64'))
      .filter((b): b is Buffer => b !== undefined);
    if (given.length === 0) {
      throw new IngressError(
        401,
        'bad_signature',
        `${sig.name} holds no "v1,<base64>" signature (only v1 — symmetric HMAC — is supported); got "${sig.value.slice(0, 80)}".`,
      );
    }
    const ok = matchAny(secrets, given, (secret) => {
      const key = standardWebhooksKey(secret);
      return key && standardWebhooksMac(key, id, ts, req.rawBody);
    });
    if (!ok) throw badSignature(source, LABEL, sig.name, secrets.length);
    checkTimestamp(ts, `${p}-timestamp`, now, DEFAULT_TOLERANCE_S);
  },

  describe(req, body) {
    const type = textAt(body, ['type']);
    if (!type) throw noEventType(LABEL, 'the body field "type"');
    const p = prefixOf(req);
    const id = headerValue(req, `${p}-id`);
    if (!id) throw missingHeader([`${p}-id`], LABEL);
    return { type, id };
  },

  sign({ body, secret, contentType, now, headers }) {
    // A --header webhook-id:… keeps its id, to try dedupe by sending the same delivery twice.
    const id = userHeader(headers, 'webhook-id') ?? `msg_${randomBytes(12).toString('hex')}`;
    const ts = String(Math.floor(now.getTime() / 1000));
    let signature: string;
    try {
      signature = standardWebhooksSignature(secret, id, ts, body);
    } catch (err) {
      throw new Error(`cannot sign as Standard Webhooks: ${(err as Error).message}`, { cause: err });
    }
    return {
      headers: mergeHeaders({ 'Content-Type': contentType }, headers, {
        'webhook-id': id,
        'webhook-timestamp': ts,
        'webhook-signature': signature,
      }),
    };
  },
};
