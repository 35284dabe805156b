/**
 * Normalization shared by YAML shots and CSV rows: defaults, matrix cross product, template
 * filling, image paths, ids. Inputs are already type-checked; this adds the cross-field rules.
 */
import { isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../errors.ts';
import type { Aspect, ImageFit, Resolution, Shot, SourcePos, Tier } from './types.ts';
import { SHOT_FIELD_NAMES } from './schema.ts';
import { fillTemplate } from './template.ts';
import { cross, dimKeys, isShotField, valueText, type MatrixDim } from './matrix.ts';
import { closest } from './suggest.ts';

export { isShotField, type MatrixDim, type Scalar } from './matrix.ts';

/** A shot's typed fields before defaults (every one optional). */
export interface ShotInput {
  prompt?: string;
  seconds?: number;
  aspect?: Aspect;
  resolution?: Resolution;
  tier?: Tier;
  image?: string;
  image_fit?: ImageFit;
  seed?: number;
  negative_prompt?: string;
  guidance?: number;
  provider?: string;
  model?: string;
  takes?: number;
  vars?: Record<string, string>;
  params?: Record<string, unknown>;
}

export interface RawShot {
  /** The id the user wrote, if any. */
  id?: string;
  /** `shot-N` / `row-N`. */
  defaultId: string;
  fields: ShotInput;
  /** Fields given by the enclosing `{from: …}` item (CSV rows); they pin like explicit fields. */
  group?: ShotInput;
  /** Where the enclosing `{from: …}` item wrote a field (its prompt template, for instance). */
  groupPos?: (field: string) => SourcePos;
  matrix: MatrixDim[];
  /** Position of a field (or of the shot when omitted). */
  pos: (field?: string) => SourcePos;
  /** Record where every checked field came from on the Shot (cheap for YAML shots; CSV rows skip it). */
  trackFields?: boolean;
}

/** Fields whose plan-time errors point at where the value was written. */
const TRACKED_FIELDS = [
  'provider',
  'model',
  'prompt',
  'seconds',
  'aspect',
  'resolution',
  'tier',
  'image',
  'seed',
  'negative_prompt',
  'guidance',
] as const;

function fieldSources(
  raw: RawShot,
  ctx: ExpandContext,
  dims: readonly MatrixDim[],
  combo: readonly number[],
): Partial<Record<string, SourcePos>> {
  const out: Partial<Record<string, SourcePos>> = {};
  for (const f of TRACKED_FIELDS) {
    const k = dims.findIndex((d) => dimKeys(d).includes(f));
    const d = dims[k];
    if (d) out[f] = d.paired ? (d.valuePos?.[combo[k] ?? 0] ?? d.pos) : d.pos;
    else if (raw.fields[f] !== undefined) out[f] = raw.pos(f);
    else if (raw.group?.[f] !== undefined) out[f] = raw.groupPos?.(f) ?? raw.pos();
    else if (ctx.defaultSources?.[f]) out[f] = ctx.defaultSources[f];
  }
  return out;
}

/** Where the template a shot uses for `field` (prompt, negative_prompt) was written. */
function templatePos(raw: RawShot, ctx: ExpandContext, field: 'prompt' | 'negative_prompt'): { pos: SourcePos; own: boolean } {
  if (raw.fields[field] !== undefined) return { pos: raw.pos(field), own: true };
  if (raw.group?.[field] !== undefined) return { pos: raw.groupPos?.(field) ?? raw.pos(), own: false };
  const d = ctx.defaultSources?.[field];
  return d ? { pos: d, own: false } : { pos: raw.pos(), own: true };
}

export interface ExpandContext {
  /** Built-in defaults ← manifest `defaults` ← top-level provider/model. */
  defaults: ShotInput;
  globalMatrix: MatrixDim[];
  manifestDir: string;
  fileExists: (absPath: string) => boolean;
  diagnostics: Diagnostic[];
  /** Template variables referenced anywhere (to flag unused matrix variables). */
  usedPlaceholders: Set<string>;
  /** baseId → where it was first defined. */
  ids: Map<string, SourcePos>;
  out: Shot[];
  /** `defaults` merged with each CSV group's fields (see baseFor). */
  groupBases: Map<ShotInput, ShotInput>;
  /** Where each `defaults`/top-level field was written (YAML manifests), for field-level positions. */
  defaultSources?: Partial<Record<string, SourcePos>>;
  /** Jobs (matrix combinations × takes) the shots so far expand to; checked against MAX_JOBS. */
  jobCount?: number;
  /** Set once MAX_JOBS was passed: the rest is not expanded (and not reported again). */
  tooManyJobs?: boolean;
}

/**
 * The most jobs one manifest may plan. A matrix cross product or `takes` can ask for billions;
 * refusing before expanding keeps memory bounded (100k jobs, the benchmarked size, take ~500 MB).
 */
export const MAX_JOBS = 200_000;

/** Counts the jobs a shot will expand to; false (with one diagnostic) when the manifest would pass MAX_JOBS. */
function withinJobLimit(raw: RawShot, dims: MatrixDim[], top: ShotInput, base: ShotInput, baseId: string, ctx: ExpandContext): boolean {
  if (ctx.tooManyJobs) return false;
  let combos = 1;
  let takes = top.takes ?? base.takes ?? 1;
  for (const d of dims) {
    combos *= d.values.length;
    for (const v of d.values) {
      const t = typeof v === 'object' ? v.takes : d.key === 'takes' ? v : undefined;
      if (typeof t === 'number' && t > takes) takes = t;
    }
  }
  const jobs = combos * takes;
  const total = (ctx.jobCount ?? 0) + jobs;
  if (total <= MAX_JOBS) {
    ctx.jobCount = total;
    return true;
  }
  ctx.tooManyJobs = true;
  const how = dims.length
    ? `${dims.map((d) => `${d.key} (${d.values.length})`).join(' × ')} = ${combos} matrix combination(s) × ${takes} take(s)`
    : `${takes} take(s)`;
  ctx.diagnostics.push({
    ...raw.pos(),
    message: `shot "${baseId}": expands to ${jobs} job(s) (${how}); the manifest would plan more than ${MAX_JOBS} jobs. Use fewer matrix values or takes, or split it into several manifests`,
  });
  return false;
}

function mergeInputs(a: ShotInput, b: ShotInput | undefined): ShotInput {
  if (!b) return a;
  const m: ShotInput = { ...a, ...b };
  // Copy nested maps only when both sides have one (100k CSV rows: avoid needless copies).
  if (a.vars && b.vars) m.vars = { ...a.vars, ...b.vars };
  if (a.params && b.params) m.params = { ...a.params, ...b.params };
  return m;
}

/** Shared empty maps for the common case; frozen so an accidental write fails loudly. */
const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** Defaults merged with a CSV group's fields, computed once per group rather than per row. */
function baseFor(ctx: ExpandContext, group: ShotInput | undefined): ShotInput {
  if (!group) return ctx.defaults;
  let b = ctx.groupBases.get(group);
  if (!b) ctx.groupBases.set(group, (b = mergeInputs(ctx.defaults, group)));
  return b;
}

/** Expands one raw shot into `ctx.out` (one Shot per matrix combination). */
export function expandShot(raw: RawShot, ctx: ExpandContext): void {
  const baseId = raw.id ?? raw.defaultId;
  const first = ctx.ids.get(baseId);
  if (first) {
    ctx.diagnostics.push({
      ...raw.pos(raw.id !== undefined ? 'id' : undefined),
      message: `duplicate shot id "${baseId}" (first defined at ${first.file}:${first.line}:${first.col})`,
    });
    return;
  }
  const source = raw.pos();
  ctx.ids.set(baseId, source);

  // Two layers, read field by field: the shot's own fields over (defaults ← its CSV group).
  const base = baseFor(ctx, raw.group);
  const top = raw.fields;
  const vars = top.vars === undefined ? (base.vars ?? EMPTY) : base.vars === undefined ? top.vars : { ...base.vars, ...top.vars };
  if (raw.matrix.length === 0 && ctx.globalMatrix.length === 0) {
    if (!withinJobLimit(raw, [], top, base, baseId, ctx)) return;
    const shot = finishShot(baseId, baseId, top, base, vars, EMPTY, raw, ctx, source);
    if (shot && raw.trackFields) shot.fieldSources = fieldSources(raw, ctx, [], []);
    if (shot) ctx.out.push(shot);
    return;
  }

  // A field the shot sets itself pins that field: the global matrix does not override it
  // (otherwise the shot would yield identical requests under different ids).
  // A paired axis is pinned (dropped) as a whole when the shot sets any of its fields.
  const dims: MatrixDim[] = [];
  const seen = new Set<string>();
  for (const d of raw.matrix) {
    if (seen.has(d.key)) continue;
    seen.add(d.key);
    for (const k of dimKeys(d)) seen.add(k);
    dims.push(d);
  }
  for (const d of ctx.globalMatrix) {
    const keys = dimKeys(d);
    if (seen.has(d.key) || keys.some((k) => seen.has(k))) continue;
    const pinned = keys.some(
      (k) => isShotField(k) && (Reflect.get(top, k) !== undefined || (raw.group !== undefined && Reflect.get(raw.group, k) !== undefined)),
    );
    if (!pinned) dims.push(d);
  }
  if (!withinJobLimit(raw, dims, top, base, baseId, ctx)) return;

  for (const combo of dims.length ? cross(dims) : [[]]) {
    const s: Record<string, unknown> = { ...top };
    const matrix: Record<string, string> = {};
    let v = vars;
    let suffix = '';
    for (const [k, i] of combo.entries()) {
      const d = dims[k];
      const value = d?.values[i];
      if (d === undefined || value === undefined) continue;
      const text = valueText(value);
      matrix[d.key] = text;
      suffix += `${suffix ? ',' : '@'}${d.key}=${text}`;
      if (typeof value === 'object') {
        for (const [f, x] of Object.entries(value)) {
          if (isShotField(f)) s[f] = x;
          else v = { ...v, [f]: String(x) };
        }
      } else if (d.isField) s[d.key] = value;
      else v = { ...v, [d.key]: text };
    }
    const shot = finishShot(baseId, baseId + suffix, s as ShotInput, base, v, matrix, raw, ctx, source);
    if (shot && raw.trackFields) shot.fieldSources = fieldSources(raw, ctx, dims, combo);
    if (shot) ctx.out.push(shot);
  }
}

/** Template lookup order: matrix/shot vars, then `id`, then the shot's own scalar fields. */
class Lookup {
  constructor(
    private readonly vars: Record<string, string>,
    private readonly baseId: string,
    private readonly top: ShotInput,
    private readonly base: ShotInput,
  ) {}
  get(name: string): string | undefined {
    // Own keys only: `{constructor}` or `{__proto__}` must not read Object.prototype.
    const v = Object.hasOwn(this.vars, name) ? this.vars[name] : undefined;
    if (v !== undefined) return v;
    if (name === 'id') return this.baseId;
    if (name !== 'prompt' && isShotField(name)) {
      const f = (this.top as Record<string, unknown>)[name] ?? (this.base as Record<string, unknown>)[name];
      if (f !== undefined && typeof f !== 'object') return String(f);
    }
    return undefined;
  }
}

function finishShot(
  baseId: string,
  id: string,
  top: ShotInput,
  base: ShotInput,
  vars: Record<string, string>,
  matrix: Record<string, string>,
  raw: RawShot,
  ctx: ExpandContext,
  source: SourcePos,
): Shot | undefined {
  const d = ctx.diagnostics;
  const before = d.length;
  const provider = top.provider ?? base.provider;
  const model = top.model ?? base.model;
  const prompt = top.prompt ?? base.prompt;
  if (provider === undefined)
    d.push({ ...raw.pos(), message: `shot "${id}": no provider (set "provider:" at the top, in defaults, or on the shot)` });
  if (model === undefined)
    d.push({ ...raw.pos(), message: `shot "${id}": no model (set "model:" at the top, in defaults, or on the shot)` });
  if (prompt === undefined) {
    d.push({ ...raw.pos(), message: `shot "${id}": missing prompt` });
    return undefined;
  }
  let text = prompt;
  if (prompt.includes('{') || prompt.includes('}')) {
    const filled = fillTemplate(prompt, new Lookup(vars, baseId, top, base), ctx.usedPlaceholders);
    text = filled.text;
    if (filled.missing.length) d.push(placeholderProblem('prompt', filled.missing, raw, ctx, id, vars));
  }
  if (text.trim() === '' && d.length === before) {
    d.push({ ...raw.pos(top.prompt !== undefined ? 'prompt' : undefined), message: `shot "${id}": empty prompt` });
  }
  let negative = top.negative_prompt ?? base.negative_prompt;
  if (negative !== undefined && negative.includes('{')) {
    const nf = fillTemplate(negative, new Lookup(vars, baseId, top, base), ctx.usedPlaceholders);
    if (nf.missing.length) d.push(placeholderProblem('negative_prompt', nf.missing, raw, ctx, id, vars));
    negative = nf.text;
  }
  let image = top.image ?? base.image;
  if (image !== undefined && !isUrl(image)) {
    const abs = isAbsolute(image) ? image : join(ctx.manifestDir, image);
    if (!ctx.fileExists(abs)) {
      d.push({
        ...raw.pos(top.image !== undefined ? 'image' : undefined),
        message: `shot "${id}": image file not found: ${image} (looked at ${relative(ctx.manifestDir, abs) || abs} next to the manifest)`,
      });
    }
    image = abs;
  }
  if (d.length !== before) return undefined;

  const shot: Shot = {
    id,
    baseId,
    index: ctx.out.length,
    provider: provider!,
    model: model!,
    prompt: text,
    seconds: (top.seconds ?? base.seconds)!,
    aspect: (top.aspect ?? base.aspect)!,
    resolution: (top.resolution ?? base.resolution)!,
    takes: top.takes ?? base.takes ?? 1,
    vars,
    params: top.params === undefined ? (base.params ?? EMPTY) : base.params === undefined ? top.params : { ...base.params, ...top.params },
    matrix,
    source,
  };
  const tier = top.tier ?? base.tier;
  if (tier !== undefined) shot.tier = tier;
  if (image !== undefined) shot.image = image;
  const seed = top.seed ?? base.seed;
  if (seed !== undefined) shot.seed = seed;
  if (negative !== undefined) shot.negativePrompt = negative;
  const guidance = top.guidance ?? base.guidance;
  if (guidance !== undefined) shot.guidance = guidance;
  const fit = top.image_fit ?? base.image_fit;
  if (fit !== undefined) shot.imageFit = fit;
  return shot;
}

/**
 * A placeholder with no value, reported where the template was written. A template shared by
 * many shots (a `from:` entry's or `defaults`' prompt) gets the same message for each, so the
 * collapsed report shows it once with a count; a shot's own template names the shot.
 */
function placeholderProblem(
  field: 'prompt' | 'negative_prompt',
  missing: string[],
  raw: RawShot,
  ctx: ExpandContext,
  id: string,
  vars: Record<string, string>,
): Diagnostic {
  const where = templatePos(raw, ctx, field);
  const known = [...Object.keys(vars), 'id', ...SHOT_FIELD_NAMES.filter((f) => f !== 'prompt' && f !== 'vars' && f !== 'params')];
  const hints: string[] = [];
  for (const m of missing) {
    const near = closest(m, known);
    if (near) hints.push(missing.length === 1 ? `{${near}}` : `{${near}} for {${m}}`);
  }
  const help = hints.length ? ` (did you mean ${hints.join(', ')}?)` : ' (define it under vars, in the matrix or as a CSV column)';
  const message = `${field} placeholder ${missing.map((m) => `{${m}}`).join(', ')} has no value${help}`;
  return { ...where.pos, message: where.own ? `shot "${id}": ${message}` : message };
}
