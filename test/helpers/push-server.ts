// A Web Push endpoint on 127.0.0.1 for tests. It plays both the browser (it creates subscriptions
// and keeps their private keys) and the push service: every push must carry a valid VAPID JWT
// (RFC 8292) and an aes128gcm payload (RFC 8291/8188), which it decrypts and records.
//
//   const push = await start();
//   const sub = push.createSubscription();            // what PushSubscription.toJSON() gives
//   … send to sub …
//   push.messages[0].json                              // the decrypted payload, parsed
import { createECDH, createDecipheriv, createHmac, createPublicKey, randomBytes, randomUUID, verify, type ECDH } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A type alias (not an interface) so it is assignable to the Json type of step params.
export type PushSubscriptionJson = {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
};

export interface ReceivedPush {
  subscriptionId: string;
  /** Decrypted payload. */
  payload: string;
  /** The payload parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  ttl: string | undefined;
  topic: string | undefined;
  urgency: string | undefined;
  vapid: { sub: string; aud: string; exp: number; publicKey: string };
  headers: Record<string, string>;
}

export interface PushRefusal {
  subscriptionId: string;
  status: number;
  reason: string;
}

export interface PushServer {
  url: string;
  port: number;
  /** A new subscription on this server. `vapidPublicKey` binds it to that key (others get 403). */
  createSubscription(options?: { vapidPublicKey?: string }): PushSubscriptionJson;
  /** From now on the subscription answers 410 Gone (the user unsubscribed). */
  markGone(subscription: PushSubscriptionJson): void;
  /** Answer the next pushes with these statuses first (e.g. 503 with Retry-After). */
  failNext(responses: Array<{ status: number; headers?: Record<string, string> }>): void;
  messages: ReceivedPush[];
  refusals: PushRefusal[];
  close(): Promise<void>;
}

interface Subscriber {
  ecdh: ECDH;
  publicKey: Buffer;
  auth: Buffer;
  gone: boolean;
  vapidPublicKey: string | undefined;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 8291 §3.4 + RFC 8188 §2: decrypts an aes128gcm Web Push body for this subscriber. */
export function decryptAes128gcm(body: Buffer, subscriber: { ecdh: ECDH; publicKey: Buffer; auth: Buffer }): Buffer {
  if (body.length < 21) throw new Refusal(400, 'body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body.readUInt8(20);
  const senderPublicKey = body.subarray(21, 21 + idlen);
  if (idlen !== 65) throw new Refusal(400, `keyid must be the 65-byte sender public key, got ${idlen} bytes`);
  if (rs < 18) throw new Refusal(400, `record size ${rs} too small`);
  const ciphertext = body.subarray(21 + idlen);

  const ecdhSecret = subscriber.ecdh.computeSecret(senderPublicKey);
  const prkKey = hmac(subscriber.auth, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), subscriber.publicKey, senderPublicKey, Buffer.from([1])]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const baseNonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);

  const plain: Buffer[] = [];
  for (let offset = 0, seq = 0; offset < ciphertext.length; offset += rs, seq++) {
    const record = ciphertext.subarray(offset, Math.min(offset + rs, ciphertext.length));
    const nonce = Buffer.from(baseNonce);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8); // seq < 2^32: only the low word changes
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    let data: Buffer;
    try {
      data = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    } catch {
      throw new Refusal(400, `record ${seq} does not decrypt (wrong keys or corrupted body)`);
    }
    let end = data.length - 1;
    while (end >= 0 && data[end] === 0) end--;
    const delimiter = data[end];
    const last = offset + rs >= ciphertext.length;
    if (delimiter !== (last ? 2 : 1)) throw new Refusal(400, `record ${seq} has padding delimiter ${delimiter}`);
    plain.push(data.subarray(0, end));
  }
  return Buffer.concat(plain);
}

/** RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT is ES256, for this origin, not expired. */
export function verifyVapid(authorization: string | undefined, origin: string, nowSeconds: number): ReceivedPush['vapid'] {
  const match = /^vapid\s+(.+)$/i.exec(authorization ?? '');
  if (!match) throw new Refusal(401, 'missing "Authorization: vapid t=…, k=…"');
  const fields = Object.fromEntries(
    (match[1] as string).split(',').map((part) => {
      const [k, ...v] = part.trim().split('=');
      return [k ?? '', v.join('=')];
    }),
  );
  const token = fields['t'];
  const k = fields['k'];
  if (!token || !k) throw new Refusal(401, 'vapid authorization lacks t= or k=');
  const rawKey = Buffer.from(k, 'base64url');
  if (rawKey.length !== 65 || rawKey[0] !== 4) throw new Refusal(401, 'k= is not an uncompressed P-256 public key');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: rawKey.subarray(1, 33).toString('base64url'), y: rawKey.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const [headerPart, claimsPart, signaturePart] = token.split('.');
  if (!headerPart || !claimsPart || !signaturePart) throw new Refusal(401, 'vapid t= is not a JWT');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'ES256') throw new Refusal(401, `vapid JWT alg is ${header.alg}, expected ES256`);
  const ok = verify(
    'sha256',
    Buffer.from(`${headerPart}.${claimsPart}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!ok) throw new Refusal(401, 'vapid JWT signature does not verify with k=');
  const claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')) as { aud?: string; exp?: number; sub?: string };
  if (claims.aud !== origin) throw new Refusal(401, `vapid JWT aud is ${claims.aud}, expected ${origin}`);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) throw new Refusal(401, 'vapid JWT expired');
  if (claims.exp > nowSeconds + 24 * 3600) throw new Refusal(401, 'vapid JWT exp more than 24 h ahead');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Refusal(401, 'vapid JWT sub must be a mailto: or https: URL');
  return { sub: claims.sub, aud: claims.aud, exp: claims.exp, publicKey: k };
}

export async function start(): Promise<PushServer> {
  const subscribers = new Map<string, Subscriber>();
  const messages: ReceivedPush[] = [];
  const refusals: PushRefusal[] = [];
  let failures: Array<{ status: number; headers?: Record<string, string> }> = [];
  let origin = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://push').pathname;
      const id = /^\/push\/([^/]+)$/.exec(path)?.[1] ?? '';
      try {
        const subscriber = subscribers.get(id);
        if (req.method !== 'POST' || !subscriber) throw new Refusal(404, 'no such subscription');
        if (subscriber.gone) throw new Refusal(410, 'push subscription has unsubscribed or expired');
        const failure = failures.shift();
        if (failure) {
          res.writeHead(failure.status, failure.headers ?? {});
          res.end();
          return;
        }
        const vapid = verifyVapid(req.headers.authorization, origin, Math.floor(Date.now() / 1000));
        if (subscriber.vapidPublicKey && subscriber.vapidPublicKey !== vapid.publicKey) {
          throw new Refusal(403, 'the VAPID key differs from the one this subscription was created with');
        }
        if (req.headers['content-encoding'] !== 'aes128gcm')
          throw new Refusal(415, `content-encoding must be aes128gcm, got ${req.headers['content-encoding']}`);
        if (req.headers.ttl === undefined) throw new Refusal(400, 'TTL header missing');
        const payload = decryptAes128gcm(Buffer.concat(chunks), subscriber).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(payload);
        } catch {
          json = undefined;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        messages.push({
          subscriptionId: id,
          payload,
          json,
          ttl: req.headers.ttl as string | undefined,
          topic: req.headers.topic as string | undefined,
          urgency: req.headers.urgency as string | undefined,
          vapid,
          headers,
        });
        res.writeHead(201, { location: `${origin}/messages/${randomUUID()}` });
        res.end();
      } catch (err) {
        const status = err instanceof Refusal ? err.status : 400;
        const reason = err instanceof Error ? err.message : String(err);
        refusals.push({ subscriptionId: id, status, reason });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(reason);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    port,
    messages,
    refusals,
    createSubscription(options = {}) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const id = randomUUID();
      const subscriber: Subscriber = { ecdh, publicKey: ecdh.getPublicKey(), auth: randomBytes(16), gone: false, vapidPublicKey: options.vapidPublicKey };
      subscribers.set(id, subscriber);
      return {
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: subscriber.publicKey.toString('base64url'), auth: subscriber.auth.toString('base64url') },
      };
    },
    markGone(subscription) {
      const id = subscription.endpoint.split('/').pop() ?? '';
      const subscriber = subscribers.get(id);
      if (!subscriber) throw new Error(`push server: unknown subscription ${subscription.endpoint}`);
      subscriber.gone = true;
    },
    failNext(responses) {
      failures = [...responses];
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
