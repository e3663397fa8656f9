// Request and response headers as hookflow keeps them: one string per name. Shared by the ingress
// (what a run's history and the request log store), the providers (what `verify:` expressions see)
// and the outbound transport (a response's headers in a step's result).

/** Lower-case names; a repeated header's values joined with `, `, as HTTP reads them (RFC 9110 §5.3). */
export function flattenHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
