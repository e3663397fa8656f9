// A delivery signed exactly as the provider would sign it: what `hookflow send` and the console's
// "send a test event" button POST to a trigger URL.
import type { SourceConfig } from '../core/types.js';
import { getProvider } from './index.js';

export interface SignedDelivery {
  /** Where to POST: the trigger URL (Twilio's signature may add query parameters). */
  url: string;
  headers: Record<string, string>;
  /** False when the source has no secret: the delivery goes unsigned (and a signed source refuses it). */
  signed: boolean;
}

/**
 * `target` is where the request really goes; `publicUrl` the trigger URL providers are given
 * (PUBLIC_URL), which URL-signing providers sign.
 */
export function signDelivery(opts: {
  source: SourceConfig;
  body: Buffer;
  contentType: string;
  target: string;
  publicUrl: string;
  headers?: Record<string, string>;
}): SignedDelivery {
  const provider = getProvider(opts.source.provider);
  if (!provider) throw new Error(`source "${opts.source.name}" names an unknown provider "${opts.source.provider}"`);
  const target = new URL(opts.target);
  const publicUrl = new URL(opts.publicUrl);
  publicUrl.search = target.search;
  const given = opts.headers ?? {};
  const secret = opts.source.secrets[0];
  if (secret === undefined) return { url: target.toString(), headers: { 'content-type': opts.contentType, ...given }, signed: false };
  const signed = provider.sign({
    body: opts.body,
    secret,
    url: publicUrl.toString(),
    contentType: opts.contentType,
    now: new Date(),
    headers: given,
    source: opts.source,
  });
  if (signed.url) target.search = new URL(signed.url).search; // e.g. Twilio's bodySHA256
  return { url: target.toString(), headers: signed.headers, signed: true };
}
