import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContentType } from '../../src/http/content-type.js';
import { MAX_DEPTH } from '../../src/ingress/body-guards.js';
import { parseBody } from '../../src/ingress/parse-body.js';
import { assertIngressError, fixture } from './providers/helpers.js';

const post = (body: Buffer | string, contentType: string | undefined) =>
  parseBody(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), contentType, 'POST', {});
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
// "中文" in GBK.
const GBK_ZHONGWEN = Buffer.from([0xd6, 0xd0, 0xce, 0xc4]);

describe('parseContentType', () => {
  const table: Array<[string | undefined, unknown]> = [
    ['application/json', { mediaType: 'application/json', charset: undefined }],
    ['Application/JSON; Charset="UTF-8"', { mediaType: 'application/json', charset: 'utf-8' }],
    ['text/plain;charset=gbk;format=flowed', { mediaType: 'text/plain', charset: 'gbk' }],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [input, want] of table) it(JSON.stringify(input) ?? 'undefined', () => assert.deepEqual(parseContentType(input), want));
});

describe('parseBody: JSON', () => {
  it('parses JSON and +json types', () => {
    assert.deepEqual(post('{"a":[1,"x",null,true]}', 'application/json'), { a: [1, 'x', null, true] });
    assert.deepEqual(post('{"specversion":"1.0"}', 'application/cloudevents+json; charset=utf-8'), { specversion: '1.0' });
  });

  it('decodes declared charsets and drops a BOM', () => {
    assert.deepEqual(post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]), 'application/json'), { a: 1 });
    assert.deepEqual(post(Buffer.concat([Buffer.from('{"t":"'), GBK_ZHONGWEN, Buffer.from('"}')]), 'application/json; charset=GBK'), { t: '中文' });
    assert.deepEqual(post(Buffer.from([0x22, 0x63, 0x61, 0x66, 0xe9, 0x22]), 'application/json; charset=iso-8859-1'), 'café');
  });

  it('refuses bytes that are not the declared charset, naming the offset', () => {
    assertIngressError(
      () => post(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]), 'application/json'),
      400,
      'invalid_charset',
      'utf-8',
      'offset 6',
    );
  });

  it('refuses an unknown charset with 415', () => {
    assertIngressError(() => post('{}', 'application/json; charset=klingon'), 415, 'unsupported_charset', 'klingon');
  });

  it('refuses invalid JSON with the position', () => {
    assertIngressError(() => post('{"a":}', 'application/json'), 400, 'invalid_json', 'line 1, column 6');
    assertIngressError(() => post('{"a":1,\n "b": [1 2]}', 'application/json'), 400, 'invalid_json', 'line 2');
    assertIngressError(() => post('{"a":1', 'application/json'), 400, 'invalid_json', 'position');
    assertIngressError(() => post('', 'application/json'), 400, 'invalid_json', 'empty');
  });

  it(`accepts nesting up to ${MAX_DEPTH} and refuses deeper, even absurdly deep`, () => {
    assert.ok(Array.isArray(post(nested(MAX_DEPTH), 'application/json')));
    assertIngressError(() => post(nested(MAX_DEPTH + 1), 'application/json'), 400, 'too_deep', String(MAX_DEPTH));
    // Refused by the depth scan over the text, before anything is built.
    assertIngressError(() => post(nested(500_000), 'application/json'), 400, 'too_deep');
  });

  it('does not count brackets inside strings as nesting', () => {
    const text = JSON.stringify({ s: '['.repeat(200) + '\\"{{{' });
    assert.deepEqual(post(text, 'application/json'), JSON.parse(text));
  });

  it('drops __proto__, constructor and prototype keys at any depth, and pollutes nothing', () => {
    const hostile =
      '{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"polluted":2}},"prototype":3,"ok":true},"list":[{"__proto__":{"x":1},"y":2}]}';
    const parsed = post(hostile, 'application/json');
    assert.deepEqual(parsed, { a: { ok: true }, list: [{ y: 2 }] });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // A downstream merge of the parsed body cannot reach Object.prototype either.
    const merged = Object.assign({}, parsed) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  });

  it('drops a forbidden key spelled with \\u escapes', () => {
    assert.deepEqual(post('{"\\u005f\\u005fproto__":{"polluted":1},"\\u0063onstructor":2,"ok":1}', 'application/json'), { ok: 1 });
  });
});

