// The benches' webhook and the POSTs that send it, over one keep-alive agent.
import http from 'node:http';

// Enough sockets for a burst of 400 in flight (bench/side-by-side.ts) without queueing in the agent.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** How one POST ended: the status, or 0 with `error` on a timeout or a connection error. */
export interface PostOutcome {
  status: number;
  error?: 'timeout' | 'connection';
}

export function postOutcome(url: string, body: string, timeoutMs = 15_000): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: 0, error: timedOut ? 'timeout' : 'connection' }));
      },
    );
    req.on('timeout', () => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    });
    req.on('error', () => resolve({ status: 0, error: timedOut ? 'timeout' : 'connection' }));
    req.end(body);
  });
}

/** One POST; status 0 means a connection error (refused, reset) or a timeout. */
export function post(url: string, body: string, timeoutMs = 15_000): Promise<number> {
  return postOutcome(url, body, timeoutMs).then((o) => o.status);
}

/** The benches' webhook: a `ping` event with its id and the time it was sent (ms since epoch). */
export function pingBody(id: string, sentAt: number, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'ping', id, sent: sentAt, ...extra });
}

/** POST with the answer's JSON body (undefined when not JSON); status 0 on a connection error. */
export function postForJson(url: string, body: string, timeoutMs = 15_000): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', () => resolve({ status: 0, json: undefined }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, json: undefined }));
    req.end(body);
  });
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}
