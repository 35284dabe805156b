/**
 * Idempotency for post-step outputs. `post/.state.json` maps each output (relative path) to a
 * hash of its inputs (clip sha256s) and settings plus the size of the file that was written;
 * an output is up to date when the hash matches and the file is still there with that size.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../run/rundir.ts';

/** Bump when an output's recipe changes in a way that should rebuild existing outputs. */
const RECIPE_VERSION = 1;

interface Entry {
  key: string;
  bytes: number;
}

export interface PostState {
  isFresh(output: string, key: string): Promise<boolean>;
  record(output: string, key: string): Promise<void>;
  forget(output: string): Promise<void>;
}

export function stateKey(parts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: RECIPE_VERSION, parts }))
    .digest('hex')
    .slice(0, 32);
}

export async function openPostState(runDir: string): Promise<PostState> {
  const file = join(runDir, 'post', '.state.json');
  let entries: Record<string, Entry> = {};
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { outputs?: Record<string, Entry> };
    entries = parsed.outputs ?? {};
  } catch {
    entries = {}; // missing or unreadable: everything is rebuilt, which is always safe
  }
  // Writes are chained so concurrent outputs never interleave a half-written file.
  let chain: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    chain = chain.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, JSON.stringify({ version: RECIPE_VERSION, outputs: entries }, null, 2));
    });
    return chain;
  };
  return {
    async isFresh(output, key) {
      const e = entries[output];
      if (!e || e.key !== key) return false;
      try {
        const s = await stat(join(runDir, output));
        return s.isFile() && s.size === e.bytes && s.size > 0;
      } catch {
        return false;
      }
    },
    async record(output, key) {
      const s = await stat(join(runDir, output));
      entries[output] = { key, bytes: s.size };
      await save();
    },
    async forget(output) {
      if (!(output in entries)) return;
      delete entries[output];
      await save();
    },
  };
}
