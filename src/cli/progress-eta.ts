/**
 * The live view's ETA model: which jobs are left, render times seen per provider in this run, and the
 * estimate for the rest recomputed from them (eta.ts) as jobs finish, so the ETA uses observed render
 * times as soon as there are any.
 */
import type { RunEvent } from '../run/events.ts';
import { TERMINAL_STATES } from '../run/types.ts';
import type { LiveEta } from './eta.ts';

export function createEtaModel(eta: LiveEta, now: number): EtaModel {
  return { eta, unfinished: new Set(eta.unfinished), submittedAt: new Map(), renders: new Map(), at: now, stale: true };
}

/** The live ETA's inputs: which jobs are left, render times seen per provider, the last estimate. */
export interface EtaModel {
  eta: LiveEta;
  unfinished: Set<string>;
  submittedAt: Map<string, number>;
  renders: Map<string, number[]>;
  /** Seconds left at `at`; recomputed when `stale` (a job finished or a render time was seen). */
  seconds?: number;
  at: number;
  stale: boolean;
}

function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Refresh the model's estimate (at most once a second: it walks every unfinished job). */
export function refreshEta(m: EtaModel, now: number): void {
  if (m.seconds !== undefined && (!m.stale || now - m.at < 1000)) return;
  const observed = Object.fromEntries([...m.renders].map(([p, list]) => [p, median(list)]));
  m.seconds = m.unfinished.size > 0 ? m.eta.seconds(m.unfinished, observed) : 0;
  m.at = now;
  m.stale = false;
}

export function trackForEta(m: EtaModel, e: Extract<RunEvent, { kind: 'job.state' }>): void {
  if (e.to === 'submitted') m.submittedAt.set(e.job, e.at);
  const started = m.submittedAt.get(e.job);
  if ((e.to === 'succeeded' || e.to === 'failed') && started !== undefined) {
    const provider = m.eta.providerOf(e.job);
    if (provider) m.renders.set(provider, [...(m.renders.get(provider) ?? []), (e.at - started) / 1000]);
    m.submittedAt.delete(e.job);
    m.stale = true;
  }
  if (TERMINAL_STATES.includes(e.to)) {
    if (m.unfinished.delete(e.job)) m.stale = true;
  } else if (!m.unfinished.has(e.job)) {
    m.unfinished.add(e.job); // sent again (retry)
    m.stale = true;
  }
}
