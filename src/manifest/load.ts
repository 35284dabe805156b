/**
 * loadManifest: the only I/O in the manifest layer. Reads the YAML (or CSV) manifest and the
 * files it names, validates structure with zod (positions kept), then normalizes via expand.ts.
 * Every problem found is collected and thrown at once as one InputError.
 */
import { statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { InputError, type Diagnostic } from '../errors.ts';
import { PROVIDER_NAMES } from './protocols.ts';
import type { Manifest, ProviderSettings, SourcePos } from './types.ts';
import { fromSchema, manifestTopSchema, shotSchema } from './schema.ts';
import { issuesToDiagnostics } from './issues.ts';
import { parseYaml, type Path, type YamlPositions } from './positions.ts';
import { expandShot, type ExpandContext, type MatrixDim, type RawShot, type ShotInput } from './expand.ts';
import { parseShotsCsv, unusedColumns, type VarColumn } from './csv.ts';
import { didYouMean } from './suggest.ts';
import { decodeUtf8 } from './text.ts';
import { toDims, unusedMatrixVars } from './matrix.ts';
import { checkPostStep, unknownShotRefs, type PostRefs } from './post.ts';
import { collapseDiagnostics } from './collapse.ts';
import { runNameFromFile, runNameProblem } from './name.ts';

export interface LoadOptions {
  /** Default provider/model (command line); they override the manifest's top-level ones. */
  provider?: string;
  model?: string;
}

/** Diagnostics beyond this many are summarized: the first ones are what the user fixes. */
const MAX_REPORTED = 200;

function fail(all: Diagnostic[]): InputError {
  const diags = collapseDiagnostics(all);
  if (diags.length <= MAX_REPORTED) return new InputError(diags);
  const last = diags[MAX_REPORTED - 1]!;
  return new InputError([...diags.slice(0, MAX_REPORTED), { ...last, message: `… and ${diags.length - MAX_REPORTED} more problem(s)` }]);
}

/** Used when neither the shot, the matrix nor `defaults` says otherwise. */
const BUILTIN_DEFAULTS: ShotInput = { seconds: 8, aspect: '16:9', resolution: '720p', takes: 1 };

type Doc = z.infer<typeof manifestTopSchema>;

export async function loadManifest(path: string, opts: LoadOptions = {}): Promise<Manifest> {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(abs);
  } catch (e) {
    throw new InputError([{ file: path, line: 1, col: 1, message: `cannot read manifest: ${(e as Error).message}` }]);
  }
  const decoded = decodeUtf8(bytes, path, 'the manifest');
  if ('diagnostic' in decoded) throw new InputError([decoded.diagnostic]);
  const text = decoded.text;
  if (extname(path).toLowerCase() === '.csv') return loadCsvManifest(path, abs, text, opts);

  const parsed = parseYaml(text, path);
  if (parsed.errors.length) throw new InputError(parsed.errors);
  const { pos, value } = parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError([{ file: path, line: 1, col: 1, message: 'manifest must be a YAML map with at least "shots:"' }]);
  }
  // Every independent check runs even when another part is broken: a schema error in one shot
  // must not hide a typo in the next. Only what depends on a broken part is skipped.
  const diags: Diagnostic[] = [];
  const { doc, broken } = checkTop(value, pos, diags);
  const checked = (doc.shots ?? []).map((item, i) => checkShotItem(item, i, pos, diags));
  const refs: PostRefs = { fields: [], shots: [] };
  const post = (doc.post ?? []).map((p, i) => checkPostStep(p, i, pos, diags, refs));
  const before = diags.length;
  const globalMatrix = doc.matrix ? toDims(doc.matrix, ['matrix'], pos, diags) : [];
  if (diags.length !== before) broken.add('matrix');
  const manifestDir = dirname(abs);
  const displayDir = dirname(path);
  checkTopLevel(doc, pos, diags);
  const catalogFiles = checkCatalogFiles(doc, manifestDir, pos, diags);
  let name = runNameFromFile(basename(path, extname(path)));
  if (doc.name !== undefined) {
    name = doc.name.normalize('NFC');
    const problem = runNameProblem(name);
    if (problem) diags.push({ ...pos.at(['name']), message: `name: ${problem}` });
  }

  const defaults: ShotInput = { ...BUILTIN_DEFAULTS, ...normalizeInput(doc.defaults ?? {}) };
  if (doc.provider !== undefined) defaults.provider = doc.provider;
  if (doc.model !== undefined) defaults.model = doc.model;
  if (opts.provider !== undefined) defaults.provider = opts.provider;
  if (opts.model !== undefined) defaults.model = opts.model;

  const ctx = newContext(defaults, globalMatrix, manifestDir, diags);
  ctx.defaultSources = {};
  for (const f of Object.keys(doc.defaults ?? {})) ctx.defaultSources[f] = pos.at(['defaults', f]);
  for (const f of ['provider', 'model'] as const) if (doc[f] !== undefined) ctx.defaultSources[f] = pos.at([f]);
  // Shots depend on the defaults and the matrix: with those broken, expanding would only echo it.
  const expandable = !['provider', 'model', 'defaults', 'matrix', 'shots'].some((k) => broken.has(k));
  /** Every shot is known (for checks that compare against all of them, like stitch order). */
  let complete = expandable;
  const columns: VarColumn[] = [];
  for (let i = 0; expandable && i < checked.length; i++) {
    const item = checked[i]!;
    if (!item.ok) {
      if (item.kind === 'from') complete = false;
      if (item.id !== undefined) ctx.ids.set(item.id, pos.at(['shots', i]));
      continue;
    }
    if (item.kind === 'shot') {
      expandShot(yamlRawShot(item.value, i, pos), ctx);
      continue;
    }
    const from = item.value.from;
    const csvAbs = isAbsolute(from) ? from : join(manifestDir, from);
    const csvDisplay = isAbsolute(from) ? from : join(displayDir, from);
    const csvText = await readCsv(csvAbs, csvDisplay, from, pos.at(['shots', i, 'from']), i, diags);
    if (csvText === undefined) {
      complete = false;
      continue;
    }
    const { from: _f, matrix, ...group } = item.value;
    const groupMatrix = matrix ? toDims(matrix, ['shots', i, 'matrix'], pos, diags) : [];
    const groupInput = normalizeInput(group);
    const groupPos = (f: string) => pos.at(['shots', i, f]);
    const rowsBefore = diags.length;
    const own: VarColumn[] = [];
    parseShotsCsv(
      csvText,
      csvDisplay,
      (row) => {
        row.group = groupInput;
        row.groupPos = groupPos;
        row.matrix = groupMatrix;
        expandShot(row, ctx);
      },
      diags,
      groupInput.prompt !== undefined || defaults.prompt !== undefined,
      own,
    );
    // Rows with errors were not templated: their placeholders are unknown, not unused.
    if (diags.length === rowsBefore) columns.push(...own);
    else complete = false;
  }
  // Past the job limit shots were not templated: their placeholders are unknown, not unused.
  if (expandable && !ctx.tooManyJobs) {
    diags.push(...unusedMatrixVars(globalMatrix, ctx.usedPlaceholders));
    const used = new Set([...ctx.usedPlaceholders, ...refs.fields.map((r) => r.name)]);
    diags.push(...unusedColumns(columns, used));
  }
  if (complete && !ctx.tooManyJobs) {
    const ids = new Set([...ctx.ids.keys(), ...ctx.out.map((s) => s.id)]);
    diags.push(...unknownShotRefs(refs.shots, ids, [...ctx.ids.keys()]));
  }
  if (!diags.length && ctx.out.length === 0)
    diags.push({ ...pos.at(['shots']), message: 'shots: the manifest has no shots (its CSV files have no rows)' });
  if (diags.length) throw fail(diags);

  const manifest: Manifest = {
    file: abs,
    name,
    shots: ctx.out,
    budget: doc.budget ?? {},
    providers: (doc.providers ?? {}) as Record<string, ProviderSettings>,
    post,
    pricing: doc.pricing ?? [],
    catalogFiles,
  };
  if (doc.budget?.max_usd !== undefined) manifest.budgetSource = pos.at(['budget', 'max_usd']);
  if (doc.output) {
    manifest.output = doc.output;
    if (doc.output.name !== undefined) manifest.outputSource = pos.at(['output', 'name']);
  }
  if (refs.fields.length > 0) manifest.postFieldRefs = refs.fields;
  return manifest;
}

