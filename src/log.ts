// One structured logger (pino). Lines about an event carry source, event id, recipe, workflow id.
// JSON lines by default (for log collectors); on a terminal, or with LOG_FORMAT=pretty, one readable
// line each: `12:04:05 WARN  message  key=value …`. LOG_FORMAT=json forces JSON on a terminal too.
import { pino, type Logger } from 'pino';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '36', 40: '33', 50: '31', 60: '35' };
/** Fields every line has, shown in the line's head instead of as key=value. */
const HEAD = new Set(['time', 'level', 'msg', 'app', 'pid', 'hostname']);

function show(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as a readable line (colour codes when `color`). Lines that are not JSON pass as they are. */
export function prettyLine(json: string, color = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof o.level === 'number' ? o.level : 30;
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '';
  const rest = Object.entries(o)
    .filter(([k]) => !HEAD.has(k))
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');
  const head = color ? `\x1b[${COLORS[level] ?? '0'}m${name}\x1b[0m` : name;
  return `${time} ${head} ${String(o.msg ?? '')}${rest ? `  ${rest}` : ''}\n`;
}

export function createLogger(env: Record<string, string | undefined> = process.env, out: NodeJS.WriteStream = process.stdout): Logger {
  const level = env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info');
  const pretty = env.LOG_FORMAT === 'pretty' || (env.LOG_FORMAT !== 'json' && out.isTTY === true);
  const options = { level, base: { app: 'hookflow' } };
  if (!pretty) return out === process.stdout ? pino(options) : pino(options, out);
  const color = out.isTTY === true && !env.NO_COLOR;
  return pino(options, { write: (line: string) => void out.write(prettyLine(line, color)) });
}
