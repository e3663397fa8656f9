// Content-Type headers, parsed in one place (the `content-type` package, RFC 7231) for the ingress,
// the providers' verifiers and the outbound activities. Webhook senders are not always strict
// (`application/json;` with a trailing semicolon, a stray parameter): what the package refuses is
// read leniently — the media type before the first `;` and a `charset=` parameter if there is one —
// so a sloppy header never turns into an error of ours.
import contentType from 'content-type';

export interface ContentType {
  /** Lower-case, without parameters: `application/json`. */
  mediaType: string;
  /** Lower-case, unquoted; undefined when absent. */
  charset: string | undefined;
}

/** `application/json; charset="UTF-8"` → `{ mediaType: 'application/json', charset: 'utf-8' }`; undefined for no header. */
export function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  try {
    const parsed = contentType.parse(header);
    return { mediaType: parsed.type, charset: parsed.parameters.charset?.toLowerCase() || undefined };
  } catch {
    const [type = '', ...params] = header.split(';');
    const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
    return { mediaType: type.trim().toLowerCase(), charset: charset?.toLowerCase() || undefined };
  }
}

/** JSON by its media type: `application/json`, `text/json` or any `+json` suffix. */
export function isJsonMediaType(mediaType: string | undefined): boolean {
  return mediaType === 'application/json' || mediaType === 'text/json' || (mediaType?.endsWith('+json') ?? false);
}