describe('parseBody: integers beyond 2^53', () => {
  it('keeps them as strings of their exact digits; safe integers and non-integers stay numbers', () => {
    const parsed = post(
      '{"a":9007199254740993,"b":9007199254740992,"c":-9007199254740993,"safe":9007199254740991,"neg":-9007199254740991,' +
        '"snowflakes":[1234567890123456789, 175928847299117063],"float":12345678901234567890.5,"exp":1e300,"small":42,' +
        '"text":"9007199254740993 in a string","esc":"\\"9007199254740993","frac":0.12345678901234567890,"bigexp":12345678901234567890e2,"last":12345678901234567890}',
      'application/json',
    );
    assert.deepEqual(parsed, {
      a: '9007199254740993',
      b: '9007199254740992',
      c: '-9007199254740993',
      safe: 9007199254740991,
      neg: -9007199254740991,
      snowflakes: ['1234567890123456789', '175928847299117063'],
      float: 12345678901234567890.5,
      exp: 1e300,
      small: 42,
      text: '9007199254740993 in a string',
      esc: '"9007199254740993',
      frac: 0.1234567890123456789,
      bigexp: 12345678901234567890e2,
      last: '12345678901234567890',
    });
  });

  it('ids derived from them stay distinct', () => {
    const a = post('{"id":9007199254740993}', 'application/json') as { id: unknown };
    const b = post('{"id":9007199254740992}', 'application/json') as { id: unknown };
    assert.notEqual(String(a.id), String(b.id));
  });

  it('still drops forbidden keys, and reports errors at the position the sender wrote', () => {
    assert.deepEqual(post('{"__proto__":{"x":1},"id":12345678901234567890}', 'application/json'), { id: '12345678901234567890' });
    assertIngressError(() => post('{"id":12345678901234567890,"b":}', 'application/json'), 400, 'invalid_json', 'column 32');
  });
});

describe('parseBody: form', () => {
  const FORM = 'application/x-www-form-urlencoded';

  it('parses fields, + as space, percent-escapes as UTF-8, repeated names as a list', () => {
    assert.deepEqual(post('a=1&b=hello+world&c=%E4%B8%AD%F0%9F%91%8B&d=x&d=y&d=z&e=&f', FORM), {
      a: '1',
      b: 'hello world',
      c: '中👋',
      d: ['x', 'y', 'z'],
      e: '',
      f: '',
    });
  });

  it('decodes percent-escapes in the declared charset', () => {
    assert.deepEqual(post('t=%D6%D0%CE%C4', `${FORM}; charset=gbk`), { t: '中文' });
    assertIngressError(() => post('t=%E9t%E9', FORM), 400, 'invalid_charset');
  });

  it('keeps a stray % as it is, accepts an empty body, and drops prototype keys', () => {
    assert.deepEqual(post('p=100%&q=%zz', FORM), { p: '100%', q: '%zz' });
    assert.deepEqual(post('', FORM), {});
    assert.deepEqual(post('__proto__=x&constructor=y&prototype=z&ok=1', FORM), { ok: '1' });
  });

  it('reads the Twilio fixture', () => {
    const sms = post(fixture('twilio/inbound-sms.form'), FORM) as Record<string, string>;
    assert.equal(sms['Body'], 'Hello from my phone 👋');
    assert.equal(sms['From'], '+14155551234');
  });
});

