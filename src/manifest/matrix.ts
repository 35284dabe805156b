/**
 * Matrix axes. A plain axis lists values of one field or template variable; a paired axis lists
 * maps, each setting several fields (or variables) together, so a bake-off can pair providers
 * with their models: `engine: [{provider: fal, model: veo-3.1}, {provider: replicate, model: kling-v3}]`.
 * The cross product is taken over all axes.
 */
import type { Diagnostic } from '../errors.ts';
import type { SourcePos } from './types.ts';
import type { ZodType } from 'zod';
import { shotFieldSchemas } from './schema.ts';
import { issuesToDiagnostics } from './issues.ts';
import type { Path, YamlPositions } from './positions.ts';
import { didYouMean } from './suggest.ts';

export type Scalar = string | number | boolean;
export type MatrixValue = Scalar | Readonly<Record<string, Scalar>>;

/** One matrix axis with values already typed for their fields. */
export interface MatrixDim {
  key: string;
  /** Plain axis on a shot field (otherwise a template variable, or a paired axis). */
  isField: boolean;
  /** Paired axis: the keys every entry sets, in the order written. */
  paired?: readonly string[];
  values: MatrixValue[];
  pos: SourcePos;
  /** Where each value was written (errors about a paired entry point at it). */
  valuePos?: SourcePos[];
}

const FIELD_SCHEMAS = new Map<string, ZodType>(Object.entries(shotFieldSchemas));
export function isShotField(k: string): boolean {
  return FIELD_SCHEMAS.has(k);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Keys that are not generation values: they cannot vary along a matrix axis. */
const MATRIX_FORBIDDEN = new Set(['id', 'vars', 'params', 'matrix', 'from']);

/** The fields and variables an axis sets. */
export function dimKeys(d: MatrixDim): readonly string[] {
  return d.paired ?? [d.key];
}

/** How a value shows in shot ids and `matrix` fields: a paired entry as its values joined by "/". */
export function valueText(v: MatrixValue): string {
  return typeof v === 'object' ? Object.values(v).map(String).join('/') : String(v);
}

function isMap(v: unknown): v is Record<string, Scalar> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Types matrix values against their fields' schemas; non-field keys are template variables. */
export function toDims(matrix: Record<string, unknown[]>, base: Path, pos: YamlPositions, diags: Diagnostic[]): MatrixDim[] {
  const dims: MatrixDim[] = [];
  const where = base.join('.');
  for (const [key, values] of Object.entries(matrix)) {
    if (MATRIX_FORBIDDEN.has(key)) {
      diags.push({ ...pos.at(base, key), message: `${where}: "${key}" cannot be a matrix key` });
      continue;
    }
    if (values.some(isMap)) {
      const dim = pairedDim(key, values, base, pos, diags);
      if (dim) dims.push(dim);
      continue;
    }
    const schema = FIELD_SCHEMAS.get(key);
    const isField = schema !== undefined;
    if (schema) {
      values.forEach((v, i) => {
        const r = schema.safeParse(v);
        if (!r.success) diags.push(...issuesToDiagnostics(r.error.issues, v, [...base, key, i], schema, pos));
      });
    }
    dims.push({ key, isField, values: values.filter(isScalar), pos: pos.at(base, key) });
  }
  // Two axes setting one field would make the cross product ask for contradictory values.
  const setBy = new Map<string, string>();
  for (const d of dims) {
    for (const k of dimKeys(d)) {
      const other = setBy.get(k);
      if (other !== undefined && other !== d.key)
        diags.push({ ...d.pos, message: `${where}: "${d.key}" sets ${k}, which the axis "${other}" also sets` });
      else setBy.set(k, d.key);
    }
  }
  return dims;
}

function pairedDim(key: string, values: unknown[], base: Path, pos: YamlPositions, diags: Diagnostic[]): MatrixDim | undefined {
  const before = diags.length;
  const name = (i: number) => `${base.join('.')}.${key}[${i}]`;
  let keys: string[] | undefined;
  values.forEach((v, i) => {
    const at: Path = [...base, key, i];
    if (!isMap(v)) {
      diags.push({
        ...pos.at(at),
        message: `${name(i)}: expected a map like the axis's other entries (a paired axis sets fields together)`,
      });
      return;
    }
    const own = Object.keys(v);
    if (own.length === 0) diags.push({ ...pos.at(at), message: `${name(i)}: an empty map sets nothing` });
    for (const k of own) {
      if (MATRIX_FORBIDDEN.has(k)) {
        diags.push({ ...pos.at(at), message: `${name(i)}: "${k}" cannot be set by a matrix` });
        continue;
      }
      const schema = FIELD_SCHEMAS.get(k);
      if (!schema) continue; // a template variable
      const r = schema.safeParse(v[k]);
      if (!r.success) diags.push(...issuesToDiagnostics(r.error.issues, v[k], [...at, k], schema, pos));
    }
    const sorted = [...own].sort();
    if (!keys) keys = sorted;
    else if (sorted.join('\u0000') !== keys.join('\u0000')) {
      diags.push({
        ...pos.at(at),
        message: `${name(i)}: sets ${sorted.join(', ')}, but ${name(0)} sets ${keys.join(', ')} (every entry of a paired axis sets the same fields)`,
      });
    }
  });
  if (diags.length !== before || !keys) return undefined;
  return {
    key,
    isField: false,
    paired: Object.keys(values[0] as object),
    values: values.filter(isMap),
    pos: pos.at(base, key),
    valuePos: values.map((_, i) => pos.at([...base, key, i])),
  };
}

/** A top-level matrix variable that no prompt uses is almost surely a typo. */
export function unusedMatrixVars(dims: readonly MatrixDim[], used: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of dims) {
    for (const k of dimKeys(d)) {
      if (isShotField(k) || used.has(k)) continue;
      const what = d.paired ? `"${d.key}" sets "${k}", which is` : `"${k}" is`;
      out.push({
        ...d.pos,
        message: `matrix: ${what} neither a shot field nor a {placeholder} in any prompt${didYouMean(k, Object.keys(shotFieldSchemas))}`,
      });
    }
  }
  return out;
}

/** Every combination of one value per axis, as value indexes. */
export function cross(dims: readonly MatrixDim[]): number[][] {
  let acc: number[][] = [[]];
  for (const d of dims) {
    const next: number[][] = [];
    for (const combo of acc) for (let i = 0; i < d.values.length; i++) next.push([...combo, i]);
    acc = next;
  }
  return acc;
}
