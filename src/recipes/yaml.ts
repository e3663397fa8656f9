// YAML with positions: parse a file keeping node ranges, and find the line:col of a value, of a key,
// or of a character inside a string scalar (for an error at an offset inside a template or CEL).
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type Document, type Node } from 'yaml';

/** Alias expansions allowed when building values: far above real recipes, far below an alias bomb. */
export const MAX_ALIAS_COUNT = 1000;

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export type Path = Array<string | number>;

export class YamlFile {
  readonly lines: LineCounter = new LineCounter();
  readonly doc: Document.Parsed;
  readonly problems: Problem[] = [];
  private readonly value: unknown;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, merge: true });
    for (const e of this.doc.errors) {
      const at = e.linePos?.[0] ?? this.lines.linePos(e.pos[0]);
      const message = e.message.split('\n')[0] ?? e.message;
      this.problems.push({ file, line: at.line, col: at.col, message: `YAML: ${message}` });
    }
    if (this.problems.length > 0) return;
    try {
      this.value = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // The yaml package throws (no position) when aliases expand past the cap: point at the first alias.
      this.problems.push(
        this.problemAt(
          this.firstAliasOffset(),
          `YAML: ${/alias/i.test((e as Error).message) ? `aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?): write the values out instead` : (e as Error).message}`,
        ),
      );
    }
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** The document as plain values (built once); undefined when it has problems. */
  toJS(): unknown {
    return this.value;
  }

  private firstAliasOffset(): number {
    let offset = 0;
    visit(this.doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return offset;
  }

  problemAt(offset: number, message: string): Problem {
    const { line, col } = this.lines.linePos(Math.min(offset, this.text.length));
    return { file: this.file, line, col, message };
  }

  /** The node at a path (map keys compared as strings, sequence indices as numbers). */
  node(path: Path): Node | undefined {
    let cur: unknown = this.doc.contents;
    for (const seg of path) {
      if (isMap(cur)) {
        const pair = cur.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
        cur = pair?.value;
      } else if (isSeq(cur)) {
        cur = cur.items[typeof seg === 'number' ? seg : Number(seg)];
      } else {
        return undefined;
      }
    }
    return (cur ?? undefined) as Node | undefined;
  }

  /** The deepest existing node along a path, with its path (for errors about missing things). */
  private nearest(path: Path): Node | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return node;
    }
    return undefined;
  }

  /** Offset of a value (or its nearest existing ancestor). */
  valueOffset(path: Path): number {
    return this.nearest(path)?.range?.[0] ?? 0;
  }

  /** Offset of the key of the last path segment in its map; falls back to the value. */
  keyOffset(path: Path): number {
    const parent = this.node(path.slice(0, -1));
    const last = path[path.length - 1];
    if (isMap(parent) && last !== undefined) {
      const pair = parent.items.find((p) => isPair(p) && keyString(p.key) === String(last));
      const key = pair?.key as Node | undefined;
      if (key?.range) return key.range[0];
    }
    return this.valueOffset(path);
  }

  /** Offset of the `index`-th character of the string value at `path`, as written in the source. */
  stringOffset(path: Path, index: number): number {
    const node = this.node(path);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return this.valueOffset(path);
    return scalarCharOffset(this.text, node, index);
  }

  at(path: Path, message: string, where: 'value' | 'key' = 'value'): Problem {
    return this.problemAt(where === 'key' ? this.keyOffset(path) : this.valueOffset(path), message);
  }

  atString(path: Path, index: number, message: string): Problem {
    return this.problemAt(this.stringOffset(path, index), message);
  }
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return key === null || key === undefined ? undefined : String(key);
}

/**
 * Maps an index in a scalar's value to an offset in the source. Exact for plain and quoted scalars
 * on one line (escapes accounted for) and for block scalars (`|`, `>` on unfolded lines); otherwise
 * the nearest safe guess: the start of the scalar.
 */
function scalarCharOffset(text: string, node: Scalar, index: number): number {
  const [start, end] = node.range as [number, number, number];
  const src = text.slice(start, end);
  const value = node.value as string;
  switch (node.type) {
    case Scalar.PLAIN:
      return !src.includes('\n') ? start + Math.min(index, src.length) : start;
    case Scalar.QUOTE_SINGLE:
    case Scalar.QUOTE_DOUBLE: {
      if (src.includes('\n')) return start;
      // Walk the source, counting how many value characters each source character produces.
      const dq = node.type === Scalar.QUOTE_DOUBLE;
      let i = 1;
      let produced = 0;
      while (i < src.length - 1 && produced < index) {
        if (dq && src[i] === '\\') {
          const c = src[i + 1];
          i += c === 'x' ? 4 : c === 'u' ? 6 : c === 'U' ? 10 : 2;
        } else if (!dq && src[i] === "'" && src[i + 1] === "'") {
          i += 2;
        } else {
          i += 1;
        }
        produced++;
      }
      return start + i;
    }
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      const before = value.slice(0, index);
      const lineNo = (before.match(/\n/g) ?? []).length;
      const colInLine = index - (before.lastIndexOf('\n') + 1);
      // Source lines after the header line (`|`, `>-`, …); the first non-empty one gives the indentation.
      const lines = src.split('\n').slice(1);
      const first = lines.find((l) => l.trim() !== '') ?? '';
      const indent = first.length - first.trimStart().length;
      // Folded scalars join lines with spaces: only the first source line maps one to one.
      if (node.type === Scalar.BLOCK_FOLDED && (lineNo > 0 || colInLine > first.length - indent)) return start;
      let off = start + src.indexOf('\n') + 1;
      for (let i = 0; i < lineNo && i < lines.length; i++) off += (lines[i]?.length ?? 0) + 1;
      return off + indent + colInLine;
    }
    default:
      return start;
  }
}
