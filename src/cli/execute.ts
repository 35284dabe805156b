/** Shared by `run` and `resume`: execute with progress and the event log, then post-steps and report. */
import { secretsFromEnv } from '../safety/text.ts';
import { setMaxListeners } from 'node:events';
import { systemClock } from '../clock.ts';
import { InterruptedError } from '../errors.ts';
import type { Catalog, ProviderLimits } from '../catalog/types.ts';
import type { PostStep, ProviderSettings } from '../manifest/types.ts';
import type { Job } from '../plan/types.ts';
import { executeRun, openEventLog } from '../run/index.ts';
import type { EventSink } from '../run/events.ts';
import { runPaths } from '../run/rundir.ts';
import type { EmulatorHandle } from '../emulator/types.ts';
import { afterRun, exitCodeOf, renderRunEnd, runSummary, type QcFinished, type RunSummary } from './run-end.ts';
import { emulatorCallbackSecrets, startInProcessEmulator } from './emulated.ts';
import { makeBinder } from './bindings.ts';
import { fanOut } from './events.ts';
import { postAndReport } from './finish.ts';
import type { CliIO } from './io.ts';
import { liveEta, type EtaContext } from './eta.ts';
import { createPostView } from './post-view.ts';
import { createProgress, recoveryText } from './progress.ts';

import type { ExecuteFlags } from './execute-flags.ts';

export type { ExecuteFlags } from './execute-flags.ts';

export interface ExecuteAndFinishOptions {
  io: CliIO;
  signal: AbortSignal;
  runDir: string;
  jobs: Job[];
  /** --fit: new jobs not taken this time (reported, not run). */
  deferred?: Job[];
  /** `retry`: failed/expired/rejected jobs to send again (approved by the caller). */
  requeue?: ReadonlySet<string>;
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
  /** The run's state before this process (resume, retry, re-run): the ETA covers only what is left. */
  prior?: EtaContext['prior'];
}

function limitsOverride(flags: ExecuteFlags): Partial<ProviderLimits> | undefined {
  const o: Partial<ProviderLimits> = {};
  if (flags.submitPerMin !== undefined) o.submit_per_min = flags.submitPerMin;
  if (flags.maxInFlight !== undefined) o.max_in_flight = flags.maxInFlight;
  return Object.keys(o).length > 0 ? o : undefined;
}

export async function executeAndFinish(o: ExecuteAndFinishOptions): Promise<number> {
  const emulator = o.emulate ? await startInProcessEmulator(o.flags, o.io, o.catalog) : undefined;
  let summary: RunSummary | undefined;
  try {
    summary = await execute(o, emulator);
    return summary.exit_code;
  } catch (e) {
    // Interrupted, disk full, …: the run ended all the same, and a --notify hook wants to know.
    if (o.flags.notify) summary = await runSummary(o.runDir, exitCodeOf(e, o.signal), o.deferred ?? [], null).catch(() => undefined);
    throw e;
  } finally {
    await emulator?.stop();
    if (summary) await afterRun(summary, o.flags, o.io);
  }
}

async function execute(o: ExecuteAndFinishOptions, emulator: EmulatorHandle | undefined): Promise<RunSummary> {
  // The event log refusing writes (disk full, read-only) stops the run like any other write to its directory.
  const logFailed = new AbortController();
  let logError: unknown;
  const signal = AbortSignal.any([o.signal, logFailed.signal]);
  setMaxListeners(0, signal);
  const bind = makeBinder({
    catalog: o.catalog,
    settings: o.settings,
    env: o.io.env,
    emulator,
    runDir: o.runDir,
    clock: systemClock,
    signal,
  });
  const log = await openEventLog(runPaths(o.runDir).events, (e) => {
    logError ??= e;
    logFailed.abort(e);
  });
  const eta = liveEta(o.jobs, {
    catalog: o.catalog,
    settings: o.settings,
    prior: o.prior,
    emulated: emulator !== undefined,
    requeue: o.requeue,
  });
  const progress = createProgress({ tty: o.io.isTTY, write: (s) => o.io.err(s), clock: systemClock, eta });
  // The Ctrl-C notice is printed under the live frame just before the abort: keep it on screen.
  o.signal.addEventListener('abort', () => progress.release(), { once: true });
  let qc: QcFinished | undefined;
  const notes: EventSink = (e) => {
    if (e.kind === 'checkpoint.recovered') o.io.err(`note: ${recoveryText(e)}`);
    if (e.kind === 'qc.finished') qc = e;
  };
  const postView = createPostView({ tty: o.io.isTTY, write: (s) => o.io.err(s), clock: systemClock });
  const events = fanOut(log.sink, progress.sink, notes, postView.sink);
  try {
    const callbacks =
      o.flags.listen && o.flags.publicUrl
        ? {
            listen: o.flags.listen,
            publicUrl: o.flags.publicUrl,
            secrets: emulator ? emulatorCallbackSecrets(emulator) : webhookSecrets(o.io.env),
          }
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
      requeue: o.requeue,
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
    postView.close();
    if (logError) throw logError;
    const code = outcome.kind === 'completed' ? 0 : 1;
    const made = post.filter((p) => p.kind !== 'failed').length;
    const postFailed = post.filter((p) => p.kind === 'failed').length;
    const deferred = o.deferred ?? [];
    const summary = await runSummary(o.runDir, code, deferred, { outputs: made, failed: postFailed }, qc);
    if (o.flags.json) o.io.out(JSON.stringify(summary));
    else for (const line of renderRunEnd(summary, outcome, o.approvedUsd)) o.io.out(line);
    return summary;
  } finally {
    progress.close();
    postView.close();
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
