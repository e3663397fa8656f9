// Encoding of event data where it lands, so a value can never change the structure around it:
// in an http step's `url` a substituted value is percent-encoded (a `../../admin?x=1#` stays one
// path segment, a `1&admin=true` one query value), and in an email's `html` it is HTML-escaped.
// `raw_url(x)` / `raw_html(x)` around a whole `{{ … }}` insert a value as is, for the rare recipe
// that builds markup or URL parts on purpose. Secrets are operator configuration: never escaped.
// PURE (workflow sandbox).

export interface Escaper {
  /** The CEL function that, wrapping a whole `{{ … }}`, inserts its value unescaped. */
  raw: string;
  /**
   * The text to insert for a substituted value. `start`: nothing precedes it in the string (the
   * url's base). Throws an Error whose message completes "{{ expr }} …" when the value cannot go there.
   */
  escape(text: string, start: boolean): string;
}

/** Functions recipes call for the raw case; identity in CEL, recognised by the template renderer. */
export const RAW_FUNCTIONS = ['raw_url', 'raw_html'] as const;

export const urlEscaper: Escaper = {
  raw: 'raw_url',
  escape(text, start) {
    if (start) {
      // The base of the url (`{{ vars.api }}/users/…`): as is, but it has to be a URL of its own.
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw new Error(`gives ${JSON.stringify(text.slice(0, 80))}, which begins the url, so it must be an absolute http(s) URL (https://host/…)`);
      }
      return text;
    }
    // `..` and `.` stay dot segments even percent-encoded (%2e%2e): the URL parser would walk up the path.
    if (text === '.' || text === '..') {
      throw new Error(`gives ${JSON.stringify(text)}, which would step up the url's path; wrap it in raw_url() if that is meant`);
    }
    return encodeURIComponent(text);
  },
};

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

export const htmlEscaper: Escaper = {
  raw: 'raw_html',
  escape: (text) => escapeHtml(text),
};

/** Per outbound step kind, the parameters whose substituted values are escaped, and how. */
export const FIELD_ESCAPERS: Readonly<Record<string, Readonly<Record<string, Escaper>>>> = {
  http: { url: urlEscaper },
  email: { html: htmlEscaper },
};
