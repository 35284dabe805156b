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
  let text = '';
  let last = 0;
  // A hand-rolled scan (no regex callback): this runs once per row on 100k-row CSVs.
  for (let i = 0; i < template.length; i++) {
    const c = template.charCodeAt(i);
    if (c === 125 /* } */ && template.charCodeAt(i + 1) === 125) {
      text += template.slice(last, i) + '}';
      last = ++i + 1;
      continue;
    }
    if (c !== 123 /* { */) continue;
    if (template.charCodeAt(i + 1) === 123) {
      text += template.slice(last, i) + '{';
      last = ++i + 1;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    if (close === -1) break;
    const name = template.slice(i + 1, close);
    if (!NAME.test(name)) continue;
    used?.add(name);
    const v = lookup.get(name);
    if (v === undefined) {
      missing.push(name);
      continue;
    }
    text += template.slice(last, i) + v;
    last = close + 1;
    i = close;
  }
  return { text: text + template.slice(last), missing };
}

const NAME = /^[A-Za-z_][\w.-]*$/;

/** Placeholder names in a template (for checking that matrix variables are used). */
export function placeholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (m[1]) out.push(m[1]);
  return out;
}
