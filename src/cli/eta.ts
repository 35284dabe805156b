/**
 * The ETA a run shows, from the best knowledge at hand: the emulator's own speed under --emulate,
 * render times observed in this run (or recorded by an earlier one) as soon as there are any, the
 * catalog's typical times otherwise; and only for the jobs still to finish, so a resumed run does not
 * show the whole plan's estimate.
 */
import type { Catalog } from '../catalog/types.ts';
import type { ProviderSettings } from '../manifest/types.ts';
import { estimateEta, type Eta } from '../plan/eta.ts';
import type { Job } from '../plan/types.ts';
import { TERMINAL_STATES } from '../run/types.ts';
import { emulatedRenderTimes } from './emulated-speed.ts';
import { observedRenderSeconds, type RunStateView } from './summary.ts';

export interface EtaContext {
  catalog: Catalog;
  settings: Record<string, ProviderSettings>;
  /** The run's state before this process started (resume, retry, a re-run); absent for a new run. */
  prior?: Pick<RunStateView, 'jobs' | 'records'>;
  emulated: boolean;
  /** Final jobs sent again (retry): they are left to do too. */
  requeue?: ReadonlySet<string>;
}

/** Jobs not yet in a final state before this process started (all of them for a new run). */
export function jobsLeft(jobs: readonly Job[], c: Pick<EtaContext, 'prior' | 'requeue'>): Job[] {
  const prior = c.prior;
  if (!prior) return [...jobs];
  return jobs.filter((j) => c.requeue?.has(j.id) || !TERMINAL_STATES.includes(prior.records[j.id]?.state ?? 'planned'));
}

/** Render seconds per provider known before any job of this process finished. */
function knownRenderTimes(jobs: readonly Job[], c: EtaContext): Record<string, number> {
  if (c.emulated) return emulatedRenderTimes(jobs.map((j) => j.provider));
  return c.prior ? observedRenderSeconds({ jobs: c.prior.jobs, records: c.prior.records, approvedUsd: 0, spentUsd: 0 }) : {};
}

/** The estimate for what is left of `jobs`, as the plan shows it before approval. */
export function etaOfLeft(jobs: readonly Job[], c: EtaContext): Eta {
  const left = jobsLeft(jobs, c);
  return estimateEta(left, c.catalog, c.settings, knownRenderTimes(left, c));
}

/** What the live view needs to keep the estimate current as jobs finish (see progress.ts). */
export interface LiveEta {
  /** Ids of jobs left to finish when the run starts. */
  unfinished: ReadonlySet<string>;
  providerOf(jobId: string): string | undefined;
  /** Seconds for `unfinished`, with render times observed so far (per provider) taking precedence. */
  seconds(unfinished: ReadonlySet<string>, observed: Readonly<Record<string, number>>): number;
}

export function liveEta(jobs: readonly Job[], c: EtaContext): LiveEta {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const left = jobsLeft(jobs, c);
  const known = knownRenderTimes(left, c);
  return {
    unfinished: new Set(left.map((j) => j.id)),
    providerOf: (id) => byId.get(id)?.provider,
    seconds: (unfinished, observed) => {
      const rest = [...unfinished].flatMap((id) => byId.get(id) ?? []);
      return estimateEta(rest, c.catalog, c.settings, { ...known, ...observed }).seconds;
    },
  };
}
