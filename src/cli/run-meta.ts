/**
 * `run.json`: the non-secret settings a run directory needs to be resumed or post-processed without
 * the original command line (base URLs, limits, post-steps). Never holds an API key.
 */
import { z } from 'zod';
import type { PostStep, ProviderSettings } from '../manifest/types.ts';
import { readJsonFile, runPaths, writeFileAtomic } from '../run/rundir.ts';
import { UsageError } from '../errors.ts';

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

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shallow on purpose: the settings were validated with the manifest when the run was approved. */
const runMetaSchema: z.ZodType<RunMeta> = z.object({
  version: z.literal(1),
  name: z.string(),
  manifestFile: z.string(),
  createdAt: z.string(),
  providers: z.record(z.string(), z.custom<ProviderSettings>(isObject)),
  post: z.array(z.custom<PostStep>(isObject)),
  catalogFiles: z.array(z.string()),
  emulated: z.boolean(),
});

export async function writeRunMeta(runDir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(runPaths(runDir).meta, `${JSON.stringify(meta, null, 2)}\n`);
}

/** undefined when there is no run.json; a damaged one is a one-line error, never a trace. */
export async function readRunMeta(runDir: string): Promise<RunMeta | undefined> {
  const path = runPaths(runDir).meta;
  const got = await readJsonFile(path, runMetaSchema);
  if (got.kind === 'missing') return undefined;
  if (got.kind === 'corrupt')
    throw new UsageError(`${path} is damaged (${got.reason}); run the manifest again with --out ${runDir} to rewrite it`);
  return got.value;
}
