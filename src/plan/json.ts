/** `plan --json`: exactly DESIGN.md's machine-readable shape. */
import { sizeText } from '../catalog/sizes.ts';
import type { Plan } from './types.ts';

export interface PlanJson {
  jobs: Array<{ id: string; shot: string; provider: string; model: string; seconds: number; size: string; cost: { usd: number | null; credits: number | null } }>;
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

/** The JSON text (2-space indent, trailing newline) the CLI prints. */
export function planToJson(plan: Plan): string {
  return JSON.stringify(planJsonObject(plan), null, 2) + '\n';
}
