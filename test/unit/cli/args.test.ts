import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HEADER_OPTION, UsageError, headersOf, parseCommand } from '../../../src/cli/args.js';

const USAGE = 'hookflow send <source> <payload-file> [--header K:V] [--url U]';
const SEND = { ...HEADER_OPTION, url: { type: 'string' } } as const;

describe('parseCommand', () => {
  test('positionals, repeated -H/--header and --url (also --url=U)', () => {
    const { values, positionals } = parseCommand(['github', 'push.json', '-H', 'X-A: 1', '--header', 'X-B:2', '--url=http://h/x'], SEND, USAGE, 2);
    assert.deepEqual(positionals, ['github', 'push.json']);
    assert.deepEqual(values.header, ['X-A: 1', 'X-B:2']);
    assert.equal(values.url, 'http://h/x');
  });

  const refused: Array<[string, string[], RegExp]> = [
    ['an unknown option, named', ['github', 'p.json', '--bogus'], /^hookflow send: Unknown option '--bogus'\nusage: hookflow send <source>/],
    ['a short unknown option, named', ['-x'], /^hookflow send: Unknown option '-x'\n/],
    ['--url without its value', ['github', 'p.json', '--url'], /^hookflow send: Option '--url <value>' argument missing\nusage: /],
    ['--header followed by another option', ['github', 'p.json', '--header', '--url', 'u'], /^hookflow send: Option '--header' argument is ambiguous/],
    ['a third positional', ['github', 'p.json', 'extra'], /^hookflow send: unexpected argument "extra"\nusage: hookflow send /],
    ['an option of another command (--json)', ['--url', 'u', '--json'], /^hookflow send: Unknown option '--json'/],
  ];
  for (const [what, argv, message] of refused) {
    test(`refuses ${what}, with the usage`, () => {
      assert.throws(
        () => parseCommand(argv, SEND, USAGE, 2),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });
  }

  test('a command without positionals refuses one (Node names it)', () => {
    assert.throws(
      () => parseCommand(['x'], {}, 'hookflow serve'),
      (e: unknown) => e instanceof UsageError && /^hookflow serve: Unexpected argument 'x'/.test(e.message),
    );
  });

  test('--help or -h anywhere before `--`: the usage, to be printed with exit 0', () => {
    for (const argv of [['--help'], ['github', '-h'], ['--bogus', '--help']]) {
      assert.throws(
        () => parseCommand(argv, SEND, USAGE, 2),
        (e: unknown) => e instanceof UsageError && e.exitCode === 0 && e.message === `usage: ${USAGE}`,
        argv.join(' '),
      );
    }
    assert.deepEqual(parseCommand(['github', '--', '-h'], SEND, USAGE, 2).positionals, ['github', '-h']);
  });

  test('boolean options', () => {
    assert.equal(parseCommand(['--dev'], { dev: { type: 'boolean' } }, 'hookflow start [--dev]').values.dev, true);
    assert.equal(parseCommand([], { dev: { type: 'boolean' } }, 'hookflow start [--dev]').values.dev, undefined);
  });
});

describe('headersOf', () => {
  test('"Name: value" and "Name:value", trimmed; a later one wins; none is {}', () => {
    assert.deepEqual(headersOf(['X-A: 1', 'X-B:2', ' X-A :  3 '], USAGE), { 'X-A': '3', 'X-B': '2' });
    assert.deepEqual(headersOf(undefined, USAGE), {});
  });
  test('a value may hold colons (a URL)', () => {
    assert.deepEqual(headersOf(['Link: <https://a/b>; rel=next'], USAGE), { Link: '<https://a/b>; rel=next' });
  });
  for (const bad of ['no-colon', ': value', '']) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => headersOf([bad], USAGE),
        (e: unknown) =>
          e instanceof UsageError && e.message.includes(`--header needs "Name: value", got ${JSON.stringify(bad)}`) && e.message.includes(`usage: ${USAGE}`),
      );
    });
  }
});
