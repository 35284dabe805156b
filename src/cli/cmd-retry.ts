/**
 * `shotlist retry <run-dir> [--states failed,expired] [--only …]`: send failed jobs again, with a fresh
 * approval of exactly what the new attempts cost (approval and cap are raised by that amount, no
 * more). `unknown` jobs are included only on request (--states …,unknown): their first attempt may
 * exist and be billed, so its reservation stays held. Everything else is `resume`'s guarantees.
 */
import { loadCatalog } from '../catalog/index.ts';
import { NotApprovedError, UsageError } from '../errors.ts';
import { addUsd } from '../money.ts';
import { readRunState } from '../run/index.ts';
import type { JobState } from '../run/types.ts';
import { decideApproval } from './approve.ts';
import { missingKeys } from './bindings.ts';
import { executeAndFinish, type ExecuteFlags } from './execute.ts';
import { formatSpend, formatUsd } from './format.ts';
import type { CliIO } from './io.ts';
import { selectJobs } from './only.ts';
import { requireRunDir } from './paths.ts';
import { readRunMeta } from './run-meta.ts';

const ALLOWED: readonly JobState[] = ['failed', 'expired', 'rejected', 'unknown'];

export interface RetryFlags extends ExecuteFlags {
  states?: string;
  only?: string[];
  yes?: boolean;
  maxUsd?: number;
}

export function parseStates(text: string | undefined): JobState[] {
  const names = (text ?? 'failed,expired')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const states = ALLOWED.filter((s) => names.includes(s));
  const bad = names.filter((n) => !states.some((s) => s === n));
  if (bad.length > 0 || states.length === 0) throw new UsageError(`--states ${text}: expected some of ${ALLOWED.join(', ')}`);
  return states;
}

export async function retryCommand(dir: string, flags: RetryFlags, io: CliIO, signal: AbortSignal): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const states = parseStates(flags.states);
  const [meta, state] = await Promise.all([readRunMeta(runDir), readRunState(runDir)]);
  if (!meta || !state) throw new UsageError(`${dir} is not a shotlist run directory (no run.json / checkpoint.json)`);
  let picked = state.jobs.filter((j) => states.includes(state.records[j.id]?.state ?? 'planned'));
  if (flags.only && flags.only.length > 0 && picked.length > 0) picked = selectJobs(picked, flags.only);
  if (picked.length === 0) {
    io.out(`nothing to retry: no job is ${states.join(' or ')}`);
    return 0;
  }
  const cost = addUsd(...picked.map((j) => j.cost.usd ?? 0));
  const unpriced = picked.filter((j) => j.cost.usd === null).length;
  io.out(`retry: ${picked.length} job(s) (${states.join(', ')}), new attempts cost ${formatSpend(cost, unpriced)}`);
  const decision = decideApproval({ costUsd: cost, totalUsd: cost, yes: Boolean(flags.yes), maxUsd: flags.maxUsd, tty: io.isTTY });
  if (decision.kind === 'refused') throw new NotApprovedError(decision.reason);
  if (decision.kind === 'ask' && !(await io.confirm(`Approve spending up to ${formatUsd(cost)} to retry ${picked.length} job(s)?`))) {
    throw new NotApprovedError('not approved; nothing was spent');
  }
  const catalog = await loadCatalog({ extraFiles: meta.catalogFiles });
  const missing = missingKeys(
    picked.map((j) => j.provider),
    io.env,
    meta.emulated,
    { catalog, settings: meta.providers },
  );
  if (missing.length > 0) throw new UsageError(`missing API key in the environment: ${missing.join(', ')}`);
  const ids = new Set(picked.map((j) => j.id));
  return executeAndFinish({
    io,
    signal,
    runDir,
    jobs: state.jobs,
    approvedUsd: addUsd(state.approvedUsd, cost),
    capUsd: state.capUsd !== undefined ? addUsd(state.capUsd, cost) : undefined,
    catalog,
    settings: meta.providers,
    post: meta.post,
    name: meta.name,
    flags: { ...flags, resubmitUnknown: flags.resubmitUnknown || states.includes('unknown') },
    emulate: meta.emulated,
    prior: state,
    requeue: ids,
  });
}
