/**
 * `--fit`: take jobs in manifest order while they fit in the money available; the rest are deferred
 * (not submitted, not in the checkpoint) and come back as "added" — with a new approval — when the
 * manifest is run again. Pure.
 */
import { addUsd, toMicroUsd } from '../money.ts';
import type { Job } from '../plan/types.ts';

export interface FitResult {
  taken: Job[];
  deferred: Job[];
  takenUsd: number;
  deferredUsd: number;
}

/** In order, stopping at the first job that does not fit (later, cheaper jobs wait their turn). */
export function fitInOrder(jobs: readonly Job[], limitUsd: number): FitResult {
  const limit = toMicroUsd(limitUsd);
  let used = 0;
  let i = 0;
  for (const job of jobs) {
    const p = toMicroUsd(job.cost.usd ?? 0);
    if (used + p > limit) break;
    used += p;
    i++;
  }
  const taken = jobs.slice(0, i);
  const deferred = jobs.slice(i);
  return {
    taken,
    deferred,
    takenUsd: addUsd(...taken.map((j) => j.cost.usd ?? 0)),
    deferredUsd: addUsd(...deferred.map((j) => j.cost.usd ?? 0)),
  };
}
