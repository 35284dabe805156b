import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, runFfmpeg } from '../../src/media/ffmpeg.ts';
import { fitFilter, fitImage } from '../../src/media/image.ts';
import { apiKeyEnv, baseUrlEnv, defaultBaseUrl, getProvider, PROVIDERS } from '../../src/providers/index.ts';
import { LOCAL_IMAGE_UPLOAD } from '../../src/manifest/protocols.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';

describe('fitImage', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shotlist-img-'));
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=300x200', '-frames:v', '1', join(dir, 'wide.jpg')]);
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=200x400', '-frames:v', '1', join(dir, 'tall.png')]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['wide.jpg', 720, 1280],
    ['tall.png', 1280, 720],
    ['wide.jpg', 1280, 720],
  ])('%s → exactly %ix%i', async (src, w, h) => {
    const dest = join(dir, `out-${src}-${w}x${h}.png`);
    await fitImage(join(dir, src), dest, w, h);
    const p = await probe(dest);
    expect(p.video).toMatchObject({ width: w, height: h });
  });

  it('image_fit: a landscape image for a portrait clip is padded (black corner) or cropped (image to the corner), exact size either way', async () => {
    const red = join(dir, 'red.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=300x200', '-frames:v', '1', red]);
    const corner = async (mode: 'pad' | 'crop') => {
      const dest = join(dir, `fit-${mode}.png`);
      await fitImage(red, dest, 72, 128, undefined, mode);
      expect((await probe(dest)).video).toMatchObject({ width: 72, height: 128 });
      const raw = join(dir, `corner-${mode}.rgb`);
      await runFfmpeg(['-i', dest, '-vf', 'crop=1:1:0:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', raw]);
      return [...(await readFile(raw))];
    };
    expect(await corner('pad')).toEqual([0, 0, 0]);
    const [r, g, b] = await corner('crop');
    expect(r).toBeGreaterThan(200);
    expect(g! + b!).toBeLessThan(60);
  });

  it('fails on a missing file and on a bad size', async () => {
    await expect(fitImage(join(dir, 'nope.png'), join(dir, 'x.png'), 10, 10)).rejects.toThrow();
    await expect(fitImage(join(dir, 'wide.jpg'), join(dir, 'x.png'), 0, 10)).rejects.toThrow(/invalid/);
  });

  it('filter scales down and pads to the exact box', () => {
    expect(fitFilter(4, 2)).toBe('scale=4:2:force_original_aspect_ratio=decrease,pad=4:2:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1');
  });
});

describe('registry', () => {
  it('has one adapter per provider name', () => {
    for (const name of PROVIDER_NAMES) {
      expect(getProvider(name)?.name).toBe(name);
      expect(PROVIDERS[name].name).toBe(name);
    }
    expect(getProvider('nope')).toBeUndefined();
  });
  it('only sorapi has idempotent submit; openai, fal and replicate reconcile (list / request history)', () => {
    expect(PROVIDER_NAMES.filter((n) => PROVIDERS[n].idempotentSubmit)).toEqual(['sorapi']);
    expect(PROVIDER_NAMES.filter((n) => PROVIDERS[n].reconcile)).toEqual(['openai', 'fal', 'replicate']);
  });
  it('the plan-time upload data matches the adapters: fal and Replicate upload, OpenAI sends multipart, the rest take URLs only', () => {
    for (const n of PROVIDER_NAMES) expect([n, !!LOCAL_IMAGE_UPLOAD[n]]).toEqual([n, !!PROVIDERS[n].uploadImage || n === 'openai']);
  });
  it('env names and default hosts', () => {
    expect(PROVIDER_NAMES.map(apiKeyEnv)).toEqual([
      'OPENAI_API_KEY',
      'APIDOT_API_KEY',
      'SORAPI_API_KEY',
      'APIXO_API_KEY',
      'FAL_KEY',
      'REPLICATE_API_TOKEN',
    ]);
    expect(PROVIDER_NAMES.map(baseUrlEnv)).toEqual([
      'OPENAI_BASE_URL',
      'APIDOT_BASE_URL',
      'SORAPI_BASE_URL',
      'APIXO_BASE_URL',
      'FAL_BASE_URL',
      'REPLICATE_BASE_URL',
    ]);
    expect(defaultBaseUrl('openai')).toBe('https://api.openai.com/v1');
    expect(defaultBaseUrl('apidot')).toBe('https://api.apidot.ai');
    expect(defaultBaseUrl('apixo')).toBe('https://api.apixo.ai');
    expect(defaultBaseUrl('fal')).toBe('https://queue.fal.run');
    expect(defaultBaseUrl('replicate')).toBe('https://api.replicate.com/v1');
    expect(defaultBaseUrl('sorapi')).toBe('https://sorapi.org'); // every documented example: https://sorapi.org/api/...
    expect(defaultBaseUrl('other')).toBe('');
    expect(apiKeyEnv('my-prov')).toBe('MY_PROV_API_KEY');
  });
});
