/** `shotlist run <manifest>`: plan → approve → execute → post-steps → report. */
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { systemClock } from '../clock.ts';
import { NotApprovedError, UsageError } from '../errors.ts';
import { diffPlan } from '../plan/index.ts';
import { readRunState } from '../run/index.ts';
import { defaultRunDir, runPaths, writeErrorOf, writeFileAtomic } from '../run/rundir.ts';
import { decideApproval } from './approve.ts';
import { formatSpend, formatUsd } from './format.ts';
import { addUsd } from '../money.ts';
import { selectRun } from './select-run.ts';
import { missingKeys } from './bindings.ts';
import { loadAndPlan, refuseIfOverBudget, type PlanFlags } from './context.ts';
import { etaOfLeft } from './eta.ts';
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
  /** Take the new jobs in manifest order while they fit in --max-usd / budget.max_usd; defer the rest. */
  fit?: boolean;
  /** Selectors: shot ids, provider=…, model=…, rows=A..B (see only.ts). */
  only?: string[];
  json?: boolean;
}

export async function runCommand(manifestPath: string, flags: RunFlags, io: CliIO, signal: AbortSignal): Promise<number> {
  const { manifest, catalog, plan } = await loadAndPlan(manifestPath, io.cwd, flags);
  const runDir = flags.out ? resolve(io.cwd, flags.out) : defaultRunDir(manifest.file, manifest.name);
  const previous = await readRunState(runDir);
  const diff = previous
    ? diffPlan(
        previous.jobs.map((j) => j.id),
        plan,
      )
    : undefined;
  // With --json, stdout carries only the final JSON summary: the plan goes to stderr.
  const say = (t: string) => (flags.json ? io.err(t) : io.out(t));
  // The estimate is for what is left (a re-run of a half-done run is not the whole plan), at the
  // emulator's speed under --emulate, with the render times an earlier run observed.
  const eta = etaOfLeft(plan.jobs, { catalog, settings: manifest.providers, prior: previous, emulated: Boolean(flags.emulate) });
  say(renderPlan({ ...plan, eta }, diff));
  say(runDirLine(runDir, previous !== undefined));
  const budgetMax = manifest.budget.max_usd;
  const sel = selectRun({
    planJobs: plan.jobs,
    known: previous ? new Set(Object.keys(previous.records)) : undefined,
    only: flags.only,
    fit: flags.fit,
    maxUsd: flags.maxUsd,
    budgetRoomUsd: budgetMax !== undefined ? budgetMax - (previous?.approvedUsd ?? 0) : undefined,
  });
  // --fit and --only decide against the budget themselves; a whole plan over it is refused.
  if (!flags.fit && !flags.only) refuseIfOverBudget(plan);
  if (flags.only) say(`--only: ${sel.jobs.length} of ${plan.jobs.length} job(s) selected`);
  if (sel.deferred.length > 0) {
    say(
      `--fit: ${sel.added.length} new job(s) fit (${formatSpend(sel.addedUsd, sel.addedUnpriced)}); ${sel.deferred.length} deferred (${formatUsd(sel.deferredUsd)}) — run again to approve them`,
    );
  }

  const missing = missingKeys(
    sel.jobs.map((j) => j.provider),
    io.env,
    Boolean(flags.emulate),
    { catalog, settings: manifest.providers },
  );
  if (missing.length > 0) {
    throw new UsageError(`missing API key in the environment: ${missing.join(', ')} (or pass --emulate to use the local emulator)`);
  }

  // Unknown jobs may exist at the provider: their cost stays held. Resubmitting them is new money,
  // so --resubmit-unknown asks approval for it (the approval grows by that much) instead of failing to fit.
  const unknownJobs = plan.jobs.filter((j) => previous?.records[j.id]?.state === 'unknown');
  const unknownUsd = unknownJobs.reduce((n, j) => addUsd(n, j.cost.usd ?? 0), 0);
  if (unknownJobs.length > 0) {
    io.out(
      `${unknownJobs.length} unknown job(s) hold ${formatUsd(unknownUsd)} (a create may exist at the provider)${
        flags.resubmitUnknown ? `; --resubmit-unknown adds up to ${formatUsd(unknownUsd)} to the approval (a possible second charge)` : ''
      }`,
    );
  }
  // Approval is for what this run newly commits: the added (and fitted) jobs, not the whole plan again.
  const newCost = flags.resubmitUnknown ? addUsd(sel.addedUsd, unknownUsd) : sel.addedUsd;
  // With --fit, --max-usd N already chose what to take (it all fits in N): that is the approval.
  const decision = decideApproval({
    costUsd: newCost,
    totalUsd: plan.totals.usd,
    yes: Boolean(flags.yes) || (Boolean(flags.fit) && flags.maxUsd !== undefined),
    maxUsd: flags.fit ? undefined : flags.maxUsd,
    tty: io.isTTY,
  });
  if (decision.kind === 'refused') throw new NotApprovedError(decision.reason);
  const what =
    sel.addedUnpriced > 0 ? `${formatSpend(newCost, sel.addedUnpriced)} (unpriced jobs are not bounded by any cap)` : formatUsd(newCost);
  if (decision.kind === 'ask' && !(await io.confirm(`Approve spending up to ${what} (run directory ${runDir})?`))) {
    throw new NotApprovedError('not approved; nothing was spent');
  }
  const previouslyApproved = previous?.approvedUsd ?? 0;
  // --max-usd N approves N of new money: the cap is what earlier runs approved plus N.
  const flagCap = flags.maxUsd !== undefined ? addUsd(previouslyApproved, flags.maxUsd) : undefined;
  const caps = [budgetMax, flagCap].filter((n): n is number => typeof n === 'number');
  const capUsd = caps.length > 0 ? Math.min(...caps) : undefined;
  const approvedUsd = addUsd(previouslyApproved, newCost);

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
    jobs: sel.jobs,
    deferred: sel.deferred,
    approvedUsd,
    capUsd,
    catalog,
    settings: manifest.providers,
    post: manifest.post,
    name: manifest.name,
    flags,
    emulate: Boolean(flags.emulate),
    beforeStart,
    prior: previous,
  });
}

/** Which run directory the plan is for: the user sees it before approving anything. */
export function runDirLine(runDir: string, existing: boolean): string {
  return `run directory: ${runDir}${existing ? ' (existing run: kept jobs are not paid again)' : ' (new)'}`;
}
