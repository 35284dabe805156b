/** `shotlist run <manifest>`: plan → approve → execute → post-steps → report. */
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { systemClock } from '../clock.ts';
import { NotApprovedError, UsageError } from '../errors.ts';
import { diffPlan } from '../plan/index.ts';
import { readRunState } from '../run/index.ts';
import { defaultRunDir, runPaths, writeErrorOf, writeFileAtomic } from '../run/rundir.ts';
import { decideApproval } from './approve.ts';
import { formatUsd } from './format.ts';
import { missingKeys } from './bindings.ts';
import { loadAndPlan, refuseIfOverBudget, type PlanFlags } from './context.ts';
import { executeAndFinish } from './execute.ts';
import type { CliIO } from './io.ts';
import { renderPlan } from './render-plan.ts';
import { writeRunMeta } from './run-meta.ts';

export interface RunFlags extends PlanFlags {
  out?: string;
  yes?: boolean;
  maxUsd?: number;
  emulate?: boolean;
  resubmitUnknown?: boolean;
  listen?: string;
  publicUrl?: string;
  submitPerMin?: number;
  maxInFlight?: number;
}

export async function runCommand(manifestPath: string, flags: RunFlags, io: CliIO, signal: AbortSignal): Promise<number> {
  const { manifest, catalog, plan } = await loadAndPlan(manifestPath, io.cwd, flags);
  const runDir = flags.out ? resolve(io.cwd, flags.out) : defaultRunDir(manifest.file, manifest.name);
  const previous = await readRunState(runDir);
  const diff = previous ? diffPlan(previous.jobs.map((j) => j.id), plan) : undefined;
  io.out(renderPlan(plan, diff));
  io.out(runDirLine(runDir, previous !== undefined));
  refuseIfOverBudget(plan);

  const missing = missingKeys(plan.jobs.map((j) => j.provider), io.env, Boolean(flags.emulate), { catalog, settings: manifest.providers });
  if (missing.length > 0) {
    throw new UsageError(`missing API key in the environment: ${missing.join(', ')} (or pass --emulate to use the local emulator)`);
  }

  const newCost = diff ? diff.addedUsd : plan.totals.usd;
  const decision = decideApproval({ costUsd: newCost, totalUsd: plan.totals.usd, yes: Boolean(flags.yes), maxUsd: flags.maxUsd, tty: io.isTTY });
  if (decision.kind === 'refused') throw new NotApprovedError(decision.reason);
  if (decision.kind === 'ask' && !(await io.confirm(`Approve spending up to ${formatUsd(newCost)} (run directory ${runDir})?`))) {
    throw new NotApprovedError('not approved; nothing was spent');
  }
  const caps = [manifest.budget.max_usd, decision.kind === 'approved' ? decision.capUsd : undefined].filter(
    (n): n is number => typeof n === 'number',
  );
  const capUsd = caps.length > 0 ? Math.min(...caps) : undefined;
  const approvedUsd = (previous?.approvedUsd ?? 0) + newCost;

  // Only the folder now (the lock lives in it); its files are written once the run holds the lock.
  const manifestText = await readFile(manifest.file);
  await mkdir(runDir, { recursive: true }).catch((e: unknown) => {
    throw writeErrorOf(e) ?? e;
  });
  const beforeStart = async (): Promise<void> => {
    await writeFileAtomic(runPaths(runDir).manifest, manifestText);
    await writeRunMeta(runDir, {
      version: 1,
      name: manifest.name,
      manifestFile: manifest.file,
      createdAt: new Date(systemClock.now()).toISOString(),
      providers: manifest.providers,
      post: manifest.post,
      catalogFiles: manifest.catalogFiles,
      emulated: Boolean(flags.emulate),
    });
  };

  return executeAndFinish({
    io,
    signal,
    runDir,
    jobs: plan.jobs,
    approvedUsd,
    capUsd,
    catalog,
    settings: manifest.providers,
    post: manifest.post,
    name: manifest.name,
    flags,
    emulate: Boolean(flags.emulate),
    beforeStart,
  });
}

/** Which run directory the plan is for: the user sees it before approving anything. */
export function runDirLine(runDir: string, existing: boolean): string {
  return `run directory: ${runDir}${existing ? ' (existing run: kept jobs are not paid again)' : ' (new)'}`;
}
