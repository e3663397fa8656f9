// A sink that counts unique deliveries and keeps their arrival times.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingSink {
  url: string;
  /** Key (by default `<recipe>/<event id>` from the path) → first arrival (ms since epoch). */
  first: Map<string, number>;
  /** Key → how many requests carried it (more than 1: a duplicate delivery). */
  hits: Map<string, number>;
  /** Key → every Idempotency-Key seen. */
  keys: Map<string, Set<string>>;
  total(): number;
  /** Decides each answer; default 200. */
  respond: (key: string, n: number) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

export interface CountingSinkOptions {
  /** A fixed port (peers have their sink's URL in their flow files); default: any free one. */
  port?: number;
  /** The key of a delivery from its path and body; default: the path after `/e/`. */
  keyOf?: (path: string, body: string) => string;
}

/** The key of a delivery whose JSON body carries the event's `id` (what the peers post). */
export const bodyId = (_path: string, body: string): string => {
  try {
    return String((JSON.parse(body) as { id?: unknown }).id);
  } catch {
    return '(not JSON)';
  }
};

export async function startCountingSink(opts: CountingSinkOptions = {}): Promise<CountingSink> {
  const first = new Map<string, number>();
  const hits = new Map<string, number>();
  const keys = new Map<string, Set<string>>();
  let total = 0;
  const sink: CountingSink = {
    url: '',
    first,
    hits,
    keys,
    total: () => total,
    respond: () => ({ status: 200 }),
    close: async () => {},
  };
  const keyOf = opts.keyOf ?? ((p: string) => p.replace(/^\/e\//, ''));
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    if (opts.keyOf) req.on('data', (c: Buffer) => chunks.push(c));
    else req.resume();
    req.on('end', () => {
      total++;
      const key = keyOf(req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
      if (!first.has(key)) first.set(key, at);
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const ik = req.headers['idempotency-key'];
      if (typeof ik === 'string') {
        let s = keys.get(key);
        if (!s) keys.set(key, (s = new Set()));
        s.add(ik);
      }
      const { status, delayMs } = sink.respond(key, total);
      const send = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      if (delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, delayMs);
        timers.add(t);
      } else send();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`the sink cannot listen on 127.0.0.1:${opts.port ?? 0}: ${err.message}`)));
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return sink;
}
