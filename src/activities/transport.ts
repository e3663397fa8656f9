// One HTTP exchange for the activities that speak HTTP themselves (http, webpush, FCM): the
// destination pinned by the outbound guard, a per-attempt deadline, the activity's cancellation,
// no redirects followed, and the response body read only up to a cap.
import http from 'node:http';
import https from 'node:https';
import { Context } from '@temporalio/activity';
import { DEFAULT_STEP_TIMEOUT_MS } from '../core/outbound-defaults.js';
import { flattenHeaders } from '../http/headers.js';
import { isJsonMediaType, parseContentType } from '../http/content-type.js';
import { PERMANENT, TRANSIENT, describeNetworkError, permanentFailure, transientFailure } from './failures.js';
import { pinnedLookup, type OutboundGuard } from './outbound-guard.js';

export interface OutboundRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  /** Checks and pins the destination; null for operator-configured endpoints (FCM, token URLs). */
  guard: OutboundGuard | null;
  /** Stop reading the response after this many bytes. */
  maxBodyBytes: number;
  /** How the request is named in error messages, e.g. `POST https://api.example.com/v1/x`. */
  label: string;
  timeoutMs?: number;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
}

/** The activity context when running inside one (MockActivityEnvironment included), else undefined. */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * The deadline for one attempt: a little under the activity's start-to-close timeout, so the step
 * fails with "timed out after Ns" rather than Temporal's bare timeout; 10 s outside an activity.
 */
export function attemptTimeoutMs(ctx: Context | undefined = activityContext()): number {
  const startToClose = ctx?.info.startToCloseTimeoutMs;
  if (!startToClose || startToClose <= 0) return DEFAULT_STEP_TIMEOUT_MS;
  return Math.max(100, startToClose - Math.min(500, Math.floor(startToClose / 10)));
}

export async function sendRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const ctx = activityContext();
  const cancel = ctx?.cancellationSignal;
  cancel?.throwIfAborted();
  const timeoutMs = req.timeoutMs ?? attemptTimeoutMs(ctx);

  const protocol = req.url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw permanentFailure(PERMANENT.invalidParams, `${req.label}: only http and https can be called, not ${protocol}`);
  }
  const hostname = req.url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = req.url.port !== '' ? Number(req.url.port) : protocol === 'https:' ? 443 : 80;
  const addresses = req.guard ? await req.guard.resolve(hostname, port) : undefined;

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
      fn();
    };
    const options: https.RequestOptions = {
      method: req.method,
      protocol,
      hostname,
      port: req.url.port === '' ? undefined : Number(req.url.port),
      path: `${req.url.pathname}${req.url.search}`,
      headers: req.headers,
      // A fresh connection per request: a pooled socket would skip the pinned lookup below.
      agent: false,
      ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
      ...(req.url.username ? { auth: `${decodeURIComponent(req.url.username)}:${decodeURIComponent(req.url.password)}` } : {}),
    };
    const request = (protocol === 'https:' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = (): void =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks),
            truncated,
          }),
        );
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = req.maxBodyBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size = req.maxBodyBytes;
          truncated = true;
          // Enough read: a huge response must not be downloaded just to be dropped.
          done();
          res.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', done);
      res.on('error', (err) => finish(() => reject(networkFailure(req.label, err))));
    });
    request.on('error', (err) => finish(() => reject(networkFailure(req.label, err))));

    timer = setTimeout(() => {
      finish(() => reject(transientFailure(TRANSIENT.timeout, `${req.label}: no complete response within ${timeoutMs} ms`)));
      request.destroy();
    }, timeoutMs);
    const onCancel = (): void => {
      finish(() => reject(cancel?.reason ?? new Error('activity cancelled')));
      request.destroy();
    };
    cancel?.addEventListener('abort', onCancel, { once: true });

    request.end(req.body);
  });
}

function networkFailure(label: string, err: unknown) {
  return transientFailure(TRANSIENT.network, `${label}: ${describeNetworkError(err)}`);
}

/** Decodes a response body by its content-type charset (UTF-8 when absent or unknown). */
export function decodeBody(body: Buffer, contentType: string | undefined): string {
  const charset = parseContentType(contentType)?.charset;
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return isJsonMediaType(parseContentType(contentType)?.mediaType);
}
