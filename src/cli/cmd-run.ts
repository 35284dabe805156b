/** `shotlist run <manifest>`: plan → approve → execute → post-steps → report. */
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock } from '../clock.ts';
import { NotApprovedError, UsageError } from '../errors.ts';
import { diffPlan } from '../plan/index.ts';
import { readRunState } from '../run/index.ts';
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
  const runDir = resolve(io.cwd, flags.out ?? join('runs', manifest.name));
  const previous = await readRunState(runDir);
  const diff = previous ? diffPlan(previous.jobs.map((j) => j.id), plan) : undefined;
  io.out(renderPlan(plan, diff));
  refuseIfOverBudget(plan);

  const missing = missingKeys(plan.jobs.map((j) => j.provider), io.env, Boolean(flags.emulate));
  if (missing.length > 0) {
    throw new UsageError(`missing API key in the environment: ${missing.join(', ')} (or pass --emulate to use the local emulator)`);
  }

  const newCost = diff ? diff.addedUsd : plan.totals.usd;
  const decision = decideApproval({ costUsd: newCost, totalUsd: plan.totals.usd, yes: Boolean(flags.yes), maxUsd: flags.maxUsd, tty: io.isTTY });
  if (decision.kind === 'refused') throw new NotApprovedError(decision.reason);
  if (decision.kind === 'ask' && !(await io.confirm(`Approve spending up to ${formatUsd(newCost)}?`))) {
    throw new NotApprovedError('not approved; nothing was spent');
  }
  const caps = [manifest.budget.max_usd, decision.kind === 'approved' ? decision.capUsd : undefined].filter(
    (n): n is number => typeof n === 'number',
  );
  const capUsd = caps.length > 0 ? Math.min(...caps) : undefined;
  const approvedUsd = (previous?.approvedUsd ?? 0) + newCost;

  await mkdir(runDir, { recursive: true });
  await copyFile(manifest.file, join(runDir, 'manifest.yaml'));
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
  });
}
