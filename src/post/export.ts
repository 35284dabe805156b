/**
 * Picks become deliverables: the picked clips (and, on request, the stitched videos they are part
 * of) copied into a delivery folder under names from a template, plus a manifest of what was
 * delivered (source job, prompt, provider, model, cost, sha256) as JSON and CSV.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { neutralizeCell } from '../report/results-csv.ts';
import type { ResultJob, Results } from '../report/types.ts';

export const DEFAULT_NAME_TEMPLATE = '{brand}_{shot}_{aspect}_{seconds}s_{model}_take{take}';

/** Job ids from a picks CSV (the report's export, or any CSV with a `job_id`, `job` or `id` column). */
export function readPicks(csv: string): string[] {
  const rows: unknown = parse(csv, { columns: true, bom: true, skip_empty_lines: true, trim: true });
  if (!Array.isArray(rows)) return [];
  const ids: string[] = [];
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const id = ['job_id', 'job', 'id'].map((k) => Reflect.get(row, k)).find((v) => typeof v === 'string' && v !== '');
    if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** A file-name-safe piece: letters, digits, `.`, `-`; anything else becomes `-`. */
function safe(v: string): string {
  return (
    v
      .replace(/:/g, 'x')
      .replace(/[^\p{L}\p{N}.-]+/gu, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'x'
  );
}

/** The delivery file name (without extension) for one job. */
export function deliveryName(template: string, j: ResultJob, brand: string): string {
  const values: Record<string, string> = {
    brand,
    shot: j.shot,
    base: j.baseId,
    aspect: j.parameters.aspect,
    seconds: String(j.parameters.seconds),
    duration: String(j.parameters.seconds),
    resolution: j.parameters.resolution,
    size: j.parameters.size,
    provider: j.provider,
    model: j.model,
    take: String(j.take),
    seed: j.parameters.seed === null ? '' : String(j.parameters.seed),
    job: j.id,
    ...j.fields,
  };
  const name = template.replace(/\{\s*([\w.-]+)\s*\}/g, (_, k: string) => safe(values[k] ?? ''));
  return name.replace(/[/\\]/g, '-').replace(/^\.+/, '') || j.id;
}

export interface DeliveredFile {
  file: string;
  kind: 'clip' | 'stitched';
  job: string | null;
  shot: string | null;
  prompt: string | null;
  provider: string | null;
  model: string | null;
  cost_usd: number | null;
  source: string;
  sha256: string;
  bytes: number;
}

export interface ExportOptions {
  runDir: string;
  results: Results;
  picks: readonly string[];
  outDir: string;
  template?: string;
  brand?: string;
  /** Also deliver the stitched videos that contain a picked clip. */
  stitched?: boolean;
}

export type ExportOutcome = { kind: 'ok'; files: DeliveredFile[]; manifest: string } | { kind: 'invalid'; message: string };

async function sha256(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    if (!(chunk instanceof Buffer)) continue;
    h.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

export async function exportPicks(o: ExportOptions): Promise<ExportOutcome> {
  const byId = new Map(o.results.jobs.map((j) => [j.id, j]));
  const unknown = o.picks.filter((id) => !byId.has(id));
  if (unknown.length > 0) return { kind: 'invalid', message: `picks name jobs this run does not have: ${unknown.join(', ')}` };
  const picked = o.picks.map((id) => byId.get(id)).filter((j): j is ResultJob => !!j);
  const noClip = picked.filter((j) => !j.clip);
  if (noClip.length > 0)
    return { kind: 'invalid', message: `picked jobs without a clip: ${noClip.map((j) => `${j.id} (${j.state})`).join(', ')}` };
  if (picked.length === 0) return { kind: 'invalid', message: 'no picks to export' };
  const brand = o.brand ?? o.results.name ?? 'shotlist';
  const template = o.template ?? DEFAULT_NAME_TEMPLATE;
  await mkdir(o.outDir, { recursive: true });
  const used = new Set<string>();
  const unique = (name: string, ext: string): string => {
    let n = `${name}${ext}`;
    for (let i = 2; used.has(n); i++) n = `${name}-${i}${ext}`;
    used.add(n);
    return n;
  };
  const files: DeliveredFile[] = [];
  for (const j of picked) {
    const src = j.clip?.path ?? '';
    const name = unique(deliveryName(template, j, brand), extname(src) || '.mp4');
    await copyFile(join(o.runDir, src), join(o.outDir, name));
    const sum = await sha256(join(o.outDir, name));
    const cost = j.cost.spentUsd > 0 ? j.cost.spentUsd : j.cost.plannedUsd;
    files.push({
      file: name,
      kind: 'clip',
      job: j.id,
      shot: j.shot,
      prompt: j.prompt,
      provider: j.provider,
      model: j.model,
      cost_usd: cost,
      source: src,
      ...sum,
    });
  }
  if (o.stitched) {
    const ids = new Set(o.picks);
    for (const out of o.results.post) {
      if (out.step !== 'stitch' || out.kind === 'failed' || !out.inputs.some((id) => ids.has(id))) continue;
      await mkdir(join(o.outDir, 'stitched'), { recursive: true });
      const name = `stitched/${unique(safe(`${brand}_${basename(out.output, extname(out.output))}`), extname(out.output))}`;
      await copyFile(join(o.runDir, out.output), join(o.outDir, name));
      const sum = await sha256(join(o.outDir, name));
      files.push({
        file: name,
        kind: 'stitched',
        job: null,
        shot: null,
        prompt: null,
        provider: null,
        model: null,
        cost_usd: null,
        source: out.output,
        ...sum,
      });
    }
  }
  const manifest = join(o.outDir, 'delivery.json');
  await writeFile(manifest, JSON.stringify({ schema: 'shotlist.delivery/1', run: o.results.name, files }, null, 2) + '\n');
  const columns = ['file', 'kind', 'job', 'shot', 'prompt', 'provider', 'model', 'cost_usd', 'source', 'sha256', 'bytes'] as const;
  const rows = files.map((f) => columns.map((c) => neutralizeCell(f[c] ?? '')));
  await writeFile(
    join(o.outDir, 'delivery.csv'),
    stringify(rows, { bom: true, header: true, columns: [...columns], record_delimiter: 'windows' }),
  );
  return { kind: 'ok', files, manifest };
}
