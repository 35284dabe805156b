/**
 * Tile and pick labels that tell the clips of one group apart: built from the fields whose values
 * differ within the group (take, seed, model, provider, resolution, cost), or from the user's
 * `label:` (a field list or a `{field}` template); whatever remains ambiguous gets the next field
 * that differs, and as a last resort the job id. Pure and generic over what an item is (a planned job, a results row).
 */

/** Reads a field of one item as text ('' when it has none). */
export type FieldReader<T> = (item: T, field: string) => string;

/** Fields tried first, in the order they read best: "openai · sora-2-pro · 720p · seed 7 · take 2 · $0.40". */
export const DIFF_FIELDS = ['provider', 'model', 'resolution', 'seed', 'take', 'cost'] as const;
/** Tried next when the first set leaves two clips with the same label. */
const MORE_FIELDS = ['aspect', 'size', 'seconds', 'tier', 'prompt'];

function show<T>(get: FieldReader<T>, item: T, field: string): string {
  const v = get(item, field);
  if (!v) return '';
  if (field === 'seed') return `seed ${v}`;
  if (field === 'take') return `take ${v}`;
  if (field === 'seconds') return `${v}s`;
  if (field === 'prompt') return v.length > 40 ? `${v.slice(0, 39)}…` : v;
  return v;
}

/** `{model} take {take}` → rendered text; unknown fields read as empty. */
export function renderTemplate<T>(template: string, item: T, get: FieldReader<T>): string {
  return template.replace(/\{\s*([\w.-]+)\s*\}/g, (_, name: string) => get(item, name));
}

function differing<T>(items: readonly T[], fields: readonly string[], get: FieldReader<T>): string[] {
  return fields.filter((f) => new Set(items.map((j) => get(j, f))).size > 1);
}

function allDistinct(labels: readonly string[]): boolean {
  return new Set(labels).size === labels.length;
}

/**
 * One label per job, distinct within the group. `label` is the manifest's grid `label:` (a field
 * list, or one string with `{field}` placeholders); without it the differing fields are used.
 */
export function groupLabels<T>(
  jobs: readonly T[],
  get: FieldReader<T>,
  label?: readonly string[] | string,
  /** Field names of the items' free-form fields (matrix values, vars), tried last. */
  moreFields: readonly string[] = [],
): string[] {
  if (jobs.length === 0) return [];
  const template = typeof label === 'string' ? label : label?.length === 1 && label[0]?.includes('{') ? label[0] : undefined;
  let fields: string[];
  let labels: string[];
  if (template !== undefined) {
    fields = [];
    labels = jobs.map((j) => renderTemplate(template, j, get).trim());
  } else {
    const listed = Array.isArray(label) && label.length > 0 ? [...label] : undefined;
    fields = listed ?? differing(jobs, DIFF_FIELDS, get);
    // A lone clip (or identical requests) still says what it is.
    if (fields.length === 0) fields = ['provider', 'model'];
    labels = jobs.map((j) =>
      fields
        .map((f) => show(get, j, f))
        .filter(Boolean)
        .join(' · '),
    );
  }
  // Still ambiguous: add the next field that differs, then fall back to the job id.
  const extra = [...DIFF_FIELDS, ...MORE_FIELDS, ...moreFields, 'id', 'job'].filter((f) => !fields.includes(f));
  for (const f of differing(jobs, extra, get)) {
    if (allDistinct(labels)) break;
    const before = labels;
    labels = jobs.map((j, i) => [before[i], show(get, j, f)].filter(Boolean).join(' · '));
  }
  return labels;
}
