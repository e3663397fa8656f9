// The codec endpoint the Temporal UI decrypts payloads through (/codec/*), served on the ingress's
// port when payload encryption is on. Mounted here, in the app layer: the ingress knows nothing of
// Temporal's codecs.
import express, { type Router } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { adminAccess } from '../ingress/admin-access.js';
import { CODEC_AUTH_TOKEN_ENV, codecRouter, codecRouterOptionsFromEnv } from '../temporal/codec-server.js';

export function codecEndpoint(codec: PayloadCodec, env: Record<string, string | undefined>): Router {
  // The codec's own token (HOOKFLOW_CODEC_AUTH_TOKEN) is one more token the admin rule accepts there.
  const { authToken, ...options } = codecRouterOptionsFromEnv(env);
  const extraTokens = authToken ? [{ token: authToken, env: CODEC_AUTH_TOKEN_ENV }] : [];
  return express
    .Router()
    .use('/codec', adminAccess(env, { extraTokens, allowPreflight: true }))
    .use(codecRouter(codec, options));
}
