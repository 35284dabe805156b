/** Maps a path inside a parsed YAML document back to file:line:col. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../errors.ts';
import type { SourcePos } from './types.ts';

export type Path = ReadonlyArray<string | number>;

export interface ParsedYaml {
  doc: Document.Parsed;
  value: unknown;
  errors: Diagnostic[];
  pos: YamlPositions;
}

export class YamlPositions {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
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
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const pos = new YamlPositions(doc, lineCounter, file);
  const errors: Diagnostic[] = doc.errors.map((e) => {
    // yaml reports a missing closing quote where the file ends; point at the opening quote.
    const start = e.code === 'MISSING_CHAR' && /quote/i.test(e.message) ? unclosedQuoteStart(doc, e.pos[0]) : undefined;
    const lp = start !== undefined ? lineCounter.linePos(start) : (e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]));
    const first = e.message.split('\n')[0] ?? e.message;
    return { file, line: lp.line, col: lp.col, message: `YAML syntax: ${first.replace(/ at line \d+, column \d+:?$/, '')}` };
  });
  const value = errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { doc, value, errors, pos };
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
