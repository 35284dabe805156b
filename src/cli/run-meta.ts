/**
 * `run.json`: the non-secret settings a run directory needs to be resumed or post-processed without
 * the original command line (base URLs, limits, post-steps). Never holds an API key.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { PostStep, ProviderSettings } from '../manifest/types.ts';

export interface RunMeta {
  version: 1;
  name: string;
  manifestFile: string;
  createdAt: string;
  providers: Record<string, ProviderSettings>;
  post: PostStep[];
  catalogFiles: string[];
  emulated: boolean;
}

export const RUN_META_FILE = 'run.json';

export async function writeRunMeta(runDir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(join(runDir, RUN_META_FILE), `${JSON.stringify(meta, null, 2)}\n`, { fsync: true });
}

export async function readRunMeta(runDir: string): Promise<RunMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, RUN_META_FILE), 'utf8')) as RunMeta;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
