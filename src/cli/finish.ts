/** The back half shared by run, resume and post: post-steps from the checkpoint, then results and report. */
import type { PostStep } from '../manifest/types.ts';
import { runPostSteps } from '../media/post.ts';
import type { PostOutput } from '../media/post.ts';
import { writeReport } from '../report/html.ts';
import { writeResults } from '../report/results.ts';
import type { ReportItem } from '../report/types.ts';
import type { EventSink } from '../run/events.ts';
import { readRunState } from '../run/index.ts';
import type { JobRecord } from '../run/types.ts';

export interface Finished {
  items: ReportItem[];
  post: PostOutput[];
}

function plannedRecord(id: string): JobRecord {
  return { id, state: 'planned', attempts: 0, reservedUsd: 0, spentUsd: 0, timings: {} };
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
  const post = await runPostSteps({ runDir, steps, items, events, signal });
  await writeResults(runDir, items, post, { name });
  await writeReport(runDir, items, post, { name });
  return { items, post };
}
