// A worker alone has no ingress: when METRICS_PORT is set it serves its own /metrics (behind the
// admin access rule) and /healthz (200 while the worker runs).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../config.js';
import { adminAccess } from '../ingress/admin-access.js';
import type { Metrics } from '../metrics.js';
import { boundTo, closeGracefully, listen } from './http-server.js';
import type { CleanupStack } from './shutdown.js';

export async function serveWorkerMetrics(
  config: Config,
  port: number,
  deps: { worker: Worker | undefined; metrics: Metrics; say: (line: string) => void; cleanups: CleanupStack },
): Promise<void> {
  const { worker, metrics } = deps;
  const metricsAccess = adminAccess(config.env);
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] === '/metrics') {
      metricsAccess(req, res, () => void metrics.scrape().then((m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body)));
    } else if (req.url === '/healthz') {
      const state = worker?.getState() ?? 'absent';
      res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: state === 'RUNNING', worker: state }));
    } else {
      res.writeHead(404).end();
    }
  });
  await listen(server, port, config.host);
  const bound = boundTo(server.address() as AddressInfo);
  deps.say(`  worker metrics: ${bound.url}/metrics (listening on ${bound.listening})`);
  deps.cleanups.push(() => closeGracefully(server));
}
