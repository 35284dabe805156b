import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, DEFAULT_WEBHOOK_SECRETS, type EmulatorHandle } from '../../src/emulator/index.ts';
import { CALLBACK_RETRY_DELAYS_MS } from '../../src/emulator/callbacks.ts';
import { download, getJson, postJson, startReceiver, until } from './helpers.ts';

describe('sorapi emulation (fake clock)', () => {
  const clock = new FakeClock();
  let emu: EmulatorHandle;
  let base: string;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({ clock, seed: 5, faults: { sorapi: { renderMs: 2000, urlTtlMs: 60_000 } } });
    base = emu.baseUrls.sorapi;
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  const settle = (id: string) =>
    until(async () => {
      const s = await getJson(`${base}/api/status?task_id=${id}`);
      return /^succeeded$/i.test(s.body.status) || /^failed$/i.test(s.body.status) ? s.body : undefined;
    });

  it('replays an idempotency key to the same task, even after a dropped (ambiguous) create', async () => {
    emu.setFaults('sorapi', { renderMs: 2000, dropRate: 1 });
    const body = { prompt: 'idempotent shot', duration: 4, idempotency_key: 'job-abc-1' };
    await expect(
      fetch(`${base}/api/generate`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    ).rejects.toThrow();
    expect(emu.counts('sorapi').creates).toBe(1); // the task exists although the client saw no answer
    emu.setFaults('sorapi', { renderMs: 2000, urlTtlMs: 60_000 });
    const a = await postJson(`${base}/api/generate`, body, { authorization: 'Bearer k' });
    const b = await postJson(`${base}/api/generate`, body, { authorization: 'Bearer k' });
    expect(a.status).toBe(200);
    expect(b.body.task_id).toBe(a.body.task_id);
    expect(emu.counts('sorapi').creates).toBe(1);
    expect(emu.tasks('sorapi')).toHaveLength(1);
    const other = await postJson(`${base}/api/generate`, { ...body, idempotency_key: 'job-abc-2' }, { authorization: 'Bearer k' });
    expect(other.body.task_id).not.toBe(a.body.task_id);
  });

  it('runs to succeeded (upper case for some tasks), accepts ?id=, signs the webhook and expires the URL', async () => {
    const ids: string[] = [];
    for (const i of [1, 2]) {
      const r = await postJson(`${base}/api/generate`, {
        prompt: `shot ${i}`,
        duration: 4,
        resolution: '640x360',
        aspect_ratio: i === 2 ? 'vertical' : undefined,
        seed: 42,
        callback_url: hooks.url,
        callback_headers: { 'x-run': 'r1' },
      });
      expect(r.status).toBe(200);
      ids.push(r.body.task_id);
    }
    const q = await getJson(`${base}/api/status?id=${ids[0]}`);
    expect(q.body.status.toLowerCase()).toBe('queued');
    await clock.advance(2000);
    const done = await Promise.all(ids.map(settle));
    const statuses = [
      ...done.map((d) => d.status),
      ...(await Promise.all(emu.tasks('sorapi').map(async (t) => (await getJson(`${base}/api/status?task_id=${t.id}`)).body.status))),
    ];
    expect(statuses.some((s) => s === 'SUCCEEDED')).toBe(true);
    expect(statuses.some((s) => s === 'succeeded')).toBe(true);
    expect(done[1].request.resolution).toBe('360x640');
    const dl = await download(done[0].response[0]);
    expect(dl.status).toBe(200);
    expect(dl.bytes.subarray(4, 8).toString()).toBe('ftyp');

    const hs = await until(async () => (hooks.received.length >= 2 ? hooks.received : undefined));
    for (const h of hs) {
      const sig = createHmac('sha256', DEFAULT_WEBHOOK_SECRETS.sorapi).update(h.body).digest('hex');
      expect(h.headers['x-signature']).toBe(sig);
      expect(h.headers['x-run']).toBe('r1');
      const p = JSON.parse(h.body);
      expect(p.response[0]).toMatchObject({ format: 'mp4' });
      expect(p.metadata).toHaveProperty('idempotency_key');
    }

    await clock.advance(61_000);
    const exp = await getJson(`${base}/api/status?task_id=${ids[0]}`);
    expect(exp.body.status.toLowerCase()).toBe('expired');
    const gone = await download(done[0].response[0]);
    expect(gone.status).toBe(410);
  });

  it('enforces prompt ≤ 5000 and idempotency_key ≤ 64 with 422, and answers 429 Retry-After and 503 maintenance', async () => {
    const long = await postJson(`${base}/api/generate`, { prompt: 'p'.repeat(5001) });
    expect(long.status).toBe(422);
    expect(long.body.error.field).toBe('prompt');
    const key = await postJson(`${base}/api/generate`, { prompt: 'x', idempotency_key: 'k'.repeat(65) });
    expect(key.status).toBe(422);
    emu.setFaults('sorapi', { rate429: 1, retryAfterS: 7 });
    const rl = await getJson(`${base}/api/status?task_id=x`);
    expect(rl.status).toBe(429);
    expect(rl.headers.get('retry-after')).toBe('7');
    emu.setFaults('sorapi', { rate5xx: 1 });
    const m = await postJson(`${base}/api/generate`, { prompt: 'x' });
    expect(m.status).toBe(503);
    expect(m.body.error.code).toBe('maintenance');
    emu.setFaults('sorapi', { maxConcurrent: 0 });
    const c = await postJson(`${base}/api/generate`, { prompt: 'x' });
    expect(c.status).toBe(429);
    expect(c.body.error.code).toBe('concurrency_limit');
    emu.setFaults('sorapi', {});
  });

  it('accepts only the documented aspect_ratio "vertical" and https callback URLs (422 otherwise)', async () => {
    for (const aspect_ratio of ['9:16', '16:9', 'landscape']) {
      const r = await postJson(`${base}/api/generate`, { prompt: 'x', aspect_ratio });
      expect(r.status, aspect_ratio).toBe(422);
      expect(r.body.error.field).toBe('aspect_ratio');
    }
    const cb = await postJson(`${base}/api/generate`, { prompt: 'x', callback_url: 'http://hooks.example.com/cb' });
    expect(cb.status).toBe(422);
    expect(cb.body.error.field).toBe('callback_url');
  });

  it('retries a failing callback 6 times over (at most) 24 h on its own clock, then gives up', async () => {
    const failing = await startReceiver(500);
    emu.setFaults('sorapi', { renderMs: 2000 });
    const idle = clock.pending; // sleepers left by earlier tests; ours is the one above this
    // The sender sleeps on the fake clock after each failed delivery: advance only once it is asleep.
    const asleep = () => until(async () => clock.pending === idle + 1);
    try {
      const r = await postJson(`${base}/api/generate`, { prompt: 'retry me', duration: 4, callback_url: failing.url });
      expect(r.status).toBe(200);
      await clock.advance(2000);
      await until(async () => failing.received.length >= 1);
      const delays = CALLBACK_RETRY_DELAYS_MS.sorapi!;
      expect(delays).toHaveLength(6);
      expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(24 * 3_600_000);
      for (const [i, d] of delays.entries()) {
        await asleep();
        await clock.advance(d - 1);
        expect(failing.received).toHaveLength(i + 1); // not a moment early
        await clock.advance(1);
        await until(async () => failing.received.length >= i + 2);
      }
      await clock.advance(48 * 3_600_000);
      await new Promise((res) => setTimeout(res, 50));
      expect(failing.received).toHaveLength(7);
      expect(new Set(failing.received.map((h) => h.headers['x-signature'])).size).toBe(1);
    } finally {
      await failing.close();
    }
  });
});
