// A programmable HTTP server on 127.0.0.1 for tests: answers each request from a script
// (e.g. 503, 503, 503, then 200) and records what arrived.
//
//   const sink = await start({ responses: [{ status: 503 }, { status: 200, body: { ok: true } }] });
//   … call sink.url …
//   sink.requests[0].headers['idempotency-key'];
//   await sink.close();
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  /** 1-based arrival number. */
  n: number;
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  rawBody: Buffer;
  body: string;
  /** `Date.now()` when the request head arrived. */
  receivedAt: number;
}

export interface SinkResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (content-type set unless given). */
  body?: unknown;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
  /** Answer only once this settles (then `delayMs` more): holds a request until the test says. */
  until?: Promise<unknown>;
}

export type SinkResponder = SinkResponse | ((req: SinkRequest) => SinkResponse);

export interface SinkOptions {
  /** Used in order, one per request; when exhausted, `fallback` answers. */
  responses?: SinkResponder[];
  /** Default: 200 `{"ok":true}`. */
  fallback?: SinkResponder;
}

export interface HttpSink {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  requests: SinkRequest[];
  /** Replace the script; the request counter keeps running. */
  script(responses: SinkResponder[], fallback?: SinkResponder): void;
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<SinkRequest[]>;
  close(): Promise<void>;
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function start(options: SinkOptions = {}): Promise<HttpSink> {
  let queue = [...(options.responses ?? [])];
  let fallback: SinkResponder = options.fallback ?? { status: 200, body: { ok: true } };
  const requests: SinkRequest[] = [];
  const waiters: Array<() => void> = [];
  const delayed = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sink');
      const rawBody = Buffer.concat(chunks);
      const record: SinkRequest = {
        n: requests.length + 1,
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: flatten(req.headers),
        rawBody,
        body: rawBody.toString('utf8'),
        receivedAt,
      };
      requests.push(record);
      for (const w of waiters.splice(0)) w();
      const responder = queue.shift() ?? fallback;
      const answer = typeof responder === 'function' ? responder(record) : responder;
      const send = (): void => {
        const headers: Record<string, string> = { ...(answer.headers ?? {}) };
        let payload: string | undefined;
        if (typeof answer.body === 'string') payload = answer.body;
        else if (answer.body !== undefined) {
          payload = JSON.stringify(answer.body);
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
        }
        res.writeHead(answer.status ?? 200, headers);
        res.end(payload);
      };
      const later = (): void => {
        if (!answer.delayMs) return send();
        const timer = setTimeout(() => {
          delayed.delete(timer);
          send();
        }, answer.delayMs);
        delayed.add(timer);
      };
      if (answer.until) void answer.until.then(later, later);
      else later();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script(responses, newFallback) {
      queue = [...responses];
      if (newFallback) fallback = newFallback;
    },
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (requests.length < count) return false;
          clearTimeout(timer);
          resolve(requests.slice(0, count));
          return true;
        };
        const timer = setTimeout(() => reject(new Error(`http sink: ${requests.length} of ${count} requests after ${timeoutMs} ms`)), timeoutMs);
        const loop = (): void => {
          if (!check()) waiters.push(loop);
        };
        loop();
      });
    },
    close() {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