/**
 * The top level, field by field: a field with a problem is reported and left out (and named in
 * `broken`), the others are kept typed, so the rest of the checks can still run.
 */
function checkTop(value: object, pos: YamlPositions, diags: Diagnostic[]): { doc: Partial<Doc>; broken: Set<string> } {
  const top = manifestTopSchema.safeParse(value);
  if (top.success) return { doc: top.data, broken: new Set() };
  diags.push(...issuesToDiagnostics(top.error.issues, value, [], manifestTopSchema, pos));
  const broken = new Set<string>();
  for (const issue of top.error.issues) if (issue.path.length > 0) broken.add(String(issue.path[0]));
  const known = Object.keys(manifestTopSchema.shape);
  const kept = Object.fromEntries(Object.entries(value).filter(([k]) => known.includes(k) && !broken.has(k)));
  const partial = manifestTopSchema.partial().safeParse(kept);
  if (partial.success) return { doc: partial.data, broken };
  for (const k of known) broken.add(k);
  return { doc: {}, broken };
}

async function readCsv(
  csvAbs: string,
  csvDisplay: string,
  from: string,
  at: SourcePos,
  i: number,
  diags: Diagnostic[],
): Promise<string | undefined> {
  try {
    const decoded = decodeUtf8(await readFile(csvAbs), csvDisplay, 'the CSV file');
    if ('diagnostic' in decoded) {
      diags.push(decoded.diagnostic);
      return undefined;
    }
    return decoded.text;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EISDIR'
        ? 'is a directory, not a CSV file'
        : code === 'ENOENT'
          ? 'CSV file not found'
          : `cannot read the CSV file (${(e as Error).message})`;
    diags.push({ ...at, message: `shots[${i}].from: ${why}: ${from}` });
    return undefined;
  }
}

