import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, prettyLine } from '../../src/log.js';

test('prettyLine: time, level and message first, then the fields, strings quoted only when needed', () => {
  const line = prettyLine(
    JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 11, 1, 12, 4, 5),
      pid: 1,
      hostname: 'h',
      app: 'hookflow',
      msg: 'backlog full',
      source: 'github',
      reason: 'too many pending',
      n: 3,
    }),
  );
  assert.equal(line, '12:04:05 WARN  backlog full  source=github reason="too many pending" n=3\n');
});

test('prettyLine: colour codes only when asked; a line that is not JSON passes as it is', () => {
  assert.ok(prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'x' }), true).includes('\x1b[31mERROR\x1b[0m x'));
  assert.equal(prettyLine('not json'), 'not json\n');
});

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  (stream as { isTTY?: boolean }).isTTY = isTTY;
  let text = '';
  (stream as unknown as PassThrough).on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

test('createLogger: pretty lines on a terminal, LOG_FORMAT=json forces JSON there, LOG_FORMAT=pretty formats a pipe', async () => {
  const tty = capture(true);
  createLogger({ NO_COLOR: '1' }, tty.stream).info({ recipe: 'r1' }, 'run started');
  const forcedJson = capture(true);
  createLogger({ LOG_FORMAT: 'json' }, forcedJson.stream).info({ recipe: 'r1' }, 'run started');
  const pipe = capture(false);
  createLogger({ LOG_FORMAT: 'pretty' }, pipe.stream).warn('careful');
  await new Promise((r) => setImmediate(r));
  assert.match(tty.text(), /^\d\d:\d\d:\d\d INFO {2}run started {2}recipe=r1\n$/);
  assert.match(pipe.text(), /WARN {2}careful\n$/);
  const json = JSON.parse(forcedJson.text()) as { msg: string; recipe: string; level: number };
  assert.deepEqual([json.msg, json.recipe, json.level], ['run started', 'r1', 30]);
});
