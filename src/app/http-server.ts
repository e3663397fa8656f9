// What hookflow's HTTP servers (the ingress, a lone worker's metrics) share: listening on HOST or
// on every interface, saying where, and closing without cutting requests in flight.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `port` of `host` (every interface when unset); rejects when the port cannot be had. */
export function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host) server.listen(port, host, () => resolve());
    else server.listen(port, () => resolve());
  });
}

/**
 * Requests Node's HTTP parser refuses before express sees them (431 header block too large, 400
 * malformed) still get the JSON error shape of every other refusal.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      error: {
        code: tooLarge ? 'headers_too_large' : 'bad_request',
        message: tooLarge ? 'the request headers are too large (16 KiB at most)' : `malformed HTTP request: ${err.code ?? err.message}`,
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * The address a server really listens on, said plainly, and a URL this machine can call it at:
 * `::`/`0.0.0.0` are every interface (reached here through loopback).
 */
export function boundTo(a: AddressInfo): { url: string; listening: string } {
  const wildcard = a.address === '::' || a.address === '0.0.0.0';
  const host = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
  if (wildcard) return { url: `http://127.0.0.1:${a.port}`, listening: `all interfaces, port ${a.port} (set HOST to choose one)` };
  return { url: `http://${host}:${a.port}`, listening: `http://${host}:${a.port}` };
}

/**
 * Stops taking connections, lets requests in flight finish, and closes keep-alive connections as
 * soon as they are idle (instead of waiting out the keep-alive timeout).
 */
export function closeGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    // Express may have answered synchronously already (a 404, a refusal): only an open answer can still say it.
    server.on('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
