import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FakeClock } from '../../src/clock.ts';
import { runFfmpeg, probe } from '../../src/media/ffmpeg.ts';
import { startEmulator, DEFAULT_WEBHOOK_SECRETS, type EmulatorHandle } from '../../src/emulator/index.ts';
import { AUTH, download, getJson, postJson, startReceiver, until } from './helpers.ts';

// OpenAI's own spec subset (MIT), vendored in specs/ so the test needs nothing outside the repo.
const spec = parseYaml(await readFile(new URL('../../specs/openai-videos.openapi.yaml', import.meta.url), 'utf8')) as {
  components: unknown;
};
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ $id: 'openai-spec', components: spec.components });
const schema = (name: string) => {
  const v = ajv.getSchema(`openai-spec#/components/schemas/${name}`);
  if (!v) throw new Error(`no schema ${name}`);
  return (data: unknown) => {
    const ok = v(data);
    if (!ok) throw new Error(`${name} invalid: ${ajv.errorsText(v.errors)}\n${JSON.stringify(data)}`);
    return true;
  };
};
const isVideo = schema('VideoResource');
const isList = schema('VideoListResource');
const isDeleted = schema('DeletedVideoResource');

describe('openai emulation over HTTP (fake clock)', () => {
  const clock = new FakeClock();
  let emu: EmulatorHandle;
  let base: string;
  const hooks = { url: '', received: [] as Array<{ headers: Record<string, string>; body: string }>, close: async () => {} };
  beforeAll(async () => {
    const r = await startReceiver();
    Object.assign(hooks, r);
    emu = await startEmulator({ clock, seed: 7, openaiWebhookUrl: r.url, faults: { openai: { renderMs: 10_000 } } });
    base = emu.baseUrls.openai;
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  it('runs queued → in_progress → completed with spec-valid objects, headers and a real clip', async () => {
    const c = await postJson(`${base}/videos`, { prompt: 'A lighthouse at dusk', model: 'sora-2', seconds: '4', size: '1280x720' });
    expect(c.status).toBe(200);
    expect(c.headers.get('x-request-id')).toMatch(/^req_/);
    isVideo(c.body);
    expect(c.body).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      completed_at: null,
      expires_at: null,
      error: null,
      seconds: '4',
      size: '1280x720',
    });
    expect(c.body.id).toMatch(/^video_[0-9a-f]+$/);

    await clock.advance(5_000);
    const mid = await getJson(`${base}/videos/${c.body.id}`);
    isVideo(mid.body);
    expect(mid.body.status).toBe('in_progress');
    expect(mid.body.progress).toBeGreaterThan(0);
    expect(Number(mid.headers.get('openai-poll-after-ms'))).toBeGreaterThan(0);

    await clock.advance(5_000);
    const done = await until(async () => {
      const r = await getJson(`${base}/videos/${c.body.id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    });
    isVideo(done);
    expect(done.progress).toBe(100);
    expect(done.expires_at - done.completed_at).toBe(3600);

    const dir = await mkdtemp(join(tmpdir(), 'emu-oa-'));
    try {
      const v = await download(`${base}/videos/${c.body.id}/content`, AUTH);
      expect(v.status).toBe(200);
      expect(v.headers.get('content-type')).toBe('video/mp4');
      await writeFile(join(dir, 'v.mp4'), v.bytes);
      const p = await probe(join(dir, 'v.mp4'));
      expect(p.video).toMatchObject({ width: 1280, height: 720, codec: 'h264', pixFmt: 'yuv420p' });
      expect(p.audio?.codec).toBe('aac');
      expect(Math.abs(p.durationS - 4)).toBeLessThanOrEqual(0.1);
      const th = await download(`${base}/videos/${c.body.id}/content?variant=thumbnail`, AUTH);
      expect(th.headers.get('content-type')).toBe('image/webp');
      expect(th.bytes.subarray(8, 12).toString()).toBe('WEBP');
      const sp = await download(`${base}/videos/${c.body.id}/content?variant=spritesheet`, AUTH);
      expect(sp.headers.get('content-type')).toBe('image/jpeg');
      expect(sp.bytes[0]).toBe(0xff);
      expect(sp.bytes[1]).toBe(0xd8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // the project webhook arrives, Standard-Webhooks signed
    const hook = await until(async () => hooks.received.find((h) => h.body.includes(c.body.id)));
    const secret = Buffer.from(DEFAULT_WEBHOOK_SECRETS.openai.slice(6), 'base64');
    const expected = createHmac('sha256', secret)
      .update(`${hook.headers['webhook-id']}.${hook.headers['webhook-timestamp']}.${hook.body}`)
      .digest();
    const got = Buffer.from(hook.headers['webhook-signature']!.split(' ')[0]!.replace(/^v1,/, ''), 'base64');
    expect(timingSafeEqual(expected, got)).toBe(true);
    expect(JSON.parse(hook.body)).toMatchObject({ object: 'event', type: 'video.completed', data: { id: c.body.id } });
  });

  it('validates like OpenAI: integer seconds, bad size, pro-only size, long prompt, unknown model', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ prompt: 'x', seconds: 4 }, 'seconds', 'invalid_type'],
      [{ prompt: 'x', seconds: '5' }, 'seconds', 'invalid_value'],
      [{ prompt: 'x', size: '640x480' }, 'size', 'invalid_value'],
      [{ prompt: 'x', size: '1792x1024', model: 'sora-2' }, 'size', 'invalid_value'],
      [{ prompt: 'x', size: '1920x1080', model: 'sora-2' }, 'size', 'invalid_value'],
      [{ prompt: 'y'.repeat(32001) }, 'prompt', 'string_above_max_length'],
      [{ prompt: '' }, 'prompt', 'missing_required_parameter'],
      [{ prompt: 'x', model: 'sora-3' }, 'model', 'invalid_value'],
    ];
    for (const [body, param, code] of cases) {
      const r = await postJson(`${base}/videos`, body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
      expect(typeof r.body.error.message).toBe('string');
    }
    const pro = await postJson(`${base}/videos`, { prompt: 'x', size: '1920x1080', model: 'sora-2-pro', seconds: '4' });
    expect(pro.status).toBe(200);
    expect(pro.body.size).toBe('1920x1080'); // the 2026 guide's pro size, outside the spec subset's enum
    const del = await fetch(`${base}/videos/${pro.body.id}`, { method: 'DELETE', headers: AUTH });
    isDeleted(await del.json());
  });

  it('answers 401 without a key, 404 for unknown ids, and lists with a cursor', async () => {
    const r = await fetch(`${base}/videos/video_nope`);
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe('invalid_api_key');
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const nf = await getJson(`${base}/videos/video_nope`);
    expect(nf.status).toBe(404);
    expect(nf.body.error.type).toBe('invalid_request_error');

    for (let i = 0; i < 3; i++) await postJson(`${base}/videos`, { prompt: `list ${i}`, seconds: '4' });
    const page1 = await getJson(`${base}/videos?limit=2&order=desc`);
    isList(page1.body);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.has_more).toBe(true);
    expect(page1.body.data[0].prompt).toBe('list 2');
    const page2 = await getJson(`${base}/videos?limit=2&order=desc&after=${page1.body.last_id}`);
    isList(page2.body);
    expect(page2.body.data[0].prompt).toBe('list 0');
    const asc = await getJson(`${base}/videos?limit=100&order=asc`);
    expect(asc.body.data[0].prompt).toBe('A lighthouse at dusk');
    expect(emu.counts('openai').lists).toBe(3);
  });

  it('accepts multipart input_reference only when it matches size exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-ref-'));
    try {
      const good = join(dir, 'good.png');
      const bad = join(dir, 'bad.png');
      await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=720x1280', '-frames:v', '1', good]);
      await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=640x480', '-frames:v', '1', bad]);
      const send = async (file: string) => {
        const fd = new FormData();
        fd.set('prompt', 'from a reference');
        fd.set('seconds', '4');
        fd.set('size', '720x1280');
        fd.set('input_reference', new Blob([await readFile(file)], { type: 'image/png' }), 'ref.png');
        const r = await fetch(`${base}/videos`, { method: 'POST', headers: AUTH, body: fd });
        return { status: r.status, body: (await r.json()) as any };
      };
      const ok = await send(good);
      expect(ok.status).toBe(200);
      isVideo(ok.body);
      const no = await send(bad);
      expect(no.status).toBe(400);
      expect(no.body.error.param).toBe('input_reference');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('openai emulation with the official SDK', () => {
  let emu: EmulatorHandle;
  let client: OpenAI;
  beforeAll(async () => {
    emu = await startEmulator({ seed: 3, faults: { openai: { renderMs: 150 } } });
    client = new OpenAI({ baseURL: emu.baseUrls.openai, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(() => emu.stop());

  it('create, retrieve, list, downloadContent, remix, delete all complete', async () => {
    const v = await client.videos.create({ prompt: 'SDK clip', model: 'sora-2', seconds: '4', size: '720x1280' });
    isVideo(v);
    const done = await until(async () => {
      const r = await client.videos.retrieve(v.id);
      return r.status === 'completed' ? r : undefined;
    });
    expect(done.id).toBe(v.id);
    const listed = [];
    for await (const item of client.videos.list({ limit: 10 })) listed.push(item.id);
    expect(listed).toContain(v.id);
    const content = await client.videos.downloadContent(v.id);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.subarray(4, 8).toString()).toBe('ftyp');
    const remix = await client.videos.remix(v.id, { prompt: 'SDK clip, at night' });
    isVideo(remix);
    expect(remix.remixed_from_video_id).toBe(v.id);
    const del = await client.videos.delete(v.id);
    isDeleted(del);
    expect(del).toMatchObject({ id: v.id, deleted: true });
    await expect(client.videos.retrieve(v.id)).rejects.toMatchObject({ status: 404 });
  });

  it('edit, extend, createCharacter and getCharacter (the spec endpoints the SDK has) complete', async () => {
    const v = await client.videos.create({ prompt: 'SDK source', model: 'sora-2', seconds: '4', size: '1280x720' });
    await until(async () => ((await client.videos.retrieve(v.id)).status === 'completed' ? true : undefined));
    const edited = await client.videos.edit({ video: { id: v.id }, prompt: 'same shot, in the rain' });
    isVideo(edited);
    expect(edited).toMatchObject({ status: 'queued', size: '1280x720', seconds: '4' });
    const extended = await client.videos.extend({ video: { id: v.id }, prompt: 'the camera keeps rising', seconds: '4' });
    isVideo(extended);
    expect(extended.id).not.toBe(edited.id);
    const done = await until(async () => {
      const r = await client.videos.retrieve(extended.id);
      return r.status === 'completed' ? r : undefined;
    });
    expect(done.id).toBe(extended.id);
    const clip = await client.videos.downloadContent(v.id);
    const character = await client.videos.createCharacter({
      name: 'Captain',
      video: await toFile(Buffer.from(await clip.arrayBuffer()), 'c.mp4', { type: 'video/mp4' }),
    });
    expect(character).toMatchObject({ name: 'Captain' });
    expect(character.id).toMatch(/^char_/);
    expect(await client.videos.getCharacter(character.id!)).toEqual(character);
    await expect(client.videos.getCharacter('char_nope')).rejects.toMatchObject({ status: 404 });
    await expect(client.videos.edit({ video: { id: 'video_nope' }, prompt: 'x' })).rejects.toMatchObject({ status: 400 });
  });

  it('sends multipart with a file reference through the SDK', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-sdkref-'));
    try {
      const png = join(dir, 'r.png');
      await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=blue:size=1280x720', '-frames:v', '1', png]);
      const v = await client.videos.create({
        prompt: 'with reference',
        seconds: '4',
        size: '1280x720',
        input_reference: await toFile(await readFile(png), 'r.png', { type: 'image/png' }),
      });
      expect(v.size).toBe('1280x720');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('surfaces 429 rate limits with retry-after-ms/retry-after and quota as insufficient_quota', async () => {
    emu.setFaults('openai', { rate429: 1, retryAfterS: 3 });
    const r = await postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'x', seconds: '4' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after-ms')).toBe('3000');
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.body.error.code).toBe('rate_limit_exceeded');
    await expect(client.videos.retrieve('video_x')).rejects.toMatchObject({ status: 429 });
    expect(emu.counts('openai').rejected429).toBe(2);

    emu.setFaults('openai', { quotaCreates: 0 });
    const q = await postJson(`${emu.baseUrls.openai}/videos`, { prompt: 'x', seconds: '4' });
    expect(q.status).toBe(429);
    expect(q.body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    emu.setFaults('openai', { renderMs: 150 });
  });
});

describe('openai emulation: headers on every answer, multipart image_url', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ render: 'shared', faults: { openai: { renderMs: 100, submitPerMin: 50, submitBurst: 50 } } });
  });
  afterAll(() => emu.stop());

  it('x-ratelimit-* come with every answer (200, 404, 401), not only 429s', async () => {
    const base = emu.baseUrls.openai;
    const c = await postJson(`${base}/videos`, { prompt: 'rl', model: 'sora-2', seconds: '4', size: '1280x720' });
    expect(c.status).toBe(200);
    expect(c.headers.get('x-ratelimit-limit-requests')).toBe('50');
    expect(c.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?(\d+(\.\d+)?s|\d+ms)$/); // Go duration, as OpenAI writes it
    expect((await getJson(`${base}/videos/${c.body.id}`)).headers.get('x-ratelimit-remaining-requests')).toBe('49'); // one create in the window
    for (const r of [await getJson(`${base}/videos`), await getJson(`${base}/videos/video_nope`), await getJson(`${base}/videos`, {})]) {
      expect([200, 404, 401]).toContain(r.status);
      expect(r.headers.get('x-ratelimit-limit-requests'), String(r.status)).toBe('50');
      expect(r.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    }
  });

  it('reads a multipart input_reference[image_url] (a data: URL is checked like an upload)', async () => {
    const base = emu.baseUrls.openai;
    // A 1x1 PNG: the reference must match the requested size, so this must be refused, naming input_reference.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const form = new FormData();
    for (const [k, v] of Object.entries({ prompt: 'ref', model: 'sora-2', seconds: '4', size: '1280x720' })) form.set(k, v);
    form.set('input_reference[image_url]', `data:image/png;base64,${png}`);
    const bad = await fetch(`${base}/videos`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('input_reference');
    const remote = new FormData();
    for (const [k, v] of Object.entries({ prompt: 'ref', model: 'sora-2', seconds: '4', size: '1280x720' })) remote.set(k, v);
    remote.set('input_reference[image_url]', 'https://cdn.example.com/ref.png');
    const ok = await fetch(`${base}/videos`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: remote });
    expect(ok.status).toBe(200);
  });
});
