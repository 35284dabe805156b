/**
 * Benchmark: a 100,000-row CSV manifest through loadManifest + buildPlan, against csv-parse alone
 * on the same file. Each measurement runs in a fresh child process so peak RSS (maxRSS) is its own.
 *   node --import tsx bench/plan.bench.ts [rows]
 * Goals: load+plan ≤ 2 s, peak RSS ≤ 500 MB, ratio to csv-parse ≤ 3×.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const SUBJECTS = ['red fox', 'paper lantern', 'vintage bicycle', 'glass teapot', 'snow owl', 'copper robot', 'origami crane', 'sailboat'];
const SETTINGS = ['misty forest', 'neon alley', 'sunlit kitchen', 'frozen lake', 'rooftop garden', 'desert canyon', 'coral reef'];

export function makeCsv(rows: number): string {
  const out = ['id,prompt,seconds,aspect,resolution,subject,setting,n'];
  for (let i = 1; i <= rows; i++) {
    const prompt = i % 2 ? '"A {subject} in a {setting}, take {n}"' : `"Close-up of a ${SUBJECTS[i % SUBJECTS.length]}, ""variant"" ${i}"`;
    out.push(
      `r${i},${prompt},${[2, 5, 10][i % 3]},${i % 4 ? '16:9' : '9:16'},${i % 5 ? '720p' : '1080p'},${SUBJECTS[i % SUBJECTS.length]},${SETTINGS[i % SETTINGS.length]},${i}`,
    );
  }
  return out.join('\n') + '\n';
}

interface ChildResult {
  ms: Record<string, number>;
  /** CPU time (user + system) of the measured section: steadier than wall time on a busy machine. */
  cpuMs: number;
  jobs?: number;
  records?: number;
  usd?: number;
  maxRssMb: number;
}

async function child(mode: string, file: string): Promise<ChildResult> {
  const ms: Record<string, number> = {};
  const cpu = (since: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  if (mode === 'csv-parse') {
    const { parse } = await import('csv-parse/sync');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const records = parse(readFileSync(file, 'utf8')) as unknown[];
    ms.total = performance.now() - t0;
    return { ms, cpuMs: cpu(c0), records: records.length, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  }
  const { loadManifest } = await import('../src/manifest/load.ts');
  const { loadCatalog } = await import('../src/catalog/load.ts');
  const { buildPlan } = await import('../src/plan/build.ts');
  const catalog = await loadCatalog();
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  const manifest = await loadManifest(file, { provider: 'fal', model: 'wan-2.7' });
  const t2 = performance.now();
  const plan = buildPlan(manifest, catalog, { today: '2026-11-21' });
  const t3 = performance.now();
  if (plan.errors.length) throw new Error(`plan errors: ${plan.errors[0]!.message}`);
  ms.load = t2 - t1;
  ms.plan = t3 - t2;
  ms.total = t3 - t1;
  return { ms, cpuMs: cpu(c1), jobs: plan.jobs.length, usd: plan.totals.usd, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

function runChild(mode: string, file: string): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', mode, file], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function best(mode: string, file: string, runs: number): ChildResult {
  let b: ChildResult | undefined;
  for (let i = 0; i < runs; i++) {
    const r = runChild(mode, file);
    if (!b || r.ms.total! < b.ms.total!) b = r;
  }
  return b!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(await child(args[1]!, args[2]!)) + '\n');
    return;
  }
  const rows = Number(args[0] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'shotlist-bench-'));
  try {
    const file = join(dir, 'overnight.csv');
    writeFileSync(file, makeCsv(rows));
    const base = best('csv-parse', file, 3);
    const ours = best('shotlist', file, 3);
    const ratio = ours.ms.total! / base.ms.total!;
    const cpuRatio = ours.cpuMs / base.cpuMs;
    const f = (n: number) => n.toFixed(0);
    const lines = [
      `rows                      ${rows}   (best of 3 runs each, fresh process per run; load avg ${loadavg()[0]!.toFixed(1)})`,
      `jobs                      ${ours.jobs}`,
      `plan total usd            ${ours.usd}`,
      `csv-parse alone ms        ${f(base.ms.total!)}`,
      `loadManifest ms           ${f(ours.ms.load!)}`,
      `buildPlan ms              ${f(ours.ms.plan!)}`,
      `load+plan ms              ${f(ours.ms.total!)}   (goal <= 2000)  ${ours.ms.total! <= 2000 ? 'OK' : 'OVER'}`,
      `load+plan cpu ms          ${f(ours.cpuMs)}`,
      `csv-parse alone cpu ms    ${f(base.cpuMs)}`,
      `ratio to csv-parse        ${ratio.toFixed(2)}x  (goal <= 3x)  ${ratio <= 3 ? 'OK' : 'OVER'}`,
      `ratio to csv-parse (cpu)  ${cpuRatio.toFixed(2)}x`,
      `peak RSS load+plan MB     ${f(ours.maxRssMb)}   (goal <= 500)  ${ours.maxRssMb <= 500 ? 'OK' : 'OVER'}`,
      `peak RSS csv-parse MB     ${f(base.maxRssMb)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
