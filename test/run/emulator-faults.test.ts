/**
 * The executor against the real emulator and the real adapters, with faults injected: 503s, 429s
 * with Retry-After, dropped connections, truncated downloads, failed tasks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { probe } from '../../src/media/ffmpeg.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import { TERMINAL_STATES } from '../../src/run/types.ts';
import { createHash } from 'node:crypto';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob, recordingFetch, type LoggedRequest } from './emu-helpers.ts';

let emu: EmulatorHandle;
beforeAll(async () => {
  emu = await startEmulator({
    render: 'shared',
    seed: 7,
    faults: {
      apidot: { renderMs: 150, rate5xx: 0.12, rate429: 0.12, retryAfterS: 1, dropRate: 0.04, truncateRate: 0.25, taskFailRate: 0.1 },
      openai: { renderMs: 150, rate5xx: 0.08, rate429: 0.08, retryAfterS: 1, dropRate: 0.04, truncateRate: 0.2, taskFailRate: 0.1 },
    },
  });
});
afterAll(async () => {
  await emu?.stop();
});

const kindOf = (r: LoggedRequest): 'create' | 'status' | 'download' | 'other' => {
  const u = new URL(r.url);
  if (u.pathname.startsWith('/files/') || u.pathname.endsWith('/content')) return 'download';
  if (r.method === 'POST') return 'create';
  if (r.method === 'GET' && (/\/status\//.test(u.pathname) || /\/videos\/[^/]+$/.test(u.pathname))) return 'status';
  return 'other';
};

describe('executor under injected faults', () => {
  it('accounts for every job, honours Retry-After, never retries a rejection', async () => {
    const runDir = await tmpRunDir();
    const log: Record<string, LoggedRequest[]> = { apidot: [], openai: [] };
    const jobs = [
      ...Array.from({ length: 16 }, (_, i) => emuJob('apidot', i)),
      ...Array.from({ length: 12 }, (_, i) => emuJob('openai', i)),
      emuJob('apidot', 99, { seconds: 5, prompt: 'apidot reject me: 5 seconds is not a valid duration' }),
    ];
    const { events, sink } = collect();
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 100,
      bind: (name) => emuBinding(name as ProviderName, emu.baseUrls[name as ProviderName], recordingFetch(log[name]!)),
      clock: systemClock,
      signal: new AbortController().signal,
      events: sink,
      rng: () => 0.5,
    });
    const state = await readRunState(runDir);
    const records = jobs.map((j) => state!.records[j.id]!);
    // Every job ended in a final state and the counts add up.
    for (const r of records) expect(TERMINAL_STATES).toContain(r.state);
    expect(Object.values(out.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(jobs.length);
    expect(out.counts.downloaded ?? 0).toBeGreaterThan(jobs.length / 2);
    expect(out.counts.failed ?? 0).toBeGreaterThan(0);
    // The rejected job: once the provider said no, it was never sent again.
    const rejectedJob = jobs.at(-1)!;
    const sends = log.apidot!.filter((r) => r.body?.includes('reject me'));
    expect(sends.length).toBeGreaterThanOrEqual(1);
    // Earlier sends, if any, got no answer (429, 5xx). The last one was either answered with the
    // rejection — then the job is `rejected` — or its answer was dropped by the fault injector (which
    // draws by arrival order, so it varies with machine load) — then it may exist: `unknown`, never retried.
    const answered = sends.filter((r) => r.status !== undefined && r.status !== 429 && r.status < 500);
    const finalState = state!.records[rejectedJob.id]!.state;
    if (answered.length === 1) {
      expect(finalState).toBe('rejected');
      expect(sends.at(-1)).toBe(answered[0]);
    } else {
      expect(answered).toHaveLength(0);
      expect(finalState).toBe('unknown');
      expect(sends.at(-1)!.status).toBeUndefined();
    }
    // Faults really happened.
    const all = [...log.apidot!, ...log.openai!];
    expect(all.some((r) => r.status === 429)).toBe(true);
    expect(all.some((r) => r.status === 503 || r.status === 500)).toBe(true);
    expect(all.some((r) => r.error)).toBe(true);
    expect(events.some((e) => e.kind === 'job.retry' && /truncated|interrupted/.test(e.reason))).toBe(true);
    // No request went out before an advertised Retry-After had elapsed (submits after any 429 of
    // that provider, polls after a poll 429).
    for (const [, reqs] of Object.entries(log)) {
      for (const t of reqs.filter((r) => r.status === 429 && r.retryAfterMs)) {
        const until = t.doneAt! + t.retryAfterMs!;
        const scope = kindOf(t) === 'create' ? ['create'] : ['create', 'status'];
        const early = reqs.filter((r) => scope.includes(kindOf(r)) && r.sentAt > t.doneAt! + 1 && r.sentAt < until - 5);
        expect(early.map((r) => `${r.method} ${r.url} ${(r.sentAt - t.doneAt!).toFixed(0)} ms after a 429`)).toEqual([]);
      }
    }
    // Server-side truth: every task the emulator created belongs to exactly one job, or to a job
    // left `unknown` after a dropped create answer. No job was submitted twice.
    for (const p of ['apidot', 'openai'] as const) {
      const tasks = emu.tasks(p);
      const owned = records.filter((r) => r.task && jobs.find((j) => j.id === r.id)!.provider === p).map((r) => r.task!.id);
      expect(new Set(owned).size).toBe(owned.length);
      for (const id of owned) expect(tasks.some((t) => t.id === id)).toBe(true);
      const promptsOfUnknown = new Set(jobs.filter((j) => state!.records[j.id]!.state === 'unknown').map((j) => j.prompt));
      const byPrompt = new Map<string, number>();
      for (const t of tasks) byPrompt.set(t.prompt, (byPrompt.get(t.prompt) ?? 0) + 1);
      for (const [prompt, n] of byPrompt) {
        if (!promptsOfUnknown.has(prompt)) expect(n, prompt).toBe(1);
      }
    }
    // Downloaded clips are complete, match their recorded hash and probe as the requested video.
    for (const r of records.filter((x) => x.state === 'downloaded').slice(0, 4)) {
      const bytes = await readFile(join(runDir, r.clip!.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.clip!.sha256);
      const p = await probe(join(runDir, r.clip!.path));
      expect(p.video?.width).toBe(1280);
      expect(Math.abs(p.durationS - 4)).toBeLessThanOrEqual(0.5);
    }
    // Money: failed apidot tasks and rejections are free; spend = the downloaded jobs' prices (+ charged openai failures).
    const expected = records.reduce((s, r) => s + r.spentUsd, 0);
    expect(out.spentUsd).toBeCloseTo(expected, 6);
    expect(out.spentUsd).toBeGreaterThanOrEqual((out.counts.downloaded ?? 0) * 0.4 - 1e-9);
  });
});
