/**
 * results.csv: one row per job, written with csv-stringify. A UTF-8 BOM makes Excel read it as
 * UTF-8, and text cells that a spreadsheet would run as a formula are neutralized.
 */
import { stringify } from 'csv-stringify/sync';
import type { ResultJob, Results } from './types.ts';

/**
 * A text cell starting with = + - @ (or tab / CR, which some spreadsheets skip before parsing)
 * is prefixed with `'` so it is shown as text, never evaluated. Numbers are left as they are.
 */
export function neutralizeCell(v: unknown): unknown {
  return typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

/** Column name → value, in file order. */
const COLUMNS: ReadonlyArray<[string, (j: ResultJob) => unknown]> = [
  ['id', (j) => j.id],
  ['shot', (j) => j.shot],
  ['base_id', (j) => j.baseId],
  ['take', (j) => j.take],
  ['provider', (j) => j.provider],
  ['model', (j) => j.model],
  ['wire_model', (j) => j.wireModel],
  ['state', (j) => j.state],
  ['prompt', (j) => j.prompt],
  ['seconds', (j) => j.parameters.seconds],
  ['aspect', (j) => j.parameters.aspect],
  ['resolution', (j) => j.parameters.resolution],
  ['size', (j) => j.parameters.size],
  ['seed', (j) => j.parameters.seed],
  ['image', (j) => j.parameters.image],
  ['task_id', (j) => j.taskId],
  ['attempts', (j) => j.attempts],
  ['planned_usd', (j) => j.cost.plannedUsd],
  ['spent_usd', (j) => j.cost.spentUsd],
  ['clip', (j) => j.clip?.path],
  ['sha256', (j) => j.clip?.sha256],
  ['duration_s', (j) => j.clip?.durationS],
  ['width', (j) => j.clip?.width],
  ['height', (j) => j.clip?.height],
  ['thumbnail', (j) => j.thumbnail],
  ['submitted_at', (j) => j.timings.submittedAt],
  ['completed_at', (j) => j.timings.completedAt],
  ['downloaded_at', (j) => j.timings.downloadedAt],
  ['generation_s', (j) => j.timings.generationS],
  ['error_code', (j) => j.error?.code],
  ['error_message', (j) => j.error?.message],
  ['qc', (j) => (j.qc ? (j.qc.ok ? 'ok' : 'flagged') : '')],
  ['qc_issues', (j) => j.qc?.issues.map((i) => `${i.kind}: ${i.message}`).join('; ')],
];

export const CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

export function resultsCsv(results: Results): string {
  const rows = results.jobs.map((j) => COLUMNS.map(([, get]) => neutralizeCell(get(j) ?? '')));
  return stringify(rows, {
    bom: true,
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    cast: { boolean: (b) => String(b), number: (n) => String(n) },
  });
}
