/**
 * CSV rows → RawShot, with a hand-written fast path per cell (no zod per row: 100k rows must load
 * in well under a second) while every diagnostic still carries the CSV's own line:col.
 */
import { parse } from 'csv-parse/sync';
import type { Diagnostic } from '../errors.ts';
import type { SourcePos } from './types.ts';
import { ASPECTS, RESOLUTIONS, TIERS } from './types.ts';
import type { RawShot, ShotInput } from './expand.ts';
import { closest } from './suggest.ts';
import { SHOT_FIELD_NAMES, type ShotFieldName } from './schema.ts';
import { normalizeLineBreaks } from './positions.ts';

/** Stop collecting after this many problems in one file: the first ones are what matter. */
const MAX_DIAGNOSTICS = 100;

type ColumnKind =
  | { kind: 'id' }
  | { kind: 'field'; name: keyof ShotInput; parse: (v: string) => unknown | typeof BAD; expect: string }
  | { kind: 'var'; name: string }
  | { kind: 'param'; name: string }
  | { kind: 'skip' };

const BAD = Symbol('bad');
const INT = /^[+-]?\d+$/;
const IMAGE_FITS = ['pad', 'crop'] as const;

function enumParser(values: readonly string[]): (v: string) => unknown {
  const set = new Set(values);
  return (v) => (set.has(v) ? v : BAD);
}
/** One parser per scalar shot field: typed by the zod field list, so a new field cannot be missed here. */
const parsers: Record<Exclude<ShotFieldName, 'vars' | 'params'>, { parse: (v: string) => unknown; expect: string }> = {
  prompt: { parse: (v) => v, expect: 'text' },
  seconds: { parse: (v) => (INT.test(v) && Number(v) > 0 ? Number(v) : BAD), expect: 'a positive integer' },
  aspect: { parse: enumParser(ASPECTS), expect: `one of ${ASPECTS.join(', ')}` },
  resolution: { parse: enumParser(RESOLUTIONS), expect: `one of ${RESOLUTIONS.join(', ')}` },
  tier: { parse: enumParser(TIERS), expect: `one of ${TIERS.join(', ')}` },
  image: { parse: (v) => v, expect: 'a path or URL' },
  image_fit: { parse: enumParser(IMAGE_FITS), expect: `one of ${IMAGE_FITS.join(', ')}` },
  seed: { parse: (v) => (INT.test(v) ? Number(v) : BAD), expect: 'an integer' },
  negative_prompt: { parse: (v) => v, expect: 'text' },
  guidance: { parse: (v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : BAD), expect: 'a number' },
  provider: { parse: (v) => v, expect: 'a provider name' },
  model: { parse: (v) => v, expect: 'a model id' },
  takes: { parse: (v) => (INT.test(v) && Number(v) >= 1 && Number(v) <= 1000 ? Number(v) : BAD), expect: 'an integer from 1 to 1000' },
};

/** Lookup by column name (a Map: "constructor" or "__proto__" are not fields). */
const PARSERS = new Map<string, { parse: (v: string) => unknown; expect: string }>(Object.entries(parsers));

/** Offsets of line starts, built only when a diagnostic needs a column. */
class CsvLocator {
  private starts: number[] | undefined;
  constructor(
    private readonly text: string,
    readonly file: string,
  ) {}
  private lineStarts(): number[] {
    if (!this.starts) {
      const s = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) s.push(i + 1);
      this.starts = s;
    }
    return this.starts;
  }
  lineCount(): number {
    return this.lineStarts().length;
  }
  at(off: number): SourcePos {
    return this.posOfOffset(off);
  }
  private posOfOffset(off: number): SourcePos {
    const starts = this.lineStarts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, col: off - starts[lo]! + 1 };
  }
  /** line:col of cell `index` of the record starting at `line`, quote-aware. */
  cell(line: number, index: number): SourcePos {
    const starts = this.lineStarts();
    let off = starts[line - 1] ?? 0;
    let field = 0;
    let inQuotes = false;
    const t = this.text;
    while (field < index && off < t.length) {
      const c = t[off];
      if (inQuotes) {
        if (c === '"') {
          if (t[off + 1] === '"') off++;
          else inQuotes = false;
        }
      } else if (c === '"') inQuotes = true;
      else if (c === ',') field++;
      else if (c === '\n' || c === '\r') break;
      off++;
    }
    return this.posOfOffset(off);
  }
}

/** A column that is not a shot field: a template variable, which some template must use. */
export interface VarColumn {
  name: string;
  pos: SourcePos;
}

