/**
 * The documented shape of `shotlist status --json` (and of `run --json`'s status part): a zod schema,
 * exported to schemas/status.schema.json by `npm run schemas` (a test keeps the two in sync).
 */
import { z } from 'zod';

const counts = z
  .record(z.string(), z.number().int().nonnegative())
  .describe('jobs per state (planned, submitting, …, downloaded, failed, unknown)');

export const statusSchema = z
  .strictObject({
    run_dir: z.string(),
    state: z
      .enum(['running', 'stopped', 'finished'])
      .describe('running: a live process holds the lock on this host; finished: every job reached a final state'),
    running: z.boolean(),
    lock: z
      .strictObject({ pid: z.number().int(), started_at: z.string(), live: z.boolean() })
      .nullable()
      .describe('the run.lock file, if any (a dead owner leaves a stale lock)'),
    jobs: z.number().int().nonnegative(),
    counts,
    by_provider: z.record(z.string(), counts),
    spent_usd: z.number().describe('priced spend so far; unpriced jobs are counted in `unpriced`, never as $0'),
    reserved_usd: z.number().describe('reserved for jobs in flight, plus held amounts of unreconciled creates'),
    approved_usd: z.number(),
    cap_usd: z.number().nullable(),
    unpriced: z.strictObject({ jobs: z.number().int().nonnegative(), charged: z.number().int().nonnegative() }),
    failures: z.array(
      z.strictObject({
        reason: z.string().describe('error code, or the state when there is none'),
        count: z.number().int().positive(),
        jobs: z.array(z.string()).describe('the first few job ids'),
        message: z.string(),
      }),
    ),
    eta_seconds: z
      .number()
      .nullable()
      .describe('time left for the unfinished jobs (observed render times when known); null when nothing is left'),
  })
  .describe('shotlist status --json');

export type StatusJson = z.infer<typeof statusSchema>;

export function statusSchemaFiles(): Record<string, string> {
  const schema = { title: 'shotlist status --json', ...z.toJSONSchema(statusSchema, { target: 'draft-7' }) };
  return { 'status.schema.json': JSON.stringify(schema, null, 2) + '\n' };
}