function checkCatalogFiles(doc: Partial<Doc>, manifestDir: string, pos: YamlPositions, diags: Diagnostic[]): string[] {
  const catalogFiles: string[] = [];
  if (doc.catalog === undefined) return catalogFiles;
  const list = Array.isArray(doc.catalog) ? doc.catalog : [doc.catalog];
  list.forEach((c, i) => {
    const p = isAbsolute(c) ? c : join(manifestDir, c);
    const st = statFile(p);
    const at = pos.at(Array.isArray(doc.catalog) ? ['catalog', i] : ['catalog']);
    if (!st) diags.push({ ...at, message: `catalog file not found: ${c}` });
    else if (!st.isFile()) diags.push({ ...at, message: `catalog: ${c} is not a file` });
    catalogFiles.push(p);
  });
  return catalogFiles;
}

async function loadCsvManifest(path: string, abs: string, text: string, opts: LoadOptions): Promise<Manifest> {
  const diags: Diagnostic[] = [];
  const defaults: ShotInput = { ...BUILTIN_DEFAULTS };
  if (opts.provider !== undefined) defaults.provider = opts.provider;
  if (opts.model !== undefined) defaults.model = opts.model;
  const ctx = newContext(defaults, [], dirname(abs), diags);
  const columns: VarColumn[] = [];
  parseShotsCsv(text, path, (row) => expandShot(row, ctx), diags, false, columns);
  if (!diags.length && !ctx.tooManyJobs) diags.push(...unusedColumns(columns, ctx.usedPlaceholders));
  // Line 2 is where the first row belongs, unless the file is a single line.
  if (!diags.length && ctx.out.length === 0)
    diags.push({ file: path, line: /[\r\n]/.test(text) ? 2 : 1, col: 1, message: 'CSV has a header but no rows' });
  if (diags.length) throw fail(diags);
  return {
    file: abs,
    name: runNameFromFile(basename(path, extname(path))),
    shots: ctx.out,
    budget: {},
    providers: {},
    post: [],
    pricing: [],
    catalogFiles: [],
  };
}

