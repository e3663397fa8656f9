// Meta-style subscription check (WhatsApp, Messenger, Instagram and others copy it):
// `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` is answered with the challenge as text
// when the verify token equals one of the source's secrets. Works for any source.
import type { SourceConfig } from '../core/types.js';
import { IngressError } from './errors.js';
import { isVerifyNone, queryParam, safeEqual, secretsOf } from './verify-core.js';
import type { Handshake, WebhookRequest } from './types.js';

/** The answer to a hub challenge, undefined when the request is not one; throws 401 on a wrong token. */
export function metaChallenge(req: WebhookRequest, source: SourceConfig): Handshake | undefined {
  if (req.method.toUpperCase() !== 'GET') return undefined;
  const challenge = queryParam(req, 'hub.challenge');
  if (challenge === undefined || queryParam(req, 'hub.mode') !== 'subscribe') return undefined;
  const answer: Handshake = { status: 200, contentType: 'text/plain; charset=utf-8', body: challenge };
  if (isVerifyNone(source.verify)) return answer;

  const secrets = secretsOf(source, 'subscription');
  const token = Buffer.from(queryParam(req, 'hub.verify_token') ?? '', 'utf8');
  let ok = false;
  for (const secret of secrets) if (safeEqual(Buffer.from(secret, 'utf8'), token)) ok = true;
  if (!ok) {
    throw new IngressError(
      401,
      'bad_verify_token',
      `hub.verify_token does not equal the secret from ${source.secretOrigin || 'the source'}. ` +
        "Set the provider's Verify Token to that value (any of them, while rotating).",
    );
  }
  return answer;
}
