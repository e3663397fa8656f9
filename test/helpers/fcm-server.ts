// A Firebase Cloud Messaging HTTP v1 double on 127.0.0.1 for tests: an OAuth token endpoint that
// verifies the service account's RS256 JWT assertion, and `messages:send` that checks the bearer
// token. It writes a matching service-account JSON file (with token_uri pointing here).
//
//   const fcm = await start({ goneTokens: ['stale-token'] });
//   env.FCM_SERVICE_ACCOUNT_FILE = fcm.serviceAccountFile;
//   env.FCM_API_BASE_URL = fcm.url;
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FcmServerOptions {
  /** Registration tokens answered 404 UNREGISTERED. */
  goneTokens?: string[];
  /** `expires_in` of issued access tokens (default 3600). */
  tokenLifetimeSeconds?: number;
}

export interface ServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export interface TokenRequest {
  ok: boolean;
  reason?: string;
  claims?: { iss?: string; scope?: string; aud?: string; iat?: number; exp?: number };
}

export interface ReceivedFcmMessage {
  projectId: string;
  accessToken: string;
  /** The `message` object as posted. */
  message: { token?: string; notification?: { title?: string; body?: string }; data?: Record<string, string>; [k: string]: unknown };
  name: string;
}

export interface FcmServer {
  url: string;
  port: number;
  projectId: string;
  serviceAccount: ServiceAccountJson;
  /** Path of the written service-account JSON, ready for FCM_SERVICE_ACCOUNT_FILE. */
  serviceAccountFile: string;
  tokenRequests: TokenRequest[];
  messages: ReceivedFcmMessage[];
  /** Every messages:send answer, accepted or not. */
  sendAttempts: Array<{ status: number; error?: string }>;
  markGone(token: string): void;
  /** Invalidate every issued access token (the next send gets 401). */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

function verifyAssertion(assertion: string, publicKey: KeyObject, account: ServiceAccountJson, nowSeconds: number): TokenRequest {
  const [h, c, s] = assertion.split('.');
  if (!h || !c || !s) return { ok: false, reason: 'assertion is not a JWT' };
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; typ?: string; kid?: string };
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as NonNullable<TokenRequest['claims']>;
  if (header.alg !== 'RS256') return { ok: false, reason: `alg ${header.alg}`, claims };
  if (header.typ !== 'JWT') return { ok: false, reason: `typ ${header.typ}`, claims };
  // Google picks the public key by kid; a wrong one fails as a bad signature would.
  if (header.kid !== account.private_key_id) return { ok: false, reason: `kid ${header.kid}`, claims };
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'))) return { ok: false, reason: 'bad signature', claims };
  if (claims.iss !== account.client_email) return { ok: false, reason: `iss ${claims.iss}`, claims };
  if (claims.aud !== account.token_uri) return { ok: false, reason: `aud ${claims.aud}`, claims };
  if (!(claims.scope ?? '').split(' ').includes(FCM_SCOPE)) return { ok: false, reason: `scope ${claims.scope}`, claims };
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return { ok: false, reason: 'iat/exp missing', claims };
  if (claims.exp <= nowSeconds || claims.iat > nowSeconds + 60 || claims.exp - claims.iat > 3600) return { ok: false, reason: 'bad iat/exp', claims };
  return { ok: true, claims };
}

export async function start(options: FcmServerOptions = {}): Promise<FcmServer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const projectId = `hookflow-test-${randomBytes(3).toString('hex')}`;
  const gone = new Set(options.goneTokens ?? []);
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const accessTokens = new Map<string, number>(); // token → expiry (ms)
  const tokenRequests: TokenRequest[] = [];
  const messages: ReceivedFcmMessage[] = [];
  const sendAttempts: FcmServer['sendAttempts'] = [];
  let account: ServiceAccountJson;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://fcm').pathname;
      const json = (status: number, value: object): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(value));
      };

      if (path === '/token' && req.method === 'POST') {
        const form = new URLSearchParams(body);
        let result: TokenRequest;
        if (form.get('grant_type') !== JWT_BEARER) result = { ok: false, reason: `grant_type ${form.get('grant_type')}` };
        else result = verifyAssertion(form.get('assertion') ?? '', publicKey, account, Math.floor(Date.now() / 1000));
        tokenRequests.push(result);
        if (!result.ok) return json(400, { error: 'invalid_grant', error_description: result.reason });
        const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
        accessTokens.set(accessToken, Date.now() + lifetime * 1000);
        return json(200, { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' });
      }

      const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
      if (send && req.method === 'POST') {
        const fail = (status: number, statusText: string, message: string, errorCode?: string): void => {
          sendAttempts.push({ status, error: errorCode ?? statusText });
          json(status, {
            error: {
              code: status,
              message,
              status: statusText,
              ...(errorCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } : {}),
            },
          });
        };
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const expiry = accessTokens.get(bearer);
        if (expiry === undefined || expiry <= Date.now()) {
          return fail(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
        }
        const project = decodeURIComponent(send[1] as string);
        if (project !== projectId) return fail(403, 'PERMISSION_DENIED', `Permission denied on project ${project}`);
        let message: ReceivedFcmMessage['message'] | undefined;
        try {
          message = (JSON.parse(body) as { message?: ReceivedFcmMessage['message'] }).message;
        } catch {
          message = undefined;
        }
        if (!message || typeof message.token !== 'string' || message.token === '') {
          return fail(400, 'INVALID_ARGUMENT', 'The message must carry a registration token.', 'INVALID_ARGUMENT');
        }
        if (message.data && Object.values(message.data).some((v) => typeof v !== 'string')) {
          return fail(400, 'INVALID_ARGUMENT', 'Invalid value at message.data: values must be strings', 'INVALID_ARGUMENT');
        }
        if (gone.has(message.token)) return fail(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
        const name = `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
        messages.push({ projectId: project, accessToken: bearer, message, name });
        sendAttempts.push({ status: 200 });
        return json(200, { name });
      }
      json(404, { error: { code: 404, message: `no route ${req.method} ${path}`, status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  account = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `hookflow@${projectId}.iam.gserviceaccount.com`,
    client_id: randomBytes(10).toString('hex'),
    token_uri: `${url}/token`,
  };
  const dir = await mkdtemp(join(tmpdir(), 'hookflow-fcm-'));
  const serviceAccountFile = join(dir, 'service-account.json');
  await writeFile(serviceAccountFile, JSON.stringify(account, null, 2), { mode: 0o600 });

  return {
    url,
    port,
    projectId,
    serviceAccount: account,
    serviceAccountFile,
    tokenRequests,
    messages,
    sendAttempts,
    markGone(token) {
      gone.add(token);
    },
    revokeAccessTokens() {
      accessTokens.clear();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
