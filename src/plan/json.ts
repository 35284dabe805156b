/** `plan --json`: exactly DESIGN.md's machine-readable shape. */
import { sizeText } from '../catalog/sizes.ts';
import type { Plan } from './types.ts';

export interface PlanJson {
  jobs: Array<{
    id: string;
    shot: string;
    provider: string;
    model: string;
    seconds: number;
    size: string;
    cost: { usd: number | null; credits: number | null };
  }>;
  totals: { usd: number; credits: number; jobs: number };
  warnings: string[];
}

export function planJsonObject(plan: Plan): PlanJson {
  return {
    jobs: plan.jobs.map((j) => ({
      id: j.id,
      shot: j.shotId,
      provider: j.provider,
      model: j.model,
      seconds: j.seconds,
      size: sizeText(j.size),
      cost: { usd: j.cost.usd, credits: j.cost.credits },
    })),
    totals: { usd: plan.totals.usd, credits: plan.totals.credits, jobs: plan.totals.jobs },
    warnings: [...plan.warnings],
  };
}

/**
 * The full `plan --json`: DESIGN.md's shape plus what an operator scripts against — each job's
 * request (prompt, aspect, resolution, seed, parameters), the budget verdict (also when over), and
 * the kept/added/dropped job ids against an existing run directory.
 */
export function planJsonFull(
  plan: Plan,
  diff?: { kept: readonly { id: string }[]; added: readonly { id: string }[]; dropped: readonly string[]; addedUsd: number },
): Omit<PlanJson, 'totals'> & { totals: PlanJson['totals'] & { unpriced: number } } & Record<string, unknown> {
  const base = planJsonObject(plan);
  return {
    ...base,
    jobs: base.jobs.map((j, i) => {
      const job = plan.jobs[i];
      if (!job) return j;
      return {
        ...j,
        prompt: job.prompt,
        aspect: job.aspect,
        resolution: job.resolution,
        seed: job.seed ?? null,
        negative_prompt: job.negativePrompt ?? null,
        guidance: job.guidance ?? null,
        image: job.image ?? null,
        take: job.take,
        params: job.params,
        clip: `clips/${job.clipName ?? job.id}.mp4`,
      };
    }),
    totals: { ...base.totals, unpriced: plan.totals.unpriced },
    budget: plan.overBudget
      ? {
          verdict: 'over_budget',
          total_usd: plan.overBudget.totalUsd,
          max_usd: plan.overBudget.maxUsd,
          message: plan.overBudget.diagnostic.message,
        }
      : { verdict: 'ok', total_usd: plan.totals.usd, max_usd: null, message: null },
    changes: diff
      ? { kept: diff.kept.map((j) => j.id), added: diff.added.map((j) => j.id), dropped: [...diff.dropped], added_usd: diff.addedUsd }
      : null,
  };
}

/** The JSON text (2-space indent, trailing newline) the CLI prints. */
export function planToJson(plan: Plan): string {
  return JSON.stringify(planJsonObject(plan), null, 2) + '\n';
}
