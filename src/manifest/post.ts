/** The `post:` list: each step checked on its own, plus the field names and shot ids it refers to. */
import type { Diagnostic } from '../errors.ts';
import type { PostFieldRef, PostStep, SourcePos } from './types.ts';
import { POST_KINDS, postStepSchemas, type PostKind } from './schema.ts';
import { issuesToDiagnostics, pathText } from './issues.ts';
import type { Path, YamlPositions } from './positions.ts';
import { didYouMean } from './suggest.ts';

/** A shot id written in a post-step (stitch order or select.ids), checked once the shots are known. */
export interface ShotRef {
  id: string;
  where: string;
  source: SourcePos;
}

export interface PostRefs {
  fields: PostFieldRef[];
  shots: ShotRef[];
}

export function checkPostStep(item: unknown, i: number, pos: YamlPositions, diags: Diagnostic[], refs: PostRefs): PostStep {
  const base: Path = ['post', i];
  const entry: [string, unknown] | undefined =
    typeof item === 'string'
      ? [item, null]
      : item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1
        ? Object.entries(item)[0]
        : undefined;
  if (!entry) {
    diags.push({
      ...pos.at(base),
      message: `post[${i}]: expected a single-key map such as "- stitch: {group_by: aspect}" (${POST_KINDS.join(', ')})`,
    });
    return { kind: 'stitch' };
  }
  const [kind, body] = entry;
  if (!(POST_KINDS as string[]).includes(kind)) {
    diags.push({
      ...pos.at(base, typeof item === 'string' ? undefined : kind),
      message: `post[${i}]: unknown post-step "${kind}"${didYouMean(kind, POST_KINDS)} (one of ${POST_KINDS.join(', ')})`,
    });
    return { kind: 'stitch' };
  }
  const schema = postStepSchemas[kind as PostKind];
  const r = schema.safeParse(body);
  if (!r.success) {
    diags.push(...issuesToDiagnostics(r.error.issues, body, [...base, kind], schema, pos));
    return { kind: 'stitch' };
  }
  collectFieldRefs(r.data, [...base, kind], pos, refs.fields);
  const stitch = kind === 'stitch' ? postStepSchemas.stitch.safeParse(body) : undefined;
  if (stitch?.success && stitch.data) {
    const step = stitch.data;
    const lists: Array<[string[] | undefined, Path]> = [
      [step.order, [...base, kind, 'order']],
      [step.select?.ids, [...base, kind, 'select', 'ids']],
    ];
    for (const [ids, at] of lists)
      ids?.forEach((id, j) => refs.shots.push({ id, where: pathText([...at, j]), source: pos.at([...at, j]) }));
  }
  return { kind, ...r.data } as PostStep;
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
      // A label template ("{model} take {take}") names its fields in braces.
      const names = v.includes('{') ? [...v.matchAll(/\{\s*([\w.-]+)\s*\}/g)].map((m) => m[1] ?? '') : v.split(',');
      for (const name of names.map((n) => n.trim()).filter(Boolean)) {
        refs.push({ name, where: pathText(p), source: pos.at(p) });
      }
    }
  }
}

/** A job id (12 hex digits) may also name a clip; it is only known once the plan is built. */
const JOB_ID = /^[0-9a-f]{12}$/;

/** Shot ids a post-step names that no shot has (stitch would silently leave them out). */
export function unknownShotRefs(refs: readonly ShotRef[], shotIds: ReadonlySet<string>, baseIds: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of refs) {
    if (shotIds.has(r.id) || JOB_ID.test(r.id)) continue;
    out.push({ ...r.source, message: `${r.where}: no shot "${r.id}"${didYouMean(r.id, baseIds)}` });
  }
  return out;
}