describe('parseBody: XML', () => {
  it('parses text/xml, application/xml and +xml into an object, keeping text as text', () => {
    const xml =
      '<?xml version="1.0"?><xml><ToUserName><![CDATA[gh_123]]></ToUserName><MsgId>0012</MsgId><Item id="7">a &amp; b</Item><Item>c</Item><Empty/></xml>';
    const want = { xml: { ToUserName: 'gh_123', MsgId: '0012', Item: [{ '#text': 'a & b', '@_id': '7' }, 'c'], Empty: '' } };
    for (const ct of ['text/xml', 'application/xml; charset=utf-8', 'application/atom+xml']) assert.deepEqual(post(xml, ct), want, ct);
  });

  it('refuses DOCTYPE/ENTITY declarations (entity expansion)', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    assertIngressError(() => post(laughs, 'text/xml'), 400, 'invalid_xml', 'DOCTYPE');
    assertIngressError(() => post('<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', 'application/xml'), 400, 'invalid_xml');
  });

  it('refuses malformed XML with the line, and an empty body', () => {
    assertIngressError(() => post('<a>\n<b></a>', 'text/xml'), 400, 'invalid_xml', 'line 2');
    assertIngressError(() => post('', 'text/xml'), 400, 'invalid_xml', 'empty');
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    assert.ok(post(deep(MAX_DEPTH - 1), 'text/xml'));
    assertIngressError(() => post(deep(MAX_DEPTH + 1), 'text/xml'), 400, 'too_deep');
    assertIngressError(() => post(deep(100_000), 'text/xml'), 400, 'too_deep');
  });

  it('drops elements and attributes named like prototype keys', () => {
    const parsed = post('<r><__proto__><polluted>1</polluted></__proto__><constructor>x</constructor><ok prototype="1">y</ok></r>', 'text/xml');
    assert.deepEqual(parsed, { r: { ok: { '#text': 'y' } } });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('reads the charset from the XML declaration when Content-Type has none', () => {
    const body = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="GBK"?><m>'), GBK_ZHONGWEN, Buffer.from('</m>')]);
    assert.deepEqual(post(body, 'text/xml'), { m: '中文' });
  });
});

describe('parseBody: text, GET, missing and unsupported types', () => {
  it('returns text/plain as a string', () => {
    assert.equal(post('hello\nworld', 'text/plain'), 'hello\nworld');
    assert.equal(post(GBK_ZHONGWEN, 'text/plain; charset=gbk'), '中文');
  });

  it('uses the query as the body of a GET, without prototype keys', () => {
    assert.deepEqual(parseBody(Buffer.alloc(0), undefined, 'GET', { a: '1', b: ['x', 'y'], __proto__x: 'kept' }), {
      a: '1',
      b: ['x', 'y'],
      __proto__x: 'kept',
    });
    const q: Record<string, string> = JSON.parse('{"__proto__":"x","constructor":"y","ok":"1"}');
    assert.deepEqual(parseBody(Buffer.alloc(0), undefined, 'get', q), { ok: '1' });
  });

  it('accepts an empty body without Content-Type, refuses a body without one', () => {
    assert.deepEqual(post('', undefined), {});
    assertIngressError(() => post('{"a":1}', undefined), 415, 'unsupported_media_type', 'no Content-Type', 'application/json');
  });

  it('refuses other media types with 415 naming the accepted ones', () => {
    for (const ct of ['multipart/form-data; boundary=x', 'application/octet-stream', 'text/html']) {
      assertIngressError(() => post('x', ct), 415, 'unsupported_media_type', ct.split(';')[0]!, 'application/x-www-form-urlencoded', 'text/plain');
    }
  });
});

describe('parseContentType on sloppy headers (what the content-type package refuses is read leniently)', () => {
  const table: Array<[string, unknown]> = [
    ['application/json;', { mediaType: 'application/json', charset: undefined }],
    ['application/x-www-form-urlencoded; charset=UTF-8; ', { mediaType: 'application/x-www-form-urlencoded', charset: 'utf-8' }],
    ['text/xml; bad param; charset="GBK"', { mediaType: 'text/xml', charset: 'gbk' }],
  ];
  for (const [input, want] of table) it(JSON.stringify(input), () => assert.deepEqual(parseContentType(input), want));
});
