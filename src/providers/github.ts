// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
import { randomUUID } from 'node:crypto';
import { badSignature, bodyHashId, decodeSignature, headerValue, hmac, matchAny, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, parseJsonObject, userHeader } from './fields.js';
import type { Provider } from './types.js';

const LABEL = 'GitHub';
const PREFIX = 'sha256=';

export const github: Provider = {
  name: 'github',
  // X-Hub-Signature is the legacy SHA-1 twin GitHub still sends alongside.
  sensitiveHeaders: ['x-hub-signature-256', 'x-hub-signature'],

  verify(req, source) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, ['X-Hub-Signature-256'], LABEL, { noComma: true });
    const given = sig.value.startsWith(PREFIX) ? decodeSignature(sig.value.slice(PREFIX.length), 'hex') : undefined;
    const ok = given !== undefined && matchAny(secrets, [given], (secret) => hmac('sha256', secret, req.rawBody));
    if (!ok) throw badSignature(source, LABEL, sig.name, secrets.length);
  },

  describe(req) {
    const type = headerValue(req, 'x-github-event');
    if (!type) throw noEventType(LABEL, 'the X-GitHub-Event header (push, pull_request, …)');
    return { type, id: headerValue(req, 'x-github-delivery') || bodyHashId(req.rawBody) };
  },

  sign({ body, secret, contentType, headers }) {
    const event = userHeader(headers, 'X-GitHub-Event') ?? guessEvent(body);
    return {
      headers: mergeHeaders(
        { 'Content-Type': contentType, 'User-Agent': 'GitHub-Hookshot/hookflow', 'X-GitHub-Event': event, 'X-GitHub-Delivery': randomUUID() },
        headers,
        { 'X-Hub-Signature-256': PREFIX + hmac('sha256', secret, body).toString('hex') },
      ),
    };
  },
};

/** GitHub's body does not name its event; guess the common ones so `hookflow send` works without --header. */
function guessEvent(body: Buffer): string {
  const payload = parseJsonObject(body) ?? {};
  const has = (k: string): boolean => Object.hasOwn(payload, k);
  if (has('zen') && has('hook_id')) return 'ping';
  if (has('pull_request')) return 'pull_request';
  if (has('issue')) return has('comment') ? 'issue_comment' : 'issues';
  if (has('release')) return 'release';
  if (has('workflow_run')) return 'workflow_run';
  return 'push';
}
