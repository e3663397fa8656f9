// The contract between the ingress and one provider preset. Re-exported by ./index.ts.
import type { Json, SourceConfig } from '../core/types.js';

export interface WebhookRequest {
  /** GET | POST | PUT */
  method: string;
  /** The URL as the provider called it: PUBLIC_URL + path + query (Twilio signs it). */
  publicUrl: string;
  /** Node's lower-case IncomingHttpHeaders. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  query: Record<string, string | string[]>;
  receivedAt: Date;
}

export interface Described {
  type: string;
  id: string;
}

export interface Handshake {
  status: number;
  contentType: string;
  body: string;
}

export type Evaluate = (expr: string, ctx: Record<string, unknown>) => Json;

export interface SignInput {
  body: Buffer;
  /** The signing secret as the provider holds it (for Discord: the application's Ed25519 private key, PEM). */
  secret: string;
  /** Where the request goes (Twilio signs it). */
  url: string;
  contentType: string;
  now: Date;
  /** Headers the user asked for (`--header K:V`); kept, e.g. to choose the event type. */
  headers?: Record<string, string>;
  /** The source, for presets whose signing is configured there (generic). */
  source?: SourceConfig;
}

export interface SignOutput {
  /** Every header to send: Content-Type, the user's, the provider's event/id headers and the signature. */
  headers: Record<string, string>;
  /** Set when the provider signs a rewritten URL (Twilio JSON bodies carry `bodySHA256`, generic query tokens). */
  url?: string;
}

export interface Provider {
  name: string;
  /** Throws IngressError(401, …) when the request is not the provider's. */
  verify(req: WebhookRequest, source: SourceConfig, now: Date): void;
  /** Throws IngressError(400, 'no_event_type', …) when the event type cannot be found. */
  describe(req: WebhookRequest, body: Json, source: SourceConfig, evaluate: Evaluate): Described;
  /** A registration handshake to answer instead of starting runs; called after verify. */
  handshake?(req: WebhookRequest, body: Json, source: SourceConfig): Handshake | undefined;
  /** Lower-case header names that carry credentials/signatures: stripped before the event is stored in history. */
  sensitiveHeaders: string[];
  /** For `hookflow send`: the headers (and possibly a rewritten URL) the provider would send. */
  sign(input: SignInput): SignOutput;
}
