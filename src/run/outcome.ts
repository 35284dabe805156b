/** How a run ended, in counts and plain sentences for the user. */
import { formatUsd } from '../money.ts';
import { join } from 'node:path';
import type { Job } from '../plan/types.ts';
import type { ProviderRuntime, RunContext } from './context.ts';
import type { EventSink } from './events.ts';
import { SUBMIT_GAVE_UP } from './submit.ts';
import { TERMINAL_STATES, type JobState } from './types.ts';

export type RunOutcome = {
  kind: 'completed' | 'completed_with_failures' | 'interrupted' | 'provider_stopped';
  counts: Partial<Record<JobState, number>>;
  spentUsd: number;
  messages: string[];
};

export interface OutcomeInput {
  jobs: Job[];
  signal: AbortSignal;
  events: EventSink;
}

export function finish(opts: OutcomeInput, ctx: RunContext, runtimes: Map<string, ProviderRuntime>): RunOutcome {
  const counts: Partial<Record<JobState, number>> = {};
  const plannedBy = new Map<string, number>();
  /** Planned because their creates kept failing (not the budget): count and the last reason seen. */
  let gaveUp = 0;
  let gaveUpWhy = '';
  const openBy = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const job of opts.jobs) {
    const state = ctx.cp.get(job.id)?.state ?? 'planned';
    counts[state] = (counts[state] ?? 0) + 1;
    const error = ctx.cp.get(job.id)?.error;
    if (state === 'planned' && error?.code === SUBMIT_GAVE_UP && !runtimes.get(job.provider)?.stopReason) {
      gaveUp++;
      gaveUpWhy = error.message;
    } else if (state === 'planned') bump(plannedBy, job.provider);
    else if (!TERMINAL_STATES.includes(state)) bump(openBy, job.provider);
  }
  const messages = [...ctx.messages];
  let stopped = false;
  for (const rt of runtimes.values()) {
    if (!rt.stopReason) continue;
    stopped = true;
    const open = openBy.get(rt.name) ?? 0;
    messages.push(
      `${rt.name} stopped taking work (${rt.stopReason}); ${plannedBy.get(rt.name) ?? 0} job(s) left planned${
        open > 0 ? ` and ${open} in flight` : ''
      }: add credit, then resume`,
    );
  }
  if (!opts.signal.aborted && !stopped) {
    const open = [...openBy.values()].reduce((a, b) => a + b, 0);
    if (open > 0) messages.push(`${open} job(s) could not be finished this time (see warnings above); resume to continue them`);
  }
  if (gaveUp > 0) messages.push(`${gaveUp} job(s) not submitted: the provider kept failing (${gaveUpWhy}); resume to retry them`);
  if (!opts.signal.aborted) {
    const overBudget = [...plannedBy].filter(([p]) => !runtimes.get(p)?.stopReason).reduce((n, [, c]) => n + c, 0);
    if (overBudget > 0) messages.push(`${overBudget} job(s) not submitted: they would pass the budget (${formatUsd(ctx.ledger.limitUsd)})`);
  }
  if (counts.unknown) {
    let heldUsd = 0;
    for (const job of opts.jobs) if (ctx.cp.get(job.id)?.state === 'unknown') heldUsd += job.cost.usd ?? 0;
    const manifest = join(ctx.runDir, 'manifest.yaml');
    messages.push(
      `${counts.unknown} job(s) unknown: a create may exist at the provider and be billed, so $${heldUsd.toFixed(2)} stays held. ` +
        `To submit them again (a possible second charge of up to $${heldUsd.toFixed(2)}, asked for approval): ` +
        `shotlist run ${manifest} --out ${ctx.runDir} --resubmit-unknown`,
    );
  }
  const spentUsd = ctx.ledger.spentUsd;
  opts.events({ kind: 'run.finished', at: ctx.clock.now(), counts, spentUsd });
  const kind = opts.signal.aborted
    ? 'interrupted'
    : stopped
      ? 'provider_stopped'
      : (counts.downloaded ?? 0) === opts.jobs.length
        ? 'completed'
        : 'completed_with_failures';
  return { kind, counts, spentUsd, messages };
}
