// Raw bytes + Content-Type → the JSON value recipes see as `event`. Runs after the signature check
// (which covers the raw bytes) and treats the body as hostile: bounded nesting, no prototype keys,
// strict charset decoding, no XML DTDs.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Json } from '../core/types.js';
import { isJsonMediaType, parseContentType } from '../http/content-type.js';
import { decodeText } from './charset.js';
import { IngressError } from './errors.js';
import { formPairs } from './parse-form.js';
import { quoteBigIntegers } from './json-big-integers.js';

export const MAX_DEPTH = 64;

const ACCEPTED =
  'application/json (or any +json), application/x-www-form-urlencoded, text/xml or application/xml (or any +xml), text/plain';

/** Keys that would reach Object.prototype through a later merge/assign downstream. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** XML names cannot contain NUL, so this marks a renamed forbidden tag unambiguously. */
const DROPPED = '\u0000dropped';

type Kind = 'json' | 'form' | 'xml' | 'text';

function kindOf(mediaType: string): Kind | undefined {
  if (isJsonMediaType(mediaType)) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'text/xml' || mediaType === 'application/xml' || mediaType.endsWith('+xml')) return 'xml';
  if (mediaType === 'text/plain') return 'text';
  return undefined;
}

export function parseBody(
  raw: Buffer,
  contentType: string | undefined,
  method: string,
  query: Record<string, string | string[]>,
): Json {
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

/** `<?xml version="1.0" encoding="GBK"?>`: the charset of an XML body sent without one in Content-Type. */
function xmlDeclaredEncoding(raw: Buffer): string | undefined {
  const head = raw.subarray(0, 200).toString('latin1');
  const m = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return m?.[1]?.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// JSON

/**
 * Nesting depth outside strings, checked before JSON.parse so a hostile body costs one linear scan.
 * The same pass lists the runs of 16+ digits outside strings: only they can be integers beyond 2^53.
 */
function scanJson(text: string): { longRuns: Array<[number, number]> } {
  let depth = 0;
  let inString = false;
  let runStart = -1;
  const longRuns: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0 && i - runStart >= 16) longRuns.push([runStart, i]);
    runStart = -1;
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) throw tooDeep();
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (runStart >= 0 && text.length - runStart >= 16) longRuns.push([runStart, text.length]);
  return { longRuns };
}

function tooDeep(): IngressError {
  return new IngressError(400, 'too_deep', `The body nests deeper than ${MAX_DEPTH} levels; flatten it.`);
}

function parseJson(text: string): Json {
  if (text.trim() === '') throw new IngressError(400, 'invalid_json', 'The body is empty but Content-Type says JSON.');
  const { longRuns } = scanJson(text);
  // Integers beyond 2^53 arrive as strings of their exact digits (ids must not collapse).
  const exact = longRuns.length > 0 ? quoteBigIntegers(text, longRuns) : text;
  try {
    // The reviver triples parse time, so only pay for it when a forbidden key could be there
    // (spelled out, or hidden behind a \u escape).
    if (!/__proto__|constructor|prototype|\\u/.test(exact)) return JSON.parse(exact) as Json;
    return JSON.parse(exact, (key, value: unknown) => (FORBIDDEN_KEYS.has(key) ? undefined : value)) as Json;
  } catch (first) {
    // Report the error as the sender wrote it: quoting moved the positions after it.
    let err = first;
    if (exact !== text) {
      try {
        JSON.parse(text);
      } catch (original) {
        err = original;
      }
    }
    const at = jsonErrorOffset(text, (err as Error).message);
    const where = at === undefined ? '' : ` at ${lineCol(text, at)}`;
    throw new IngressError(400, 'invalid_json', `The body is not valid JSON${where}: ${(err as Error).message}`);
  }
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lastNl = i;
    }
  }
  return `line ${line}, column ${offset - lastNl} (position ${offset})`;
}

/** V8 names the position for some errors only; otherwise find it with a small validating scan. */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (m?.[1]) return Number(m[1]);
  return new JsonLocator(text).firstError();
}

/** A minimal JSON grammar walk whose only output is the offset of the first syntax error. */
class JsonLocator {
  private i = 0;
  constructor(private readonly s: string) {}

  firstError(): number | undefined {
    try {
      this.ws();
      this.value();
      this.ws();
      return this.i < this.s.length ? this.i : undefined;
    } catch (pos) {
      return typeof pos === 'number' ? pos : undefined;
    }
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] ?? '')) this.i++;
  }

  private value(): void {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const lit of ['true', 'false', 'null']) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return;
      }
    }
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (num && num[0] !== '') {
      this.i += num[0].length;
      return;
    }
    throw this.i;
  }

  private object(): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw this.i;
      this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw this.i;
      this.i++;
      this.ws();
      this.value();
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return;
      if (c !== ',') throw this.i - 1;
    }
  }

  private array(): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.value();
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return;
      if (c !== ',') throw this.i - 1;
    }
  }

  private string(): void {
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) throw this.i;
      this.i += c === 0x5c ? 2 : 1;
    }
    throw this.i;
  }
}

// ---------------------------------------------------------------------------------------------
// Forms

/** application/x-www-form-urlencoded in any charset; a repeated name gives a list. */
function parseForm(raw: Buffer, charset: string): Json {
  const out: { [key: string]: Json } = {};
  for (const [name, value] of formPairs(raw, charset)) {
    if (FORBIDDEN_KEYS.has(name)) continue;
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML

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

function parseXml(text: string): Json {
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

// ---------------------------------------------------------------------------------------------
// GET

function queryBody(query: Record<string, string | string[]>): Json {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(query)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v : String(v);
  }
  return out;
}
