/** Shared by `run` and `resume`: execute with progress and the event log, then post-steps and report. */
import { secretsFromEnv } from '../safety/text.ts';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { InterruptedError } from '../errors.ts';
import type { Catalog, ProviderLimits } from '../catalog/types.ts';
import type { PostStep, ProviderSettings } from '../manifest/types.ts';
import type { Job } from '../plan/types.ts';
import { executeRun, openEventLog } from '../run/index.ts';
import type { EventSink } from '../run/events.ts';
import { runPaths } from '../run/rundir.ts';
import type { EmulatorHandle } from '../emulator/types.ts';
import { formatUsd } from './format.ts';
import { emulatorCallbackSecrets, startInProcessEmulator } from './emulated.ts';
import { makeBinder } from './bindings.ts';
import { fanOut } from './events.ts';
import { postAndReport } from './finish.ts';
import type { CliIO } from './io.ts';
import { createProgress, recoveryText } from './progress.ts';

export interface ExecuteFlags {
  /** Re-hash every downloaded clip instead of trusting unchanged size + mtime + inode. */
  verify?: boolean;
  resubmitUnknown?: boolean;
  listen?: string;
  publicUrl?: string;
  submitPerMin?: number;
  maxInFlight?: number;
}

export interface ExecuteAndFinishOptions {
  io: CliIO;
  signal: AbortSignal;
  runDir: string;
  jobs: Job[];
  /** --fit: new jobs not taken this time (reported, not run). */
  deferred?: Job[];
  approvedUsd: number;
  capUsd?: number;
  catalog: Catalog;
  /** Non-secret per-provider settings (base URLs, limits) from the manifest. */
  settings: Record<string, ProviderSettings>;
  post: PostStep[];
  /** The run's name, for the report's title. */
  name: string;
  flags: ExecuteFlags;
  /**
   * Run against a fresh in-process emulator. Tasks from an earlier process were held by that process's
   * emulator and are gone with it; callbacks are verified with this emulator's secrets.
   */
  emulate: boolean;
  /** Run-directory writes that wait for the lock (see ExecuteOptions.beforeStart). */
  beforeStart?: () => Promise<void>;
}

function limitsOverride(flags: ExecuteFlags): Partial<ProviderLimits> | undefined {
  const o: Partial<ProviderLimits> = {};
  if (flags.submitPerMin !== undefined) o.submit_per_min = flags.submitPerMin;
  if (flags.maxInFlight !== undefined) o.max_in_flight = flags.maxInFlight;
  return Object.keys(o).length > 0 ? o : undefined;
}

export async function executeAndFinish(o: ExecuteAndFinishOptions): Promise<number> {
  const emulator = o.emulate ? await startInProcessEmulator(o.flags, o.io) : undefined;
  try {
    return await execute(o, emulator);
  } finally {
    await emulator?.stop();
  }
}

async function execute(o: ExecuteAndFinishOptions, emulator: EmulatorHandle | undefined): Promise<number> {
  // The event log refusing writes (disk full, read-only) stops the run like any other write to its directory.
  const logFailed = new AbortController();
  let logError: unknown;
  const signal = AbortSignal.any([o.signal, logFailed.signal]);
  setMaxListeners(0, signal);
  const bind = makeBinder({ catalog: o.catalog, settings: o.settings, env: o.io.env, emulator, runDir: o.runDir, clock: systemClock, signal });
  const log = await openEventLog(runPaths(o.runDir).events, (e) => {
    logError ??= e;
    logFailed.abort(e);
  });
  const progress = createProgress({ tty: o.io.isTTY, write: (s) => o.io.err(s), clock: systemClock });
  const notes: EventSink = (e) => {
    if (e.kind === 'checkpoint.recovered') o.io.err(`note: ${recoveryText(e)}`);
  };
  const events = fanOut(log.sink, progress.sink, notes);
  try {
    const callbacks =
      o.flags.listen && o.flags.publicUrl
        ? { listen: o.flags.listen, publicUrl: o.flags.publicUrl, secrets: emulator ? emulatorCallbackSecrets(emulator) : webhookSecrets(o.io.env) }
        : undefined;
    const outcome = await executeRun({
      runDir: o.runDir,
      jobs: o.jobs,
      approvedUsd: o.approvedUsd,
      capUsd: o.capUsd,
      bind,
      clock: systemClock,
      signal,
      events,
      secrets: secretsFromEnv(o.io.env),
      beforeStart: o.beforeStart,
      verifyClips: o.flags.verify,
      resubmitUnknown: o.flags.resubmitUnknown,
      abandonInFlight: emulator !== undefined,
      callbacks,
      limitsOverride: limitsOverride(o.flags),
    });
    progress.close();
    for (const m of outcome.messages) o.io.err(m);
    if (logError) throw logError;
    if (outcome.kind === 'interrupted') {
      throw new InterruptedError(`interrupted: checkpoint saved. Resume with: shotlist resume ${o.runDir}`);
    }
    const { post } = await postAndReport(o.runDir, o.post, events, signal, o.name);
    if (logError) throw logError;
    const counts = Object.entries(outcome.counts)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ');
    o.io.out(`done: ${counts}; spent ${formatUsd(outcome.spentUsd)} of ${formatUsd(o.approvedUsd)} approved`);
    const made = post.filter((p) => p.kind !== 'failed').length;
    o.io.out(`post-steps: ${made} output(s)${post.some((p) => p.kind === 'failed') ? ', some failed (see report)' : ''}`);
    o.io.out(`report: ${join(o.runDir, 'report.html')}`);
    return outcome.kind === 'completed' ? 0 : 1;
  } finally {
    progress.close();
    await log.close();
  }
}

/** Signing secrets for callback verification, from the environment only. */
function webhookSecrets(env: NodeJS.ProcessEnv): Partial<Record<string, string>> {
  return {
    openai: env.OPENAI_WEBHOOK_SECRET,
    replicate: env.REPLICATE_WEBHOOK_SECRET,
    sorapi: env.SORAPI_WEBHOOK_SECRET,
    fal: env.FAL_JWKS_URL ?? 'https://rest.alpha.fal.ai/.well-known/jwks.json',
  };
}