function classifyHeader(header: string[], loc: CsvLocator, diags: Diagnostic[], implicit: VarColumn[]): ColumnKind[] {
  const seen = new Set<string>();
  return header.map((rawName, j) => {
    const name = rawName.trim();
    const at = () => loc.cell(1, j);
    if (seen.has(name)) diags.push({ ...at(), message: `duplicate column "${name}"` });
    seen.add(name);
    if (name === '') return { kind: 'skip' };
    if (name === 'id') return { kind: 'id' };
    if (name.startsWith('vars.')) return { kind: 'var', name: name.slice(5) };
    if (name.startsWith('params.')) return { kind: 'param', name: name.slice(7) };
    // Own keys only: a column named "constructor" or "__proto__" is a template variable, not a field.
    const p = PARSERS.get(name);
    if (p) return { kind: 'field', name: name as keyof ShotInput, ...p };
    if (name === 'vars' || name === 'params' || name === 'matrix') {
      diags.push({
        ...at(),
        message: `column "${name}" is not supported in CSV (use "${name === 'matrix' ? 'matrix: in the YAML' : name + '.<key>'}" columns)`,
      });
      return { kind: 'skip' };
    }
    // Unknown columns are template variables, but a near-miss of a field name is almost always a typo.
    const near = name.length >= 5 ? closest(name, SHOT_FIELD_NAMES, { abbreviations: false }) : undefined;
    if (near) {
      diags.push({
        ...at(),
        message: `unknown column "${name}" (did you mean "${near}"? name it "vars.${name}" to use it as a template variable)`,
      });
      return { kind: 'skip' };
    }
    implicit.push({ name, pos: at() });
    return { kind: 'var', name };
  });
}

const EMPTY_RECORD: string[] = [];

/** Offset of the quote that opens a field never closed (quotes toggle; "" inside a field toggles twice). */
function unclosedQuote(text: string): number | undefined {
  let open: number | undefined;
  for (let q = text.indexOf('"'); q !== -1; q = text.indexOf('"', q + 1)) open = open === undefined ? q : undefined;
  return open;
}

/**
 * 1-based start line of each record csv-parse will return, for a file it parsed without error:
 * newlines inside quotes do not end a record, and empty lines are skipped (skip_empty_lines).
 */
export function recordStartLines(text: string, count: number): Int32Array {
  const out = new Int32Array(count);
  const len = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let n = 0;
  // Line by line with indexOf (native scans); quotes are counted only on lines that have one.
  while (n < count && pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = len;
    const empty = nl === pos || (nl === pos + 1 && text.charCodeAt(pos) === 13);
    if (!empty) {
      out[n++] = line;
      // Follow the record across newlines inside quotes.
      let inQuotes = false;
      for (;;) {
        for (let q = text.indexOf('"', pos); q !== -1 && q < nl; q = text.indexOf('"', q + 1)) inQuotes = !inQuotes;
        if (!inQuotes || nl >= len) break;
        pos = nl + 1;
        line++;
        nl = text.indexOf('\n', pos);
        if (nl === -1) nl = len;
      }
    }
    pos = nl + 1;
    line++;
  }
  return out;
}

/** A CSV row's shot; positions are computed only when a diagnostic needs them. */
class CsvRawShot implements RawShot {
  id?: string;
  matrix: RawShot['matrix'] = [];
  group?: RawShot['group'];
  constructor(
    readonly defaultId: string,
    readonly fields: ShotInput,
    readonly line: number,
    private readonly loc: CsvLocator,
    private readonly header: readonly string[],
  ) {}
  pos(field?: string): SourcePos {
    if (field === undefined) return { file: this.loc.file, line: this.line, col: 1 };
    const j = this.header.indexOf(field);
    return j < 0 ? { file: this.loc.file, line: this.line, col: 1 } : this.loc.cell(this.line, j);
  }
}

/**
 * Parses a shots CSV and hands each valid row to `onRow`, releasing each parsed record as soon as
 * it is converted (keeps peak memory low on 100k-row files). Diagnostics go to `diagnostics`.
 */
