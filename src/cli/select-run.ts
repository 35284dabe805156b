/**
 * Which of a plan's jobs this `run` takes, and what they newly cost: `--only` picks a subset, jobs the
 * run directory already knows cost nothing new (their money was approved before), and `--fit` takes
 * the new ones in manifest order while they fit, deferring the rest. Pure.
 */
import { UsageError } from '../errors.ts';
import { addUsd } from '../money.ts';
import type { Job } from '../plan/types.ts';
import { fitInOrder } from './fit.ts';
import { selectJobs } from './only.ts';

export interface RunSelection {
  /** Jobs this run is about (the checkpoint's plan), manifest order. */
  jobs: Job[];
  /** Of those, the ones the run directory has never seen: what approval is for. */
  added: Job[];
  addedUsd: number;
  /** Added jobs without a price: counted, never $0. */
  addedUnpriced: number;
  /** --fit: new jobs that did not fit, not submitted (a later `run` asks for them again). */
  deferred: Job[];
  deferredUsd: number;
}

export interface SelectInput {
  planJobs: readonly Job[];
  /** Ids the run directory has records for (earlier runs); undefined for a new run. */
  known?: ReadonlySet<string>;
  only?: readonly string[];
  fit?: boolean;
  maxUsd?: number;
  /** budget.max_usd minus what earlier runs already approved, when the manifest has a budget. */
  budgetRoomUsd?: number;
}

export function selectRun(i: SelectInput): RunSelection {
  const chosen = i.only && i.only.length > 0 ? selectJobs(i.planJobs, i.only) : [...i.planJobs];
  const added = chosen.filter((j) => !i.known?.has(j.id));
  let deferred: Job[] = [];
  let taken = added;
  if (i.fit) {
    const limits = [i.maxUsd, i.budgetRoomUsd].filter((n): n is number => n !== undefined);
    if (limits.length === 0) throw new UsageError('--fit needs a limit: --max-usd N, or budget.max_usd in the manifest');
    const fit = fitInOrder(added, Math.max(0, Math.min(...limits)));
    taken = fit.taken;
    deferred = fit.deferred;
  }
  const deferredIds = new Set(deferred.map((j) => j.id));
  return {
    jobs: chosen.filter((j) => !deferredIds.has(j.id)),
    added: taken,
    addedUsd: addUsd(...taken.map((j) => j.cost.usd ?? 0)),
    addedUnpriced: taken.filter((j) => j.cost.usd === null).length,
    deferred,
    deferredUsd: addUsd(...deferred.map((j) => j.cost.usd ?? 0)),
  };
}
