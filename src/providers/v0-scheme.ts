// The "v0" signing scheme Slack and Zoom share: `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`
// in one header, the Unix timestamp in another, 300 s tolerance.
import { DEFAULT_TOLERANCE_S, badSignature, checkTimestamp, decodeSignature, hmac, matchAny, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders } from './fields.js';
import type { SourceConfig } from '../core/types.js';
import type { Provider, WebhookRequest } from './types.js';

export interface V0Scheme {
  verify: Provider['verify'];
  sign: Provider['sign'];
  /** The configured secret that signed this request (during rotation, the one the provider holds). */
  signingSecret(req: WebhookRequest, source: SourceConfig): string;
}

export function v0Scheme(label: string, sigHeader: string, tsHeader: string): V0Scheme {
  const expected = (secret: string, ts: string, body: Buffer): Buffer => hmac('sha256', secret, `v0:${ts}:`, body);
  const given = (req: WebhookRequest): { sig: Buffer | undefined; ts: string } => {
    const text = signatureHeader(req, [sigHeader], label, { noComma: true }).value;
    const ts = signatureHeader(req, [tsHeader], label, { noComma: true }).value;
    return { sig: text.startsWith('v0=') ? decodeSignature(text.slice(3), 'hex') : undefined, ts };
  };
  return {
    verify(req, source, now) {
      const secrets = secretsOf(source, label);
      const { sig, ts } = given(req);
      const ok = sig !== undefined && matchAny(secrets, [sig], (secret) => expected(secret, ts, req.rawBody));
      if (!ok) throw badSignature(source, label, sigHeader, secrets.length);
      checkTimestamp(ts, tsHeader, now, DEFAULT_TOLERANCE_S);
    },
    sign({ body, secret, contentType, now, headers }) {
      const ts = String(Math.floor(now.getTime() / 1000));
      const sig = `v0=${expected(secret, ts, body).toString('hex')}`;
      return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [tsHeader]: ts, [sigHeader]: sig }) };
    },
    signingSecret(req, source) {
      const secrets = secretsOf(source, label);
      const { sig, ts } = given(req);
      return (sig && secrets.find((s) => matchAny([s], [sig], (x) => expected(x, ts, req.rawBody)))) ?? secrets[0] ?? '';
    },
  };
}
