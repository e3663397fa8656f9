// Where a JSON body stops being JSON, said for a person: `line 3, column 7 (position 42)`.

/** The line, column and offset of the first syntax error JSON.parse reported with `message`; undefined when none is found. */
export function jsonErrorPosition(text: string, message: string): string | undefined {
  const at = jsonErrorOffset(text, message);
  return at === undefined ? undefined : lineCol(text, at);
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
    this.members('}', () => {
      if (this.s[this.i] !== '"') throw this.i;
      this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw this.i;
      this.i++;
      this.ws();
      this.value();
    });
  }

  private array(): void {
    this.members(']', () => this.value());
  }

  /** The members of an object or array, from its opening bracket to `close`, comma-separated. */
  private members(close: string, member: () => void): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      member();
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === close) return;
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
