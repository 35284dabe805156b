/**
 * Normalization shared by YAML shots and CSV rows: defaults, matrix cross product, template
 * filling, image paths, ids. Inputs are already type-checked; this adds the cross-field rules.
 */
import { isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../errors.ts';
import type { Aspect, Resolution, Shot, SourcePos, Tier } from './types.ts';
import { SHOT_FIELD_NAMES } from './schema.ts';
import { fillTemplate } from './template.ts';

export type Scalar = string | number | boolean;

/** A shot's typed fields before defaults (every one optional). */
export interface ShotInput {
  prompt?: string;
  seconds?: number;
  aspect?: Aspect;
  resolution?: Resolution;
  tier?: Tier;
  image?: string;
  seed?: number;
  negative_prompt?: string;
  guidance?: number;
  provider?: string;
  model?: string;
  takes?: number;
  vars?: Record<string, string>;
  params?: Record<string, unknown>;
}

/** One matrix dimension with values already typed for its field. */
export interface MatrixDim {
  key: string;
  /** True when the key is a shot field; otherwise it is a template variable. */
  isField: boolean;
  values: Scalar[];
  pos: SourcePos;
}

export interface RawShot {
  /** The id the user wrote, if any. */
  id?: string;
  /** `shot-N` / `row-N`. */
  defaultId: string;
  fields: ShotInput;
  /** Fields given by the enclosing `{from: …}` item (CSV rows); they pin like explicit fields. */
  group?: ShotInput;
  matrix: MatrixDim[];
  /** Position of a field (or of the shot when omitted). */
  pos: (field?: string) => SourcePos;
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
}

const FIELD_SET = new Set<string>(SHOT_FIELD_NAMES);
export function isShotField(k: string): boolean {
  return FIELD_SET.has(k);
}

function cross(dims: MatrixDim[]): Array<Array<[MatrixDim, Scalar]>> {
  let acc: Array<Array<[MatrixDim, Scalar]>> = [[]];
  for (const d of dims) {
    const next: Array<Array<[MatrixDim, Scalar]>> = [];
    for (const combo of acc) for (const v of d.values) next.push([...combo, [d, v]]);
    acc = next;
  }
  return acc;
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

  const explicit = raw.group ? mergeInputs(raw.group, raw.fields) : raw.fields;
  const merged = mergeInputs(ctx.defaults, explicit);
  if (raw.matrix.length === 0 && ctx.globalMatrix.length === 0) {
    const shot = finishShot(baseId, baseId, merged, merged.vars ?? EMPTY, EMPTY, raw, ctx, source);
    if (shot) ctx.out.push(shot);
    return;
  }

  // A field the shot sets itself pins that field: the global matrix does not override it
  // (otherwise the shot would yield identical requests under different ids).
  const dims: MatrixDim[] = [];
  const seen = new Set<string>();
  for (const d of [...raw.matrix].reverse()) if (!seen.has(d.key)) (seen.add(d.key), dims.unshift(d));
  for (const d of ctx.globalMatrix) {
    if (seen.has(d.key)) continue;
    if (d.isField && (explicit as Record<string, unknown>)[d.key] !== undefined) continue;
    dims.push(d);
  }
  dims.sort((a, b) => ctx.globalMatrix.indexOf(a) - ctx.globalMatrix.indexOf(b));

  const combos = dims.length ? cross(dims) : [[]];
  for (const combo of combos) {
    const s: Record<string, unknown> = { ...merged };
    const matrix: Record<string, string> = {};
    let vars: Record<string, string> = merged.vars ?? EMPTY;
    let suffix = '';
    for (const [d, v] of combo) {
      matrix[d.key] = String(v);
      suffix += `${suffix ? ',' : '@'}${d.key}=${String(v)}`;
      if (d.isField) s[d.key] = v;
      else vars = { ...vars, [d.key]: String(v) };
    }
    const shot = finishShot(baseId, baseId + suffix, s as ShotInput, vars, matrix, raw, ctx, source);
    if (shot) ctx.out.push(shot);
  }
}

function finishShot(
  baseId: string,
  id: string,
  s: ShotInput,
  vars: Record<string, string>,
  matrix: Record<string, string>,
  raw: RawShot,
  ctx: ExpandContext,
  source: SourcePos,
): Shot | undefined {
  const d = ctx.diagnostics;
  const before = d.length;
  const at = (f?: string): SourcePos => raw.pos(f);
  if (s.provider === undefined) d.push({ ...at(), message: `shot "${id}": no provider (set "provider:" at the top, in defaults, or on the shot)` });
  if (s.model === undefined) d.push({ ...at(), message: `shot "${id}": no model (set "model:" at the top, in defaults, or on the shot)` });
  if (s.prompt === undefined) {
    d.push({ ...at(), message: `shot "${id}": missing prompt` });
    return undefined;
  }
  const lookup = (name: string): string | undefined => {
    const v = vars[name];
    if (v !== undefined) return v;
    if (name === 'id') return baseId;
    if (isShotField(name) && name !== 'prompt') {
      const f = (s as Record<string, unknown>)[name];
      if (f !== undefined && typeof f !== 'object') return String(f);
    }
    return undefined;
  };
  const filled = fillTemplate(s.prompt, lookup, ctx.usedPlaceholders);
  if (filled.missing.length) {
    const known = Object.keys(vars);
    d.push({
      ...at('prompt'),
      message: `shot "${id}": prompt placeholder ${filled.missing.map((m) => `{${m}}`).join(', ')} has no value` +
        (known.length ? ` (vars: ${known.join(', ')})` : ' (define it under vars, in the matrix or as a CSV column)'),
    });
  } else if (filled.text.trim() === '') {
    d.push({ ...at('prompt'), message: `shot "${id}": empty prompt` });
  }
  let negative = s.negative_prompt;
  if (negative !== undefined) {
    const nf = fillTemplate(negative, lookup, ctx.usedPlaceholders);
    if (nf.missing.length) d.push({ ...at('negative_prompt'), message: `shot "${id}": negative_prompt placeholder {${nf.missing[0]}} has no value` });
    negative = nf.text;
  }
  let image = s.image;
  if (image !== undefined && !isUrl(image)) {
    const abs = isAbsolute(image) ? image : join(ctx.manifestDir, image);
    if (!ctx.fileExists(abs)) {
      d.push({ ...at('image'), message: `shot "${id}": image file not found: ${image} (looked at ${relative(ctx.manifestDir, abs) || abs} next to the manifest)` });
    }
    image = abs;
  }
  if (d.length !== before) return undefined;

  const shot: Shot = {
    id,
    baseId,
    index: ctx.out.length,
    provider: s.provider!,
    model: s.model!,
    prompt: filled.text,
    seconds: s.seconds!,
    aspect: s.aspect!,
    resolution: s.resolution!,
    takes: s.takes ?? 1,
    vars,
    params: s.params ?? EMPTY,
    matrix,
    source,
  };
  if (s.tier !== undefined) shot.tier = s.tier;
  if (image !== undefined) shot.image = image;
  if (s.seed !== undefined) shot.seed = s.seed;
  if (negative !== undefined) shot.negative_prompt = negative;
  if (s.guidance !== undefined) shot.guidance = s.guidance;
  return shot;
}
