/** Finds a TrueType font for drawtext. Never required: callers render without labels when null. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const PREFERRED = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/liberation/LiberationSans-Regular.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];

const SEARCH_ROOTS = ['/usr/share/fonts', '/usr/local/share/fonts'];

function scan(dir: string, depth: number, found: string[]): void {
  if (depth < 0 || found.length > 50) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) scan(p, depth - 1, found);
    else if (/\.(ttf|otf)$/i.test(e.name)) found.push(p);
  }
}

/**
 * A font file for drawtext: `SHOTLIST_FONT` if set and present, else a known sans font, else
 * any .ttf/.otf under the usual font directories (regular sans weights first), else null.
 */
export function findFont(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env.SHOTLIST_FONT;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const p of PREFERRED) if (existsSync(p)) return p;
  const found: string[] = [];
  for (const root of SEARCH_ROOTS) scan(root, 4, found);
  const score = (p: string): number => (/sans/i.test(p) ? 0 : 2) + (/(bold|italic|oblique|light|mono|math)/i.test(p) ? 1 : 0);
  found.sort((a, b) => score(a) - score(b) || a.localeCompare(b));
  return found[0] ?? null;
}
