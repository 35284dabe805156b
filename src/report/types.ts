// The report reads the same job + record pairs the post-steps build from; the type lives with them.
export type { ReportItem } from '../post/types.ts';
