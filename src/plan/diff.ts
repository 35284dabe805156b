/** What changed since a previous plan (or checkpoint): matched by job id, so only edited requests re-plan. */
import { roundUsd } from '../catalog/price.ts';
import type { Job, Plan } from './types.ts';

export interface PlanDiff {
  kept: Job[];
  added: Job[];
  /** Ids in the previous plan that this plan no longer has. */
  dropped: string[];
  /** Cost of the added jobs (unpriced ones count 0). */
  addedUsd: number;
}

export function diffPlan(previousJobIds: Iterable<string>, plan: Plan): PlanDiff {
  const prev = new Set(previousJobIds);
  const kept: Job[] = [];
  const added: Job[] = [];
  let addedUsd = 0;
  const current = new Set<string>();
  for (const j of plan.jobs) {
    current.add(j.id);
    if (prev.has(j.id)) kept.push(j);
    else {
      added.push(j);
      addedUsd += j.cost.usd ?? 0;
    }
  }
  const dropped = [...prev].filter((id) => !current.has(id));
  return { kept, added, dropped, addedUsd: roundUsd(addedUsd) };
}
