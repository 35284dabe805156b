import type { Job } from '../plan/types.ts';
import type { JobRecord } from '../run/types.ts';

/** One job as the post-steps and the report see it: what was planned and what happened. */
export interface ReportItem {
  job: Job;
  record: JobRecord;
}
