// The one error the ingress turns into an HTTP answer: `{"error":{"code","message"}}` with `status`.
// Anything else thrown while handling a webhook is a bug (500); bad input must always land here.
// It lives beside the verifiers that throw most of it (src/ingress/errors.ts re-exports it), so
// providers do not import from the ingress above them.

/** Every code thrown in src/ (a closed list: a new code is a type error until it is added here). */
export type IngressErrorCode =
  // signatures and secrets (src/providers)
  | 'missing_signature'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'bad_timestamp'
  | 'duplicate_header'
  | 'no_secret'
  | 'bad_secret'
  | 'no_verify'
  | 'bad_verify_token'
  | 'unknown_provider'
  | 'invalid_twilio_delivery'
  // the body (src/ingress)
  | 'invalid_json'
  | 'invalid_xml'
  | 'unsupported_media_type'
  | 'unsupported_charset'
  | 'invalid_charset'
  | 'body_too_large'
  | 'event_too_large'
  | 'too_deep'
  | 'no_event_type'
  | 'delivery_id_too_long'
  | 'invalid_delivery_id'
  | 'event_type_too_long'
  | 'invalid_event_type'
  // the request itself (src/ingress)
  | 'unknown_source'
  | 'method_not_allowed'
  | 'request_aborted';

export class IngressError extends Error {
  constructor(
    public status: number,
    public code: IngressErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IngressError';
  }

  /** The response body the ingress sends. */
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isIngressError(err: unknown): err is IngressError {
  return err instanceof IngressError;
}
