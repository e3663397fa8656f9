// Reads the raw request bytes (signatures are computed over them) with the source's size limit.
import type { IncomingMessage } from 'node:http';
import { formatSize } from '../http/size.js';
import { IngressError } from './errors.js';

export async function readRawBody(req: IncomingMessage, limit: number, source: string): Promise<Buffer> {
  const tooLarge = () =>
    new IngressError(413, 'body_too_large', `the body is larger than the ${formatSize(limit)} allowed for source "${source}" (max_body in sources.yaml)`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain, so the 413 reaches the client
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > limit) {
        req.resume();
        throw tooLarge();
      }
      chunks.push(b);
    }
  } catch (err) {
    if (err instanceof IngressError) throw err;
    // The sender hung up mid-body (ECONNRESET, "aborted"): its mistake, answered to nobody, not our error.
    throw new IngressError(
      400,
      'request_aborted',
      `the client closed the connection after ${size} byte(s) of the body (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return Buffer.concat(chunks, size);
}