function newContext(defaults: ShotInput, globalMatrix: MatrixDim[], manifestDir: string, diagnostics: Diagnostic[]): ExpandContext {
  const exists = new Map<string, boolean>();
  return {
    defaults,
    globalMatrix,
    manifestDir,
    diagnostics,
    fileExists: (p) => {
      let e = exists.get(p);
      // A directory is not an image: it would only fail at upload time, mid-run.
      if (e === undefined) exists.set(p, (e = statFile(p)?.isFile() ?? false));
      return e;
    },
    usedPlaceholders: new Set(),
    ids: new Map(),
    groupBases: new Map(),
    out: [],
  };
}

/** stat that never throws: a path with a NUL byte (or any other oddity) is simply not there. */
function statFile(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

type CheckedItem =
  | { kind: 'shot'; ok: true; value: z.infer<typeof shotSchema> }
  | { kind: 'from'; ok: true; value: z.infer<typeof fromSchema> }
  /** Refused by the schema: skipped, but its id still counts as taken. */
  | { kind: 'shot' | 'from'; ok: false; id?: string };

function checkShotItem(item: unknown, i: number, pos: YamlPositions, diags: Diagnostic[]): CheckedItem {
  const base: Path = ['shots', i];
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    diags.push({ ...pos.at(base), message: `shots[${i}]: expected a map with "prompt:" (or "from: file.csv")` });
    return { kind: 'shot', ok: false };
  }
  const isFrom = 'from' in item;
  const schema = isFrom ? fromSchema : shotSchema;
  const r = schema.safeParse(item);
  if (!r.success) {
    diags.push(...issuesToDiagnostics(r.error.issues, item, base, schema, pos));
    const id: unknown = Reflect.get(item, 'id');
    return { kind: isFrom ? 'from' : 'shot', ok: false, id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined };
  }
  if (!isFrom && r.data.matrix) {
    const before = diags.length;
    toDims(r.data.matrix, [...base, 'matrix'], pos, diags);
    const id: unknown = Reflect.get(r.data, 'id');
    if (diags.length !== before)
      return { kind: 'shot', ok: false, id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined };
  }
  return (isFrom ? { kind: 'from', ok: true, value: r.data } : { kind: 'shot', ok: true, value: r.data }) as CheckedItem;
}

function checkTopLevel(doc: Partial<Doc>, pos: YamlPositions, diags: Diagnostic[]): void {
  for (const name of Object.keys(doc.providers ?? {})) {
    // A name of the user's own is an instance when it says which protocol it speaks.
    if (!(PROVIDER_NAMES as readonly string[]).includes(name) && doc.providers?.[name]?.protocol === undefined) {
      diags.push({
        ...pos.at(['providers'], name),
        message: `providers: unknown provider "${name}"${didYouMean(name, PROVIDER_NAMES)} (one of ${PROVIDER_NAMES.join(', ')})`,
      });
    }
  }
  (doc.pricing ?? []).forEach((p, i) => {
    if ((p.usd_per_second === undefined) === (p.usd_per_clip === undefined)) {
      diags.push({ ...pos.at(['pricing', i]), message: `pricing[${i}]: give exactly one of usd_per_second or usd_per_clip` });
    }
  });
}

function normalizeInput(v: Record<string, unknown>): ShotInput {
  const out = { ...v } as ShotInput & { id?: unknown };
  if (v.vars) out.vars = Object.fromEntries(Object.entries(v.vars as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  return out;
}

function yamlRawShot(value: z.infer<typeof shotSchema>, i: number, pos: YamlPositions): RawShot {
  const { id, matrix, ...fields } = value;
  const base: Path = ['shots', i];
  const raw: RawShot = {
    defaultId: `shot-${i + 1}`,
    fields: normalizeInput(fields),
    matrix: matrix ? toDims(matrix, [...base, 'matrix'], pos, []) : [],
    pos: (f) => pos.at(f === undefined ? base : [...base, f]),
    trackFields: true,
  };
  if (id !== undefined) raw.id = String(id);
  return raw;
}
