/** `shotlist plan` and `shotlist validate`: read-only; never sends a request. */
import { resolve } from 'node:path';
import { diffPlan } from '../plan/index.ts';
import { planJsonFull } from '../plan/json.ts';
import { formatDiagnostic } from '../errors.ts';
import { readRunState } from '../run/index.ts';
import { defaultRunDir } from '../run/rundir.ts';
import { runDirLine } from './cmd-run.ts';
import { loadAndPlan, refuseIfOverBudget, type PlanFlags } from './context.ts';
import type { CliIO } from './io.ts';
import { renderPlan } from './render-plan.ts';

export async function planCommand(manifestPath: string, flags: PlanFlags & { json?: boolean; out?: string }, io: CliIO): Promise<number> {
  const { manifest, plan } = await loadAndPlan(manifestPath, io.cwd, flags);
  const runDir = flags.out ? resolve(io.cwd, flags.out) : defaultRunDir(manifest.file, manifest.name);
  const previous = await readRunState(runDir);
  if (flags.json) {
    const diff = previous
      ? diffPlan(
          previous.jobs.map((j) => j.id),
          plan,
        )
      : undefined;
    io.out(JSON.stringify(planJsonFull(plan, diff), null, 2));
    // The verdict is in the JSON; stderr says why the exit code is 3.
    if (plan.overBudget) io.err(`error: ${formatDiagnostic(plan.overBudget.diagnostic)}; nothing was spent`);
    return plan.overBudget ? 3 : 0;
  }
  io.out(
    renderPlan(
      plan,
      previous
        ? diffPlan(
            previous.jobs.map((j) => j.id),
            plan,
          )
        : undefined,
    ),
  );
  io.out(runDirLine(runDir, previous !== undefined));
  refuseIfOverBudget(plan);
  return 0;
}

export async function validateCommand(manifestPath: string, flags: PlanFlags, io: CliIO): Promise<number> {
  const { plan } = await loadAndPlan(manifestPath, io.cwd, flags);
  for (const w of plan.warnings) io.err(`warning: ${w}`);
  refuseIfOverBudget(plan);
  io.out(`ok: ${manifestPath} is valid (${plan.jobs.length} jobs)`);
  return 0;
}
