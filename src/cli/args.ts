// Tiny argument helpers shared by the commands: positionals, repeated `--header K:V`, `--url U`.
export interface ParsedArgs {
  positionals: string[];
  headers: Record<string, string>;
  flags: Record<string, string>;
}

export function parseArgs(argv: string[], valued: string[] = ['url']): ParsedArgs {
  const out: ParsedArgs = { positionals: [], headers: {}, flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--header' || a === '-H') {
      const v = argv[++i];
      const colon = v?.indexOf(':') ?? -1;
      if (!v || colon <= 0) throw new Error(`--header needs "Name: value", got ${JSON.stringify(v ?? '')}`);
      out.headers[v.slice(0, colon).trim()] = v.slice(colon + 1).trim();
    } else if (a.startsWith('--') && valued.includes(a.slice(2))) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      out.flags[a.slice(2)] = v;
    } else if (a.startsWith('--')) {
      out.flags[a.slice(2)] = 'true';
    } else {
      out.positionals.push(a);
    }
  }
  return out;
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
