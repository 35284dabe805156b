import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { describeEmulator, startEmulator } from '../../src/emulator/index.ts';
import { AUTH, getJson, postJson, until } from './helpers.ts';

const apidotBody = (prompt = 'x') => ({ model: 'sora-2-official', input: { prompt, duration: 4 } });

describe('emulator faults', () => {
  it('a dropped create leaves a task behind (ambiguous); a dropped GET changes nothing', async () => {
    const emu = await startEmulator({ seed: 1, faults: { openai: { dropRate: 1, renderMs: 5000 } } });
    try {
      await expect(postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'lost answer', seconds: '4' })).rejects.toThrow();
      expect(emu.counts('openai').creates).toBe(1);
      await expect(getJson(`${emu.baseUrls.openai}/videos?limit=5`)).rejects.toThrow();
      emu.setFaults('openai', { renderMs: 5000 });
      const list = await getJson(`${emu.baseUrls.openai}/videos?limit=5`);
      expect(list.body.data.map((v: any) => v.prompt)).toEqual(['lost answer']); // reconcilable by listing
      expect(emu.tasks('openai')[0]!.prompt).toBe('lost answer');
    } finally {
      await emu.stop();
    }
  });

  it('truncates downloads after promising the full Content-Length', async () => {
    const emu = await startEmulator({ seed: 1, faults: { apixo: { renderMs: 30, truncateRate: 1 } } });
    try {
      const r = await postJson(`${emu.baseUrls.apixo}/api/v1/generateTask/sora-2`, { input: { prompt: 'cut', duration: 4 } });
      const d = await until(async () => {
        const s = await getJson(`${emu.baseUrls.apixo}/api/v1/statusTask/sora-2?taskId=${r.body.data.taskId}`);
        return s.body.data.state === 'success' ? s.body.data : undefined;
      });
      const url = JSON.parse(d.resultJson).resultUrls[0];
      const res = await fetch(url);
      const declared = Number(res.headers.get('content-length'));
      expect(declared).toBeGreaterThan(1000);
      let got = -1;
      try {
        got = (await res.arrayBuffer()).byteLength;
      } catch {
        got = -1; // undici reports the cut as an error
      }
      expect(got).not.toBe(declared);
      expect(emu.counts('apixo').downloads).toBe(1);
    } finally {
      await emu.stop();
    }
  });

  it('enforces the per-key token bucket with Retry-After, refilled by the clock, per key', async () => {
    const clock = new FakeClock();
    const emu = await startEmulator({ clock, faults: { apidot: { submitPerMin: 60, submitBurst: 2, renderMs: 100_000 } } });
    try {
      const url = `${emu.baseUrls.apidot}/api/generate/submit`;
      expect((await postJson(url, apidotBody())).body.code).toBe(200);
      expect((await postJson(url, apidotBody())).body.code).toBe(200);
      const third = await postJson(url, apidotBody());
      expect(third.status).toBe(429);
      expect(third.body.code).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBe(1);
      expect((await postJson(url, apidotBody(), { authorization: 'Bearer other' })).body.code).toBe(200);
      await clock.advance(1000);
      expect((await postJson(url, apidotBody())).body.code).toBe(200);
      expect(emu.counts('apidot')).toMatchObject({ creates: 4, rejected429: 1 });
    } finally {
      await emu.stop();
    }
  });

  it('caps unfinished tasks per key (maxConcurrent) until the clock finishes them', async () => {
    const clock = new FakeClock();
    const emu = await startEmulator({ clock, render: 'shared', faults: { openai: { maxConcurrent: 1, renderMs: 1000 } } });
    try {
      const url = `${emu.baseUrls.openai}/videos`;
      const a = await postJson(url, { prompt: 'one', seconds: '4', size: '1280x720' });
      expect(a.status).toBe(200);
      const b = await postJson(url, { prompt: 'two', seconds: '4', size: '1280x720' });
      expect(b.status).toBe(429);
      expect(b.body.error.code).toBe('rate_limit_exceeded');
      expect(b.headers.get('retry-after-ms')).toBeTruthy();
      await clock.advance(1000);
      await until(async () => (await getJson(`${url}/${a.body.id}`)).body.status === 'completed');
      expect((await postJson(url, { prompt: 'three', seconds: '4', size: '1280x720' })).status).toBe(200);
    } finally {
      await emu.stop();
    }
  });

  it('draws faults from the seed: the same seed gives the same sequence', async () => {
    const run = async (seed: number) => {
      const emu = await startEmulator({ seed, faults: { replicate: { rate429: 0.5, rate5xx: 0.2 } } });
      try {
        const out: number[] = [];
        for (let i = 0; i < 16; i++) out.push((await getJson(`${emu.baseUrls.replicate}/predictions/none`)).status);
        return out;
      } finally {
        await emu.stop();
      }
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await run(43)).not.toEqual(a);
  });

  it('never reuses task ids across instances, even with the same seed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const emu = await startEmulator({ seed: 5, faults: { openai: { renderMs: 60_000 } } });
      try {
        ids.push((await postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'same', seconds: '4' })).body.id);
      } finally {
        await emu.stop();
      }
    }
    expect(ids[0]).toMatch(/^video_[0-9a-f]{32}$/);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('adds latency, counts every request, and describes its base URLs', async () => {
    const emu = await startEmulator({ faults: { sorapi: { latencyMs: 120 } } });
    try {
      const t0 = Date.now();
      await getJson(`${emu.baseUrls.sorapi}/api/status?task_id=nope`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
      expect(emu.counts('sorapi')).toMatchObject({ statusGets: 1, total: 1 });
      expect(emu.counts().total).toBe(1);
      const lines = describeEmulator(emu);
      expect(lines.join('\n')).toContain(emu.baseUrls.fal);
      expect(lines).toHaveLength(10);
      expect(lines.join('\n')).toContain(`${emu.url}/_emulator/tasks`);
      expect(emu.baseUrls).toEqual({
        openai: `${emu.url}/openai/v1`,
        apidot: `${emu.url}/apidot`,
        sorapi: `${emu.url}/sorapi`,
        apixo: `${emu.url}/apixo`,
        fal: `${emu.url}/fal`,
        replicate: `${emu.url}/replicate/v1`,
      });
    } finally {
      await emu.stop();
    }
  });

  it('fails a task whose render fails, and never reports completed before the clock allows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-broken-'));
    const clock = new FakeClock();
    const emu = await startEmulator({ clock, dataDir: join(dir, 'clips'), faults: { openai: { renderMs: 500 } } });
    try {
      await rm(join(dir, 'clips'), { recursive: true, force: true }); // ffmpeg can no longer write its output
      const c = await postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'doomed', seconds: '4' });
      await new Promise((r) => setTimeout(r, 300)); // the render has certainly failed by now…
      expect((await getJson(`${emu.baseUrls.openai}/videos/${c.body.id}`)).body.status).not.toBe('failed'); // …but the clock has not moved
      await clock.advance(500);
      const v = await until(async () => {
        const r = await getJson(`${emu.baseUrls.openai}/videos/${c.body.id}`);
        return r.body.status === 'failed' ? r.body : undefined;
      });
      expect(v.error.code).toBe('render_failed');
    } finally {
      await emu.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers expired result URLs as each provider would', async () => {
    const clock = new FakeClock();
    const emu = await startEmulator({
      clock,
      render: 'shared',
      faults: { apidot: { renderMs: 10, urlTtlMs: 1000 }, openai: { renderMs: 10, urlTtlMs: 1000 } },
    });
    try {
      const s = await postJson(`${emu.baseUrls.apidot}/api/generate/submit`, apidotBody());
      const o = await postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'exp', seconds: '4' });
      await clock.advance(10);
      const data = await until(async () => {
        const r = await getJson(`${emu.baseUrls.apidot}/api/generate/status/${s.body.data.task_id}`);
        return r.body.data.status === 'finished' ? r.body.data : undefined;
      });
      await until(async () => (await getJson(`${emu.baseUrls.openai}/videos/${o.body.id}`)).body.status === 'completed');
      const url = (data.files ?? data.output.files)[0].file_url;
      expect((await fetch(url)).status).toBe(200);
      await clock.advance(1001);
      expect((await fetch(url)).status).toBe(403);
      const oc = await fetch(`${emu.baseUrls.openai}/videos/${o.body.id}/content`, { headers: AUTH });
      expect(oc.status).toBe(404);
      expect(((await oc.json()) as any).error.code).toBe('video_expired');
    } finally {
      await emu.stop();
    }
  });
});
