// The one error the ingress turns into an HTTP answer: `{"error":{"code","message"}}` with `status`.
// Anything else thrown while handling a webhook is a bug (500); bad input must always land here.

export type IngressErrorCode =
  | 'missing_signature'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'duplicate_header'
  | 'no_secret'
  | 'no_verify'
  | 'bad_verify_token'
  | 'invalid_json'
  | 'invalid_xml'
  | 'invalid_form'
  | 'unsupported_media_type'
  | 'unsupported_charset'
  | 'body_too_large'
  | 'invalid_charset'
  | 'too_deep'
  | 'empty_body'
  | 'no_event_type'
  | (string & {});

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
