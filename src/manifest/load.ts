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
import { PROVIDER_NAMES } from '../providers/types.ts';
import type { Manifest, PostFieldRef, PostStep, ProviderSettings } from './types.ts';
import {
  fromSchema,
  manifestTopSchema,
  POST_KINDS,
  postStepSchemas,
  shotFieldSchemas,
  shotSchema,
  type PostKind,
  type ShotFieldName,
} from './schema.ts';
import { issuesToDiagnostics } from './issues.ts';
import { parseYaml, type Path, type YamlPositions } from './positions.ts';
import { expandShot, isShotField, type ExpandContext, type MatrixDim, type RawShot, type ShotInput } from './expand.ts';
import { parseShotsCsv } from './csv.ts';
import { didYouMean } from './suggest.ts';
import { decodeUtf8 } from './text.ts';

export interface LoadOptions {
  /** Default provider/model (command line); they override the manifest's top-level ones. */
  provider?: string;
  model?: string;
}

/** Diagnostics beyond this many are summarized: the first ones are what the user fixes. */
const MAX_REPORTED = 200;

function fail(diags: Diagnostic[]): InputError {
  if (diags.length <= MAX_REPORTED) return new InputError(diags);
  const last = diags[MAX_REPORTED - 1]!;
  return new InputError([...diags.slice(0, MAX_REPORTED), { ...last, message: `… and ${diags.length - MAX_REPORTED} more problem(s)` }]);
}

/** Used when neither the shot, the matrix nor `defaults` says otherwise. */
const BUILTIN_DEFAULTS: ShotInput = { seconds: 8, aspect: '16:9', resolution: '720p', takes: 1 };
const MATRIX_FORBIDDEN = new Set(['id', 'vars', 'params', 'matrix', 'from']);

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
  const diags: Diagnostic[] = [];
  const top = manifestTopSchema.safeParse(value);
  if (!top.success) diags.push(...issuesToDiagnostics(top.error.issues, value, [], manifestTopSchema, pos));
  const doc = (top.success ? top.data : value) as Doc;

  const shotItems = Array.isArray(doc.shots) ? doc.shots : [];
  const checked = shotItems.map((item, i) => checkShotItem(item, i, pos, diags));
  const postFieldRefs: PostFieldRef[] = [];
  const post = Array.isArray(doc.post) ? doc.post.map((p, i) => checkPostStep(p, i, pos, diags, postFieldRefs)) : [];
  const globalMatrix = top.success && doc.matrix ? toDims(doc.matrix, ['matrix'], pos, diags) : [];
  const manifestDir = dirname(abs);
  const displayDir = dirname(path);
  if (top.success) checkTopLevel(doc, pos, diags);

  const catalogFiles: string[] = [];
  if (top.success && doc.catalog !== undefined) {
    const list = Array.isArray(doc.catalog) ? doc.catalog : [doc.catalog];
    list.forEach((c, i) => {
      const p = isAbsolute(c) ? c : join(manifestDir, c);
      const st = statFile(p);
      const at = pos.at(Array.isArray(doc.catalog) ? ['catalog', i] : ['catalog']);
      if (!st) diags.push({ ...at, message: `catalog file not found: ${c}` });
      else if (!st.isFile()) diags.push({ ...at, message: `catalog: ${c} is not a file` });
      catalogFiles.push(p);
    });
  }
  if (diags.length) throw fail(diags);

  const defaults: ShotInput = { ...BUILTIN_DEFAULTS, ...normalizeInput(doc.defaults ?? {}) };
  if (doc.provider !== undefined) defaults.provider = doc.provider;
  if (doc.model !== undefined) defaults.model = doc.model;
  if (opts.provider !== undefined) defaults.provider = opts.provider;
  if (opts.model !== undefined) defaults.model = opts.model;

  const ctx = newContext(defaults, globalMatrix, manifestDir, diags);
  ctx.defaultSources = {};
  for (const f of Object.keys(doc.defaults ?? {})) ctx.defaultSources[f] = pos.at(['defaults', f]);
  for (const f of ['provider', 'model'] as const) if (doc[f] !== undefined) ctx.defaultSources[f] = pos.at([f]);
  for (let i = 0; i < checked.length; i++) {
    const item = checked[i]!;
    if (item.kind === 'shot') {
      expandShot(yamlRawShot(item.value, i, pos), ctx);
      continue;
    }
    const from = item.value.from;
    const csvAbs = isAbsolute(from) ? from : join(manifestDir, from);
    const csvDisplay = isAbsolute(from) ? from : join(displayDir, from);
    let csvText: string;
    try {
      const decoded = decodeUtf8(await readFile(csvAbs), csvDisplay, 'the CSV file');
      if ('diagnostic' in decoded) {
        diags.push(decoded.diagnostic);
        continue;
      }
      csvText = decoded.text;
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory, not a CSV file' : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'CSV file not found' : `cannot read the CSV file (${(e as Error).message})`;
      diags.push({ ...pos.at(['shots', i, 'from']), message: `shots[${i}].from: ${why}: ${from}` });
      continue;
    }
    const { from: _f, matrix, ...group } = item.value;
    const groupMatrix = matrix ? toDims(matrix, ['shots', i, 'matrix'], pos, diags) : [];
    const groupInput = normalizeInput(group);
    parseShotsCsv(
      csvText,
      csvDisplay,
      (row) => {
        row.group = groupInput;
        row.matrix = groupMatrix;
        expandShot(row, ctx);
      },
      diags,
      groupInput.prompt !== undefined || defaults.prompt !== undefined,
    );
  }
  checkMatrixVarsUsed(globalMatrix, ctx);
  if (!diags.length && ctx.out.length === 0) diags.push({ ...pos.at(['shots']), message: 'shots: the manifest has no shots (its CSV files have no rows)' });
  if (diags.length) throw fail(diags);

  const manifest: Manifest = {
    file: abs,
    name: doc.name ?? basename(path, extname(path)).replace(/[^\w.-]+/g, '-'),
    shots: ctx.out,
    budget: doc.budget ?? {},
    providers: (doc.providers ?? {}) as Record<string, ProviderSettings>,
    post,
    pricing: doc.pricing ?? [],
    catalogFiles,
  };
  if (doc.budget?.max_usd !== undefined) manifest.budgetSource = pos.at(['budget', 'max_usd']);
  if (postFieldRefs.length > 0) manifest.postFieldRefs = postFieldRefs;
  return manifest;
}

