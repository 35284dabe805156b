/**
 * One diagnostic per source position: a problem written once (a matrix value, a shared prompt
 * template, a defaults entry, a CSV row) is reported once, with the shots and the number of
 * expansions it affects, however many matrix combinations repeat it.
 */
import type { Diagnostic } from '../errors.ts';

/** `shot "hero@aspect=9:16,model=sora-2"` → `shot "hero"`: expansions of one shot read alike. */
const EXPANDED_ID = /shot "([^"@]*)@[^"]*"/g;
/** The `shot "id": ` prefix that names which shot a problem was found in. */
const PREFIX = /^shot "([^"]*)": /;
/** Shot names listed in a collapsed line before "and N more". */
const SHOWN = 3;

interface Group {
  first: Diagnostic;
  /** The message without the shot prefix, expansion ids normalized. */
  rest: string;
  /** Base shot ids named by the prefixes, in order (empty for messages without one). */
  bases: string[];
  n: number;
}

export function collapseDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const groups = new Map<string, Group>();
  for (const d of diags) {
    const m = PREFIX.exec(d.message);
    const rest = (m ? d.message.slice(m[0].length) : d.message).replace(EXPANDED_ID, 'shot "$1"');
    const key = `${d.file}\u0000${d.line}\u0000${d.col}\u0000${m ? 'P' : 'N'}${rest}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: d, rest, bases: [], n: 0 }));
    g.n++;
    if (m) {
      const base = (m[1] ?? '').split('@')[0] ?? '';
      if (!g.bases.includes(base)) g.bases.push(base);
    }
  }
  const out: Diagnostic[] = [];
  for (const g of groups.values()) {
    // A lone expansion keeps its full id: it says which combination is at fault.
    if (g.n === 1) {
      out.push(g.first);
      continue;
    }
    let message: string;
    // Without a prefix the message names its shot itself (or none: a template shared by shots).
    if (g.bases.length === 0) message = `${g.rest} (${g.n} ${g.rest.startsWith('shot "') ? 'expansions' : 'shots'})`;
    else {
      const names =
        g.bases
          .slice(0, SHOWN)
          .map((b) => `"${b}"`)
          .join(', ') + (g.bases.length > SHOWN ? ` and ${g.bases.length - SHOWN} more` : '');
      message = `${g.bases.length === 1 ? 'shot' : 'shots'} ${names}: ${g.rest} (${g.n} expansions)`;
    }
    out.push({ ...g.first, message });
  }
  return out;
}
