// Every command's options go through node:util's parseArgs (strict); a mistake is answered with the
// command's usage, not a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command line the command cannot run: main prints the message alone and exits 1 (0 for `--help`). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `-H/--header K:V`, repeatable: the option `headersOf` reads. */
export const HEADER_OPTION = { header: { type: 'string', short: 'H', multiple: true } } as const satisfies Options;

/**
 * `argv` parsed against `options`, with at most `maxPositionals` positionals. `usage` is the
 * command's usage line (`hookflow send <source> …`): its first two words name the command.
 */
export function parseCommand<O extends Options>(argv: string[], options: O, usage: string, maxPositionals = 0) {
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) throw new UsageError(`usage: ${usage}`, 0);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: maxPositionals > 0, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS_')) throw err;
    // Node's first sentence names the option; the rest explains `--`, which is not what went wrong here.
    const what = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? (err as Error).message.split('. ')[0]! : (err as Error).message;
    throw usageError(usage, what);
  }
  if (parsed.positionals.length > maxPositionals) throw usageError(usage, `unexpected argument "${parsed.positionals[maxPositionals]}"`);
  return parsed;
}

/** The refusal `parseCommand` throws, for a command's own checks (a missing positional). */
export function usageError(usage: string, problem?: string): UsageError {
  const command = usage.split(' ').slice(0, 2).join(' ');
  return new UsageError(problem ? `${command}: ${problem}\nusage: ${usage}` : `usage: ${usage}`);
}

/** The values of repeated `--header "Name: value"` as a record; a later one wins. */
export function headersOf(values: string[] | undefined, usage: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const v of values ?? []) {
    const colon = v.indexOf(':');
    if (colon <= 0) throw usageError(usage, `--header needs "Name: value", got ${JSON.stringify(v)}`);
    headers[v.slice(0, colon).trim()] = v.slice(colon + 1).trim();
  }
  return headers;
}

/** A payload file's content type, from the user's header or the file's extension. */
export function contentTypeFor(file: string, headers: Record<string, string>): string {
  const given = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (given) return given;
  if (/\.xml$/i.test(file)) return 'application/xml';
  if (/\.(form|urlencoded)$/i.test(file)) return 'application/x-www-form-urlencoded';
  if (/\.txt$/i.test(file)) return 'text/plain';
  return 'application/json';
}
