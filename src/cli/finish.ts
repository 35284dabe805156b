/** The back half shared by run, resume and post: post-steps from the checkpoint, then results and report. */
import type { PostStep } from '../manifest/types.ts';
import { makeClipResolver, probesOf } from '../post/clips.ts';
import { readQc } from '../post/qc.ts';
import { runPostSteps } from '../post/runner.ts';
import type { PostOutput } from '../post/runner.ts';
import { writeReportOf } from '../report/html.ts';
import { writeResults } from '../report/results.ts';
import type { ReportItem } from '../report/types.ts';
import type { EventSink } from '../run/events.ts';
import { plannedRecord, readRunState } from '../run/index.ts';

export interface Finished {
  items: ReportItem[];
  post: PostOutput[];
}

export async function postAndReport(
  runDir: string,
  steps: PostStep[],
  events: EventSink,
  signal?: AbortSignal,
  name?: string,
): Promise<Finished> {
  const state = await readRunState(runDir);
  if (!state) return { items: [], post: [] };
  const items: ReportItem[] = state.jobs.map((job) => ({ job, record: state.records[job.id] ?? plannedRecord(job.id) }));
  // One resolver: each clip is probed once for the post-steps and the results.
  const clips = makeClipResolver(runDir, items, signal);
  const post = await runPostSteps({ runDir, steps, items, events, signal, clips });
  const results = await writeResults(runDir, items, post, {
    name,
    probes: await probesOf(clips, items),
    qc: await readQc(runDir),
  });
  await writeReportOf(runDir, results);
  return { items, post };
}
