/** Shared by `run` and `resume`: execute with progress and the event log, then post-steps and report. */
import { secretsFromEnv } from '../safety/text.ts';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { InterruptedError } from '../errors.ts';
import type { Catalog, ProviderLimits } from '../catalog/types.ts';
import type { PostStep, ProviderSettings } from '../manifest/types.ts';
import type { Job } from '../plan/types.ts';
import { executeRun, openEventLog, readRunState } from '../run/index.ts';
import type { EventSink } from '../run/events.ts';
import { runPaths } from '../run/rundir.ts';
import type { EmulatorHandle } from '../emulator/types.ts';
import { formatSpend, formatUsd } from './format.ts';
import { buildStatus, renderFailures } from './summary.ts';
import { emulatorCallbackSecrets, startInProcessEmulator } from './emulated.ts';
import { makeBinder } from './bindings.ts';
import { fanOut } from './events.ts';
import { postAndReport } from './finish.ts';
import type { CliIO } from './io.ts';
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
}

function limitsOverride(flags: ExecuteFlags): Partial<ProviderLimits> | undefined {
  const o: Partial<ProviderLimits> = {};
  if (flags.submitPerMin !== undefined) o.submit_per_min = flags.submitPerMin;
  if (flags.maxInFlight !== undefined) o.max_in_flight = flags.maxInFlight;
  return Object.keys(o).length > 0 ? o : undefined;
}

export async function executeAndFinish(o: ExecuteAndFinishOptions): Promise<number> {
  const emulator = o.emulate ? await startInProcessEmulator(o.flags, o.io, o.catalog) : undefined;
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
  const progress = createProgress({ tty: o.io.isTTY, write: (s) => o.io.err(s), clock: systemClock });
  const notes: EventSink = (e) => {
    if (e.kind === 'checkpoint.recovered') o.io.err(`note: ${recoveryText(e)}`);
  };
  const events = fanOut(log.sink, progress.sink, notes);
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
    if (logError) throw logError;
    const code = outcome.kind === 'completed' ? 0 : 1;
    const state = await readRunState(o.runDir);
    const status = state ? buildStatus(o.runDir, state, undefined, null) : undefined;
    const made = post.filter((p) => p.kind !== 'failed').length;
    const postFailed = post.filter((p) => p.kind === 'failed').length;
    const report = join(o.runDir, 'report.html');
    const deferred = o.deferred ?? [];
    if (o.flags.json) {
      o.io.out(
        JSON.stringify({
          exit_code: code,
          ...status,
          deferred: deferred.map((j) => j.id),
          post: { outputs: made, failed: postFailed },
          report,
        }),
      );
      return code;
    }
    const counts = Object.entries(outcome.counts)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    const spent = formatSpend(outcome.spentUsd, status?.unpriced.charged ?? 0);
    o.io.out(`done: ${counts}; spent ${spent} of ${formatUsd(o.approvedUsd)} approved`);
    if (status && status.failures.length > 0) {
      o.io.out('failures by reason:');
      for (const line of renderFailures(status.failures)) o.io.out(line);
      o.io.out(`  retry them with: shotlist retry ${o.runDir}`);
    }
    if (deferred.length > 0) {
      o.io.out(`deferred: ${deferred.length} job(s) not submitted (--fit); run the manifest again to approve them`);
    }
    o.io.out(`post-steps: ${made} output(s)${postFailed > 0 ? ', some failed (see report)' : ''}`);
    o.io.out(`report: ${report}`);
    return code;
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
