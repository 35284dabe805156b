/** Maps a path inside a parsed YAML document back to file:line:col. */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../errors.ts';
import type { SourcePos } from './types.ts';

export type Path = ReadonlyArray<string | number>;

export interface ParsedYaml {
  doc: Document.Parsed;
  value: unknown;
  errors: Diagnostic[];
  pos: YamlPositions;
}

/**
 * Offset → 1-based line:col over the text itself. yaml's LineCounter only learns the line starts
 * its lexer visits, so after error recovery it can put a position on the wrong line (or past a
 * line's end); counting newlines ourselves cannot.
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  linePos(offset: number): { line: number; col: number } {
    const off = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    // A position on a line's CR or LF is shown as just past its last character (editors agree).
    let end = (this.starts[lo + 1] ?? this.text.length + 1) - 1;
    if (end > this.starts[lo]! && this.text.charCodeAt(end - 1) === 13) end--;
    return { line: lo + 1, col: Math.min(off, end) - this.starts[lo]! + 1 };
  }
}

/**
 * A lone CR is a line break for YAML 1.2, for CSV (old Mac exports) and for editors, but not for
 * the `yaml` package or our line index: make it a LF. Same length, so every offset still holds.
 */
export function normalizeLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

export class YamlPositions {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineIndex,
    readonly file: string,
  ) {}

  private offsetPos(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /**
   * Position of the value at `path`, or of the deepest ancestor that exists.
   * With `key`, the position of that key inside the map at `path` (for unknown keys).
   */
  at(path: Path, key?: string): SourcePos {
    let node: unknown = this.doc.contents;
    let last: number = (node as Node | null)?.range?.[0] ?? 0;
    const segs = key === undefined ? path : [...path, key];
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const isKeyLookup = key !== undefined && i === segs.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as Node | null;
        const valueNode = pair.value as Node | null;
        if (isKeyLookup || !valueNode?.range) {
          last = keyNode?.range?.[0] ?? last;
          if (isKeyLookup) break;
          node = valueNode;
          if (!valueNode?.range) break;
          continue;
        }
        node = valueNode;
        last = valueNode.range[0];
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item?.range) break;
        node = item;
        last = item.range[0];
      } else break;
    }
    return this.offsetPos(last);
  }
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

/** Parses YAML keeping positions; syntax errors become diagnostics (all of them). */
export function parseYaml(rawText: string, file: string): ParsedYaml {
  const text = normalizeLineBreaks(rawText);
  const lines = new LineIndex(text);
  // logLevel 'error': yaml would otherwise print warnings (e.g. on collection keys) itself.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const pos = new YamlPositions(doc, lines, file);
  const errors: Diagnostic[] = doc.errors.map((e) => {
    // yaml reports a missing closing quote where the file ends; point at the opening quote.
    const start = e.code === 'MISSING_CHAR' && /quote/i.test(e.message) ? unclosedQuoteStart(doc, e.pos[0]) : undefined;
    const lp = lines.linePos(start ?? e.pos[0]);
    const first = e.message.split('\n')[0] ?? e.message;
    // A stack overflow while parsing means absurdly deep nesting, not a bug in the user's syntax.
    const why = /call stack/i.test(first)
      ? 'nesting is too deep'
      : e.code === 'MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document; remove the "---" line and what follows it'
        : first.replace(/ at line \d+, column \d+:?$/, '');
    return { file, line: lp.line, col: lp.col, message: `YAML syntax: ${why}` };
  });
  if (errors.length) return { doc, value: undefined, errors, pos };
  try {
    return { doc, value: doc.toJS({ maxAliasCount: 100 }), errors, pos };
  } catch (e) {
    // toJS throws on aliases: an unresolved one, or so many that expanding them is a memory bomb.
    const message = String((e as Error)?.message ?? e);
    // yaml's message ends with the alias name: "Unresolved alias (…): name".
    const unresolved = /Unresolved alias/.test(message) ? message.slice(message.lastIndexOf(': ') + 2) : undefined;
    const lp = lines.linePos(firstAlias(doc, unresolved) ?? 0);
    const why =
      unresolved !== undefined
        ? `alias *${unresolved} has no anchor &${unresolved} before it`
        : /Excessive alias count/.test(message)
          ? 'aliases (*name) expand to too much data; repeat the values instead of nesting aliases'
          : message.split('\n')[0];
    return { doc, value: undefined, errors: [{ file, line: lp.line, col: lp.col, message: `YAML: ${why}` }], pos };
  }
}

/** Offset of the first alias node (named `name`, when given). */
function firstAlias(doc: Document.Parsed, name?: string): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_k, n) {
      if (found === undefined && isAlias(n) && (name === undefined || n.source === name) && n.range) found = n.range[0];
    },
  });
  return found;
}

function unclosedQuoteStart(doc: Document.Parsed, errorOffset: number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_k, n) {
      const r = n.range;
      if (r && (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && r[0] < errorOffset && r[1] >= errorOffset) found = r[0];
    },
  });
  return found;
}
