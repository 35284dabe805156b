import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { getJson, postJson, until } from './helpers.ts';

describe('emulator under load (shared renders)', () => {
  it('creates, completes and serves 1,000 tasks with one render per size × seconds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-load-'));
    const clock = new FakeClock();
    const emu = await startEmulator({ clock, render: 'shared', dataDir: dir, faults: { apidot: { renderMs: 60_000 } } });
    try {
      const limit = pLimit(32);
      const n = 1000;
      const t0 = performance.now();
      const ids = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          limit(async () => {
            const r = await postJson(`${emu.baseUrls.apidot}/api/generate/submit`, {
              model: 'sora-2-official',
              input: { prompt: `load ${i}`, duration: i % 2 ? 4 : 8 },
            });
            return r.body.data.task_id as string;
          }),
        ),
      );
      const createMs = performance.now() - t0;
      expect(new Set(ids).size).toBe(n);
      await clock.advance(60_000);
      const t1 = performance.now();
      const finished = await Promise.all(
        ids.map((id) =>
          limit(() =>
            until(async () => {
              const s = await getJson(`${emu.baseUrls.apidot}/api/generate/status/${id}`);
              return s.body.data.status === 'finished' ? s.body.data : undefined;
            }),
          ),
        ),
      );
      const pollMs = performance.now() - t1;
      expect(finished).toHaveLength(n);
      const clips = (await readdir(dir)).filter((f) => f.startsWith('clip-') && f.endsWith('.mp4'));
      expect(clips).toHaveLength(2); // 1280x720 × {4 s, 8 s}
      expect(emu.counts('apidot').creates).toBe(n);
      console.info(
        `[emulator load] ${n} creates in ${createMs.toFixed(0)} ms (${((n / createMs) * 1000).toFixed(0)}/s); ${n} completed polls in ${pollMs.toFixed(0)} ms`,
      );
    } finally {
      await emu.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