async function loadCsvManifest(path: string, abs: string, text: string, opts: LoadOptions): Promise<Manifest> {
  const diags: Diagnostic[] = [];
  const defaults: ShotInput = { ...BUILTIN_DEFAULTS };
  if (opts.provider !== undefined) defaults.provider = opts.provider;
  if (opts.model !== undefined) defaults.model = opts.model;
  const ctx = newContext(defaults, [], dirname(abs), diags);
  parseShotsCsv(text, path, (row) => expandShot(row, ctx), diags);
  // Line 2 is where the first row belongs, unless the file is a single line.
  if (!diags.length && ctx.out.length === 0) diags.push({ file: path, line: /[\r\n]/.test(text) ? 2 : 1, col: 1, message: 'CSV has a header but no rows' });
  if (diags.length) throw fail(diags);
  return {
    file: abs,
    name: basename(path, extname(path)).replace(/[^\w.-]+/g, '-'),
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
  | { kind: 'shot'; value: z.infer<typeof shotSchema> }
  | { kind: 'from'; value: z.infer<typeof fromSchema> };

function checkShotItem(item: unknown, i: number, pos: YamlPositions, diags: Diagnostic[]): CheckedItem {
  const base: Path = ['shots', i];
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    diags.push({ ...pos.at(base), message: `shots[${i}]: expected a map with "prompt:" (or "from: file.csv")` });
    return { kind: 'shot', value: {} };
  }
  const isFrom = 'from' in item;
  const schema = isFrom ? fromSchema : shotSchema;
  const r = schema.safeParse(item);
  if (!r.success) diags.push(...issuesToDiagnostics(r.error.issues, item, base, schema, pos));
  else if (!isFrom && r.data.matrix) toDims(r.data.matrix, [...base, 'matrix'], pos, diags);
  return (isFrom ? { kind: 'from', value: r.success ? r.data : item } : { kind: 'shot', value: r.success ? r.data : item }) as CheckedItem;
}

function checkPostStep(item: unknown, i: number, pos: YamlPositions, diags: Diagnostic[], refs: PostFieldRef[]): PostStep {
  const base: Path = ['post', i];
  const entry: [string, unknown] | undefined =
    typeof item === 'string' ? [item, null] :
    item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1 ? Object.entries(item)[0] : undefined;
  if (!entry) {
    diags.push({ ...pos.at(base), message: `post[${i}]: expected a single-key map such as "- stitch: {group_by: aspect}" (${POST_KINDS.join(', ')})` });
    return { kind: 'stitch' };
  }
  const [kind, body] = entry;
  if (!(POST_KINDS as string[]).includes(kind)) {
    diags.push({ ...pos.at(base, typeof item === 'string' ? undefined : kind), message: `post[${i}]: unknown post-step "${kind}"${didYouMean(kind, POST_KINDS)} (one of ${POST_KINDS.join(', ')})` });
    return { kind: 'stitch' };
  }
  const schema = postStepSchemas[kind as PostKind];
  const r = schema.safeParse(body);
  if (!r.success) {
    diags.push(...issuesToDiagnostics(r.error.issues, body, [...base, kind], schema, pos));
    return { kind: 'stitch' };
  }
  collectFieldRefs(r.data, [...base, kind], pos, refs);
  return { kind, ...(r.data ?? {}) } as PostStep;
}

/** Keys of a post-step whose values name job fields ("a, b" strings or lists), by nesting. */
const FIELD_KEYS: Record<string, true | Record<string, true>> = {
  group_by: true,
  order_by: true,
  label: true,
  select: { field: true },
  sheet: { group_by: true },
};

function collectFieldRefs(body: unknown, path: Path, pos: YamlPositions, refs: PostFieldRef[], keys = FIELD_KEYS): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const spec = keys[key];
    if (!spec) continue;
    const at = [...path, key];
    if (spec !== true) {
      collectFieldRefs(value, at, pos, refs, spec);
      continue;
    }
    const items: Array<[unknown, Path]> = Array.isArray(value) ? value.map((v, j) => [v, [...at, j]]) : [[value, at]];
    for (const [v, p] of items) {
      if (typeof v !== 'string') continue;
      for (const name of v.split(',').map((n) => n.trim()).filter(Boolean)) {
        refs.push({ name, where: p.map((seg, n) => (typeof seg === 'number' ? `[${seg}]` : n ? `.${seg}` : seg)).join(''), source: pos.at(p) });
      }
    }
  }
}

