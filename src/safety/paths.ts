/**
 * Output paths are confined to the run directory. Names come from the manifest (stitch `name:`,
 * templates filled with shot fields), so this is the runtime guard behind plan-time validation:
 * no `..` out, no absolute path, no NUL, and no symlink inside the run directory pointing out.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export type Inside = { ok: true; path: string } | { ok: false; reason: string };

function within(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}

/** Pure check on the path text: where `rel` lands, if it stays inside `runDir`. */
export function resolveInsideLexical(runDir: string, rel: string): Inside {
  if (rel.includes('\0')) return { ok: false, reason: `output name ${JSON.stringify(rel)} contains a NUL character` };
  if (rel === '' || isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel))
    return { ok: false, reason: `output name ${JSON.stringify(rel)} must be a relative path inside the run directory` };
  const root = resolve(runDir);
  const path = resolve(root, rel);
  if (!within(root, path)) return { ok: false, reason: `output name ${JSON.stringify(rel)} leaves the run directory` };
  return { ok: true, path };
}

/** The deepest part of `p` that exists, resolved through symlinks. */
async function realAncestor(p: string): Promise<string> {
  for (let cur = p; ; cur = dirname(cur)) {
    try {
      return await realpath(cur);
    } catch {
      if (dirname(cur) === cur) return cur;
    }
  }
}

/** `resolveInsideLexical`, plus: no existing directory on the way is a symlink leading out of the run directory. */
export async function resolveInside(runDir: string, rel: string): Promise<Inside> {
  const lexical = resolveInsideLexical(runDir, rel);
  if (!lexical.ok) return lexical;
  const root = await realpath(resolve(runDir)).catch(() => resolve(runDir));
  const real = await realAncestor(lexical.path);
  if (real !== root && !within(root, real))
    return { ok: false, reason: `output name ${JSON.stringify(rel)} leads out of the run directory through a symlink` };
  return lexical;
}
