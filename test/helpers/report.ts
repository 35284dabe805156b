/** Synthetic results for report-scale tests and the load benchmark: no clips on disk, no ffmpeg. */
import { buildResults, type Results } from '../../src/report/results.ts';
import type { ReportItem } from '../../src/report/types.ts';
import { makeJob } from '../media/helpers.ts';

const MODELS: Array<[string, string]> = [
  ['fal', 'veo-3.1'],
  ['replicate', 'kling-v3'],
  ['apidot', 'seedance-2-fast'],
  ['fal', 'wan-2.7'],
];

/** `n` downloaded jobs in shots of four models (n/4 comparison groups); every 50th failed, every 40th QC-flagged. */
export function syntheticResults(n: number): Results {
  const t0 = Date.UTC(2026, 10, 21, 9, 0, 0);
  const items: ReportItem[] = [];
  for (let i = 0; i < n; i++) {
    const [provider, model] = MODELS[i % MODELS.length]!;
    const shot = `shot-${String(Math.floor(i / MODELS.length)).padStart(5, '0')}`;
    const id = `job${String(i).padStart(6, '0')}`;
    const failed = i % 50 === 49;
    const job = makeJob({
      id,
      shot,
      index: Math.floor(i / MODELS.length),
      provider,
      model,
      seconds: 4,
      width: 1280,
      height: 720,
      prompt: `A lighthouse at dawn, waves rolling in, slow aerial orbit — variation ${Math.floor(i / MODELS.length)}`,
    });
    items.push({
      job,
      record: {
        id,
        state: failed ? 'failed' : 'downloaded',
        attempts: 1,
        task: { id: `task_${id}` },
        reservedUsd: 0,
        spentUsd: failed ? 0 : (job.cost.usd ?? 0),
        timings: { submittingAt: t0, submittedAt: t0 + 200, completedAt: t0 + 30_000, ...(failed ? {} : { downloadedAt: t0 + 31_000 }) },
        ...(failed
          ? { error: { code: 'moderation_blocked', message: 'blocked by the provider' } }
          : { clip: { path: `clips/${id}.mp4`, bytes: 1_000_000, sha256: id, durationS: 4, width: 1280, height: 720 } }),
      },
    });
  }
  const qc = new Map(
    items
      .filter((it) => it.record.clip)
      .map((it, k) => [
        it.job.id,
        k % 40 === 39 ? { ok: false, issues: [{ kind: 'black' as const, message: 'black for 4.0s' }] } : { ok: true, issues: [] },
      ]),
  );
  return buildResults(items, [], { name: `synthetic-${n}`, now: () => t0 + 60_000, qc });
}
