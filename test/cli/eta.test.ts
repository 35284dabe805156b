/**
 * Issue 11: the ETA ignored the emulator ("~3 min" for a 20 s run), ignored render times already
 * observed, and a resumed run showed the whole plan's estimate. Now: the emulator's own speed under
 * --emulate, observed render times as soon as there are any, and only what is left.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { EMULATED_RENDER_S } from '../../src/cli/emulated-speed.ts';
import { etaOfLeft, jobsLeft, liveEta } from '../../src/cli/eta.ts';
import { createProgress } from '../../src/cli/progress.ts';
import { FakeClock } from '../../src/clock.ts';
import { estimateEta } from '../../src/plan/eta.ts';
import type { JobRecord, JobState } from '../../src/run/types.ts';
import { makeJobs } from '../run/helpers.ts';

const rec = (id: string, state: JobState, timings: JobRecord['timings'] = {}): JobRecord => ({
  id,
  state,
  attempts: 1,
  reservedUsd: 0,
  spentUsd: 0,
  timings,
});

describe('ETA', () => {
  it('a resumed run estimates only the jobs left, with the render times the earlier process observed', async () => {
    const catalog = await loadCatalog();
    const jobs = makeJobs(40);
    const records = Object.fromEntries(
      jobs.slice(0, 30).map((j) => [j.id, rec(j.id, 'downloaded', { submittedAt: 0, completedAt: 20_000 })]),
    );
    const prior = { jobs, records };
    expect(jobsLeft(jobs, { prior })).toHaveLength(10);
    const full = estimateEta(jobs, catalog);
    const left = etaOfLeft(jobs, { catalog, settings: {}, prior, emulated: false });
    expect(left.seconds).toBe(estimateEta(jobs.slice(30), catalog, {}, { apidot: 20 }).seconds);
    expect(left.seconds).toBeLessThan(full.seconds);
    // A retried job is left to do again.
    expect(jobsLeft(jobs, { prior, requeue: new Set([jobs[0]!.id]) })).toHaveLength(11);
  });

  it('under --emulate the estimate is the emulator’s speed, not the provider’s minutes', async () => {
    const catalog = await loadCatalog();
    const jobs = makeJobs(2);
    const real = etaOfLeft(jobs, { catalog, settings: {}, emulated: false });
    const emulated = etaOfLeft(jobs, { catalog, settings: {}, emulated: true });
    expect(real.seconds).toBeGreaterThan(60);
    expect(emulated.seconds).toBe(Math.round(EMULATED_RENDER_S));
  });

  it('the live view starts from the estimate and switches to observed render times as soon as a job finishes', async () => {
    const catalog = await loadCatalog();
    const jobs = makeJobs(100);
    const clock = new FakeClock();
    const out: string[] = [];
    const eta = liveEta(jobs, { catalog, settings: {}, emulated: false });
    const p = createProgress({ tty: false, write: (s) => out.push(s), clock, intervalMs: 1000, eta });
    const t0 = clock.now();
    p.sink({ kind: 'run.started', at: t0, jobs: 100, approvedUsd: 50, resumed: false, counts: { planned: 100 } });
    const catalogEta = estimateEta(jobs, catalog).seconds;
    expect(out[0]).toContain(`ETA ${fmt(catalogEta)}`);
    // One job renders in 3 s: the other 99 are estimated with 3 s renders, not the catalog's.
    p.sink({ kind: 'job.state', at: t0, job: jobs[0]!.id, from: 'submitting', to: 'submitted' });
    await clock.advance(3000);
    p.sink({ kind: 'job.state', at: clock.now(), job: jobs[0]!.id, from: 'submitted', to: 'succeeded' });
    p.sink({ kind: 'job.state', at: clock.now(), job: jobs[0]!.id, from: 'succeeded', to: 'downloaded' });
    await clock.advance(1000);
    const observed = estimateEta(jobs.slice(1), catalog, {}, { apidot: 3 }).seconds;
    expect(observed).toBeLessThan(catalogEta);
    expect(out.at(-1)).toMatch(new RegExp(`ETA (${fmt(observed)}|${fmt(observed - 1)})`));
    p.close();
  });
});

/** The live view's duration format (progress.ts). */
function fmt(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
