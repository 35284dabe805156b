/** Prompt templates: `{name}` placeholders, `{{` / `}}` for literal braces. */

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][\w.-]*)\}/g;

export interface FillResult {
  text: string;
  /** Placeholders with no value (empty when the template filled). */
  missing: string[];
}

/** Fills `template`, calling `lookup` per placeholder; names seen are added to `used`. */
export function fillTemplate(template: string, lookup: { get(name: string): string | undefined }, used?: Set<string>): FillResult {
  // Fast path: most prompts in big CSVs are literal.
  if (!template.includes('{') && !template.includes('}')) return { text: template, missing: [] };
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = name!;
    used?.add(key);
    const v = lookup.get(key);
    if (v === undefined) {
      missing.push(key);
      return m;
    }
    return v;
  });
  return { text, missing };
}

/** Placeholder names in a template (for checking that matrix variables are used). */
export function placeholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (m[1]) out.push(m[1]);
  return out;
}
