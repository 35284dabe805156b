/**
 * results.csv: one row per job, written with csv-stringify. A UTF-8 BOM makes Excel read it as
 * UTF-8, and text cells that a spreadsheet would run as a formula are neutralized.
 */
import { stringify } from 'csv-stringify/sync';
import { REQUEST_COLUMNS } from '../manifest/request.ts';
import { TOP_LEVEL_REQUEST_FIELDS, type ResultJob, type Results } from './types.ts';

const TOP_LEVEL: ReadonlySet<string> = new Set(TOP_LEVEL_REQUEST_FIELDS);
/** A request field of a result by its on-disk name: at the job's top level (provider, model, tier, prompt) or a parameter. */
function requestValue(j: ResultJob, name: string): unknown {
  return Reflect.get(TOP_LEVEL.has(name) ? j : j.parameters, name);
}

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
  // The request's columns, named and ordered by its one mapping (src/manifest/request.ts).
  ...REQUEST_COLUMNS.map((name): [string, (j: ResultJob) => unknown] => [name, (j) => requestValue(j, name)]),
  ['wire_model', (j) => j.wireModel],
  ['size', (j) => j.parameters.size],
  ['state', (j) => j.state],
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
