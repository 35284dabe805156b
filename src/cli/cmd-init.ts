/** `shotlist init [dir] --use campaign|bakeoff|overnight`: write a commented starter manifest; never overwrite. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { writeErrorOf } from '../run/rundir.ts';
import type { CliIO } from './io.ts';
import { scaffold, USES, type Use } from './init-templates.ts';

function isUse(text: string): text is Use {
  return USES.some((u) => u === text);
}

export async function initCommand(dir: string | undefined, flags: { use?: string }, io: CliIO): Promise<number> {
  const use = flags.use ?? '';
  if (!isUse(use)) throw new UsageError(`--use ${use}: expected one of ${USES.join(', ')}`);
  const target = resolve(io.cwd, dir ?? '.');
  const st = await stat(target).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UsageError(`${dir} is a file, not a directory`);
  const files = scaffold(use);
  const existing: string[] = [];
  for (const f of files) if (await stat(join(target, f.name)).catch(() => undefined)) existing.push(f.name);
  // All or nothing: a half-written scaffold next to the user's own files would be worse than none.
  if (existing.length > 0) {
    throw new UsageError(
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${target}; nothing was written (init never overwrites)`,
    );
  }
  try {
    await mkdir(target, { recursive: true });
    // 'wx': fails instead of overwriting if a file appeared since the check.
    for (const f of files) await writeFile(join(target, f.name), f.content, { flag: 'wx' });
  } catch (e) {
    throw writeErrorOf(e) ?? e;
  }
  const manifest = join(target, files[0]?.name ?? '');
  const shown = relative(io.cwd, manifest) || manifest;
  io.out(`wrote ${files.map((f) => join(relative(io.cwd, target) || '.', f.name)).join(', ')}`);
  io.out(`next: npx shotlist plan ${shown}   (price it; sends nothing)`);
  io.out(`      npx shotlist run ${shown} --emulate --yes   (the whole pipeline offline, free)`);
  return 0;
}
