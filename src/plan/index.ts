export { buildPlan, type BuildPlanOptions } from './build.ts';
export { diffPlan, type PlanDiff } from './diff.ts';
export { planToJson, planJsonObject, type PlanJson } from './json.ts';
export { jobId, canonicalJson, type JobRequest } from './job-id.ts';
export { estimateEta, formatDuration, type Eta } from './eta.ts';
