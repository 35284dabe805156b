/** `shotlist resume <run-dir>`: reattach to a run from its checkpoint; no re-planning, no new approval. */
import { loadCatalog } from '../catalog/index.ts';
import { UsageError } from '../errors.ts';
import { readRunState } from '../run/index.ts';
import { missingKeys } from './bindings.ts';
import { executeAndFinish, type ExecuteFlags } from './execute.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';
import { readRunMeta } from './run-meta.ts';

export async function resumeCommand(dir: string, flags: ExecuteFlags, io: CliIO, signal: AbortSignal): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const [meta, state] = await Promise.all([readRunMeta(runDir), readRunState(runDir)]);
  if (!meta || !state) throw new UsageError(`${runDir} is not a shotlist run directory (no run.json / checkpoint.json)`);
  const catalog = await loadCatalog({ extraFiles: meta.catalogFiles });
  const missing = missingKeys(
    state.jobs.map((j) => j.provider),
    io.env,
    meta.emulated,
    { catalog, settings: meta.providers },
  );
  if (missing.length > 0) throw new UsageError(`missing API key in the environment: ${missing.join(', ')}`);
  // An emulated run resumes on a fresh emulator: the old one's tasks ended with its process.
  return executeAndFinish({
    io,
    signal,
    runDir,
    jobs: state.jobs,
    approvedUsd: state.approvedUsd,
    capUsd: state.capUsd,
    catalog,
    settings: meta.providers,
    post: meta.post,
    name: meta.name,
    flags,
    emulate: meta.emulated,
    prior: state,
  });
}
