// Discord: Ed25519 signature (`X-Signature-Ed25519`, hex) over `<X-Signature-Timestamp><raw body>`,
// checked with the application's public key — the "secret" of a discord source. Answers the PING of
// the interactions endpoint (`type: 1` → `{"type":1}`) and of webhook events (`type: 0` → 204).
import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { DEFAULT_TOLERANCE_S, bodyHashId, checkTimestamp, badSignature, decodeSignature, secretsOf, signatureHeader } from './verify-core.js';
import { mergeHeaders, noEventType, textAt } from './fields.js';
import { IngressError } from './errors.js';
import type { Json } from '../core/types.js';
import type { Provider } from './types.js';

const LABEL = 'Discord';
const SIG = 'X-Signature-Ed25519';
const TS = 'X-Signature-Timestamp';
// DER header of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const INTERACTION_TYPES: Record<number, string> = {
  1: 'PING',
  2: 'APPLICATION_COMMAND',
  3: 'MESSAGE_COMPONENT',
  4: 'APPLICATION_COMMAND_AUTOCOMPLETE',
  5: 'MODAL_SUBMIT',
};

export function discordPublicKey(hex: string, origin: string): KeyObject {
  const raw = decodeSignature(hex, 'hex');
  if (!raw || raw.length !== 32) {
    throw new IngressError(401, 'bad_secret', `${origin} must hold the Discord application's public key (64 hex characters, from the Developer Portal).`);
  }
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function numberAt(body: Json, key: string): number | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, key)) return undefined;
  const v = body[key];
  return typeof v === 'number' ? v : undefined;
}

function isWebhookEvent(body: Json): boolean {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && Object.hasOwn(body, 'version') && !Object.hasOwn(body, 'token');
}

export const discord: Provider = {
  name: 'discord',
  sensitiveHeaders: ['x-signature-ed25519'],

  verify(req, source, now) {
    const secrets = secretsOf(source, LABEL);
    const sig = signatureHeader(req, [SIG], LABEL, { noComma: true });
    const ts = signatureHeader(req, [TS], LABEL, { noComma: true }).value;
    const given = decodeSignature(sig.value, 'hex');
    const message = Buffer.concat([Buffer.from(ts, 'utf8'), req.rawBody]);
    let ok = false;
    for (const secret of secrets) {
      const key = discordPublicKey(secret, source.secretOrigin || 'the secret');
      if (given && given.length === 64 && edVerify(null, message, key, given)) ok = true;
    }
    if (!ok) throw badSignature(source, LABEL, SIG, secrets.length);
    checkTimestamp(ts, TS, now, DEFAULT_TOLERANCE_S);
  },

  describe(req, body) {
    const eventType = textAt(body, ['event', 'type']);
    if (eventType) return { type: eventType, id: bodyHashId(req.rawBody) };
    const kind = numberAt(body, 'type');
    const type = isWebhookEvent(body) && kind === 0 ? 'PING' : kind === undefined ? undefined : INTERACTION_TYPES[kind];
    if (!type) throw noEventType(LABEL, 'an interaction "type" (1–5) or a webhook event "event.type"');
    return { type, id: textAt(body, ['id']) ?? bodyHashId(req.rawBody) };
  },

  handshake(_req, body) {
    const kind = numberAt(body, 'type');
    if (isWebhookEvent(body)) return kind === 0 ? { status: 204, contentType: 'text/plain', body: '' } : undefined;
    return kind === 1 ? { status: 200, contentType: 'application/json', body: '{"type":1}' } : undefined;
  },

  sign({ body, secret, contentType, now, headers }) {
    let key: KeyObject;
    try {
      key = createPrivateKey(secret);
    } catch {
      throw new Error(
        'Signing as Discord needs the Ed25519 private key (PKCS#8 PEM); a discord source only holds the public key, which can verify but not sign.',
      );
    }
    const ts = String(Math.floor(now.getTime() / 1000));
    const sig = edSign(null, Buffer.concat([Buffer.from(ts, 'utf8'), body]), key).toString('hex');
    return { headers: mergeHeaders({ 'Content-Type': contentType }, headers, { [TS]: ts, [SIG]: sig }) };
  },
};
