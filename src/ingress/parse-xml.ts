// An XML body → a JSON value (attributes as `@_name`, text kept as text), hostile input in mind: no
// DOCTYPE or ENTITY declarations (entity expansion), nesting bounded before the parser recurses,
// prototype-named tags and attributes dropped.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Json } from '../core/types.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, tooDeep } from './body-guards.js';
import { IngressError } from './errors.js';

/** XML names cannot contain NUL, so this marks a renamed forbidden tag unambiguously. */
const DROPPED = '\u0000dropped';

/** `<?xml version="1.0" encoding="GBK"?>`: the charset of an XML body sent without one in Content-Type. */
export function xmlDeclaredEncoding(raw: Buffer): string | undefined {
  const head = raw.subarray(0, 200).toString('latin1');
  const m = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return m?.[1]?.toLowerCase();
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Keep text as text: ids, phone numbers and zip codes must not turn into numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only the five predefined entities: DOCTYPEs are refused before parsing, so none can be declared.
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: (name: string) => (FORBIDDEN_KEYS.has(name) ? DROPPED : name),
});

/** Element nesting, counted on the text so a hostile document is refused before the parser recurses. */
function checkXmlDepth(text: string): void {
  let depth = 0;
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      i = end < 0 ? -1 : text.indexOf('<', end + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      i = end < 0 ? -1 : text.indexOf('<', end + 3);
      continue;
    }
    const close = text.indexOf('>', i);
    if (close < 0) return; // malformed: the validator reports it
    const next = text[i + 1];
    if (next === '/') depth--;
    else if (next !== '?' && next !== '!' && text[close - 1] !== '/') {
      if (++depth > MAX_DEPTH) throw tooDeep();
    }
    i = text.indexOf('<', close + 1);
  }
}

export function parseXml(text: string): Json {
  if (text.trim() === '') throw new IngressError(400, 'invalid_xml', 'The body is empty but Content-Type says XML.');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new IngressError(400, 'invalid_xml', 'XML with a DOCTYPE or ENTITY declaration is refused (entity expansion); send the document without it.');
  }
  checkXmlDepth(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new IngressError(400, 'invalid_xml', `The body is not well-formed XML at line ${line}, column ${col}: ${msg}`);
  }
  let parsed: unknown;
  try {
    parsed = xmlParser.parse(text);
  } catch (err) {
    throw new IngressError(400, 'invalid_xml', `The body could not be read as XML: ${(err as Error).message}`);
  }
  return sanitize(parsed, 0);
}

/** A plain copy without forbidden or dropped keys, refusing nesting over MAX_DEPTH. */
function sanitize(value: unknown, depth: number): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value !== 'object') return String(value);
  if (depth >= MAX_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    // Attributes arrive as `@_name`: drop those named like prototype keys too.
    const name = k.startsWith('@_') ? k.slice(2) : k;
    if (FORBIDDEN_KEYS.has(name) || name === DROPPED) continue;
    out[k] = sanitize(v, depth + 1);
  }
  return out;
}