export function parseShotsCsv(
  text: string,
  file: string,
  onRow: (row: RawShot) => void,
  diagnostics: Diagnostic[] = [],
  /** True when the `from:` item or `defaults` give a prompt (template) for rows without one. */
  promptOptional = false,
  /** Receives the columns that are template variables without a `vars.` prefix. */
  varColumns: VarColumn[] = [],
): Diagnostic[] {
  // Lone CRs (old Mac exports) become LFs so csv-parse, our line counting and editors agree.
  text = normalizeLineBreaks(text);
  const loc = new CsvLocator(text, file);
  let cols: ColumnKind[] | undefined;
  let header: string[] = [];
  let records: string[][];
  try {
    // No `info`: csv-parse's per-record info objects cost more than the rest of a row's work;
    // recordStartLines() finds the lines in one cheap pass instead.
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false, record_delimiter: ['\r\n', '\n'] }) as string[][];
  } catch (e) {
    const err = e as { code?: string; message: string; lines?: number; column?: number | string };
    // csv-parse counts lines its own way (CRLF inside quotes, the end of the file): clamp, and put
    // an unclosed quote where it opens, which is where the user has to look.
    const open = err.code === 'CSV_QUOTE_NOT_CLOSED' ? unclosedQuote(text) : undefined;
    const at = open !== undefined ? loc.at(open) : undefined;
    const line = at?.line ?? Math.max(1, Math.min(typeof err.lines === 'number' ? err.lines : 1, loc.lineCount()));
    const col = at?.col ?? (typeof err.column === 'number' ? loc.cell(line, err.column).col : 1);
    const why =
      err.code === 'CSV_INVALID_CLOSING_QUOTE' || err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'bad quoting (a field with quotes must be wrapped in "…" and inner quotes doubled as "")'
        : err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
          ? 'wrong number of fields for the header'
          : 'cannot parse';
    // csv-parse's own line numbers can disagree with ours (see above): the position says where.
    const detail = err.message.replace(/^[A-Z_]+: ?/, '').replace(/,? (?:on|at) line \d+/g, '');
    diagnostics.push({ file, line, col, message: `CSV ${why}: ${detail}` });
    return diagnostics;
  }
  const lines = recordStartLines(text, records.length);
  for (let r = 0; r < records.length; r++) {
    if (diagnostics.length >= MAX_DIAGNOSTICS) {
      diagnostics.push({ file, line: lines[r]!, col: 1, message: `stopped checking ${file} here after ${MAX_DIAGNOSTICS} problems` });
      break;
    }
    const record = records[r]!;
    const line = lines[r]!;
    if (!cols) {
      header = record.map((h) => h.trim());
      cols = classifyHeader(record, loc, diagnostics, varColumns);
      if (!promptOptional && !header.includes('prompt')) {
        // Every row would repeat this one problem: report it once.
        diagnostics.push({ file, line: 1, col: 1, message: 'CSV header has no "prompt" column (or give `prompt:` on the `from:` entry)' });
        return diagnostics;
      }
      continue;
    }
    records[r] = EMPTY_RECORD; // let the row's strings go once it is a shot
    const before = diagnostics.length;
    const shot = new CsvRawShot(`row-${r}`, {}, line, loc, header);
    parseRow(record, cols, shot, loc, diagnostics);
    if (diagnostics.length === before) onRow(shot);
  }
  if (!cols) diagnostics.push({ file, line: 1, col: 1, message: 'CSV is empty (expected a header row with at least "prompt")' });
  return diagnostics;
}

/** Fills `shot.fields` (and `shot.id`) from one record. */
function parseRow(record: string[], cols: ColumnKind[], shot: CsvRawShot, loc: CsvLocator, diagnostics: Diagnostic[]): void {
  const fields = shot.fields;
  const line = shot.line;
  let vars: Record<string, string> | undefined;
  let params: Record<string, unknown> | undefined;
  for (let j = 0; j < cols.length; j++) {
    const c = cols[j]!;
    const raw = record[j]!;
    switch (c.kind) {
      case 'skip':
        break;
      case 'id': {
        const v = raw.trim();
        if (v === '') break;
        if (/[@\s,=]/.test(v)) diagnostics.push({ ...loc.cell(line, j), message: `id "${v}" may not contain spaces, "@", "," or "="` });
        shot.id = v;
        break;
      }
      case 'var':
        (vars ??= {})[c.name] = raw;
        break;
      case 'param':
        if (raw !== '') (params ??= {})[c.name] = raw;
        break;
      case 'field': {
        const isText = c.name === 'prompt' || c.name === 'negative_prompt';
        const v = isText ? raw : raw.trim();
        // An empty prompt cell is kept so it is reported as empty, not as missing.
        if (v === '' && c.name !== 'prompt') break;
        const parsed = c.parse(v);
        if (parsed === BAD) {
          diagnostics.push({ ...loc.cell(line, j), message: `${c.name}: expected ${c.expect}, got "${v}"` });
          break;
        }
        (fields as Record<string, unknown>)[c.name] = parsed;
      }
    }
  }
  if (vars) fields.vars = vars;
  if (params) fields.params = params;
}

/**
 * Columns that are neither a shot field nor used by any template (nor named by a post-step):
 * a `secs` column meant as `seconds` would otherwise run every job at the default duration.
 */
export function unusedColumns(columns: readonly VarColumn[], used: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of columns) {
    if (used.has(c.name)) continue;
    const near = closest(c.name, SHOT_FIELD_NAMES);
    out.push({
      ...c.pos,
      message: `unknown column "${c.name}": not a shot field and no template uses {${c.name}} (${near ? `did you mean "${near}"? ` : ''}name it "vars.${c.name}" to keep it as a variable)`,
    });
  }
  return out;
}