function checkTopLevel(doc: Doc, pos: YamlPositions, diags: Diagnostic[]): void {
  for (const name of Object.keys(doc.providers ?? {})) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
      diags.push({ ...pos.at(['providers'], name), message: `providers: unknown provider "${name}"${didYouMean(name, PROVIDER_NAMES)} (one of ${PROVIDER_NAMES.join(', ')})` });
    }
  }
  (doc.pricing ?? []).forEach((p, i) => {
    if ((p.usd_per_second === undefined) === (p.usd_per_clip === undefined)) {
      diags.push({ ...pos.at(['pricing', i]), message: `pricing[${i}]: give exactly one of usd_per_second or usd_per_clip` });
    }
  });
}

/** Types matrix values against their field's schema; non-field keys are template variables. */
function toDims(matrix: Record<string, unknown[]>, base: Path, pos: YamlPositions, diags: Diagnostic[]): MatrixDim[] {
  const dims: MatrixDim[] = [];
  for (const [key, values] of Object.entries(matrix)) {
    if (MATRIX_FORBIDDEN.has(key)) {
      diags.push({ ...pos.at(base, key), message: `${base.join('.')}: "${key}" cannot be a matrix key` });
      continue;
    }
    const isField = isShotField(key);
    if (isField) {
      const schema = shotFieldSchemas[key as ShotFieldName];
      values.forEach((v, i) => {
        const r = schema.safeParse(v);
        if (!r.success) diags.push(...issuesToDiagnostics(r.error.issues, v, [...base, key, i], schema, pos));
      });
    }
    dims.push({ key, isField, values: values as MatrixDim['values'], pos: pos.at(base, key) });
  }
  return dims;
}

/** A top-level matrix key that is neither a field nor used by any prompt is almost surely a typo. */
function checkMatrixVarsUsed(dims: MatrixDim[], ctx: ExpandContext): void {
  // Shots past the job limit were never templated: their placeholders are unknown, not unused.
  if (ctx.tooManyJobs) return;
  for (const d of dims) {
    if (d.isField || ctx.usedPlaceholders.has(d.key)) continue;
    ctx.diagnostics.push({
      ...d.pos,
      message: `matrix: "${d.key}" is neither a shot field nor a {placeholder} in any prompt${didYouMean(d.key, Object.keys(shotFieldSchemas))}`,
    });
  }
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
