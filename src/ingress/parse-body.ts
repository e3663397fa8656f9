// Raw bytes + Content-Type → the JSON value recipes see as `event`: picks the parser by media type
// and the charset to decode with. Runs after the signature check (which covers the raw bytes); each
// parser treats the body as hostile (bounded nesting, no prototype keys, strict charset decoding,
// no XML DTDs).
import type { Json } from '../core/types.js';
import { decodeText } from '../http/charset.js';
import { isJsonMediaType, parseContentType } from '../http/content-type.js';
import { IngressError } from './errors.js';
import { parseForm } from './parse-form.js';
import { parseJson } from './parse-json.js';
import { parseXml, xmlDeclaredEncoding } from './parse-xml.js';
import { queryBody } from './query.js';

const ACCEPTED = 'application/json (or any +json), application/x-www-form-urlencoded, text/xml or application/xml (or any +xml), text/plain';

type Kind = 'json' | 'form' | 'xml' | 'text';

function kindOf(mediaType: string): Kind | undefined {
  if (isJsonMediaType(mediaType)) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'text/xml' || mediaType === 'application/xml' || mediaType.endsWith('+xml')) return 'xml';
  if (mediaType === 'text/plain') return 'text';
  return undefined;
}

/** A GET's event is its query string; other methods' is their body, parsed by its Content-Type. */
export function parseBody(raw: Buffer, contentType: string | undefined, method: string, query: Record<string, string | string[]>): Json {
  if (method.toUpperCase() === 'GET') return queryBody(query);

  const ct = parseContentType(contentType);
  if (ct === undefined) {
    if (raw.length === 0) return {};
    throw new IngressError(415, 'unsupported_media_type', `The request has a body but no Content-Type. Send one of: ${ACCEPTED}.`);
  }
  const kind = kindOf(ct.mediaType);
  if (kind === undefined) {
    throw new IngressError(415, 'unsupported_media_type', `Content-Type ${ct.mediaType} is not accepted. Send one of: ${ACCEPTED}.`);
  }

  if (kind === 'form') return parseForm(raw, ct.charset ?? 'utf-8');
  const charset = ct.charset ?? (kind === 'xml' ? xmlDeclaredEncoding(raw) : undefined) ?? 'utf-8';
  const text = decodeText(raw, charset);
  if (kind === 'text') return text;
  if (kind === 'json') return parseJson(text);
  return parseXml(text);
}
