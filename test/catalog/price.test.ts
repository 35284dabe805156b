import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { priceJob, priceRule } from '../../src/catalog/price.ts';
import { sizeFor } from '../../src/catalog/sizes.ts';

const catalog = await loadCatalog();
function price(provider: string, model: string, seconds: number, resolution: '720p' | '1024p' | '1080p') {
  const e = catalog.resolve(provider, model)!;
  return priceJob(e, catalog.provider(provider)!, { seconds, resolution });
}

describe('priceJob against PROVIDERS.md figures', () => {
  it('APIDot standard 12 s = 144 credits = $0.72 (per clip, credits)', () => {
    expect(price('apidot', 'sora-2', 12, '720p')).toEqual({ credits: 144, usd: 0.72 });
  });
  it('APIDot pro 1080p × 8 s = 896 credits = $4.48 (per second, credits)', () => {
    expect(price('apidot', 'sora-2-pro', 8, '1080p')).toEqual({ credits: 896, usd: 4.48 });
  });
  it('APIDot standard every listed duration', () => {
    expect([4, 8, 16, 20].map((s) => price('apidot', 'sora-2-official', s, '720p').credits)).toEqual([48, 96, 192, 240]);
  });
  it('OpenAI sora-2 720p 8 s = $0.80 (per second, usd)', () => {
    expect(price('openai', 'sora-2', 8, '720p')).toEqual({ usd: 0.8, credits: null });
  });
  it('OpenAI sora-2-pro 1024p 12 s = $6.00; 1080p is unpriced (unconfirmed)', () => {
    expect(price('openai', 'sora-2-pro', 12, '1024p')).toEqual({ usd: 6, credits: null });
    expect(price('openai', 'sora-2-pro', 4, '1080p')).toEqual({ usd: null, credits: null });
  });
  it('fal pro 720p 4 s = $1.20, 1080p 4 s = $2.00; fal has no 1024p', () => {
    expect(price('fal', 'sora-2-pro', 4, '720p')).toEqual({ usd: 1.2, credits: null });
    expect(price('fal', 'sora-2-pro', 4, '1080p')).toEqual({ usd: 2, credits: null });
    expect(price('fal', 'sora-2-pro', 4, '1024p')).toEqual({ usd: null, credits: null });
  });
  it('Replicate sora-2-pro 720p 8 s = $2.40', () => {
    expect(price('replicate', 'openai/sora-2-pro', 8, '720p')).toEqual({ usd: 2.4, credits: null });
  });
  it('unknown rule kind is unpriced (SorAPI, APIXO)', () => {
    expect(price('sorapi', 'sora-2', 8, '720p')).toEqual({ usd: null, credits: null });
    expect(price('apixo', 'sora-2', 4, '720p')).toEqual({ usd: null, credits: null });
  });
  it('per_clip with an unlisted duration is unpriced', () => {
    expect(priceRule({ kind: 'per_clip', unit: 'usd', by_duration: { '4': 1 } }, undefined, { seconds: 8, resolution: '720p' })).toEqual({
      usd: null,
      credits: null,
    });
  });
  it('credits without usd_per_credit keep credits and leave usd unknown', () => {
    expect(
      priceRule({ kind: 'per_second', unit: 'credits', by_resolution: { '720p': 10 } }, undefined, { seconds: 3, resolution: '720p' }),
    ).toEqual({ usd: null, credits: 30 });
  });
  it('per_clip in usd', () => {
    expect(priceRule({ kind: 'per_clip', unit: 'usd', by_duration: { '5': 0.35 } }, 0.005, { seconds: 5, resolution: '1080p' })).toEqual({
      usd: 0.35,
      credits: null,
    });
  });
});

describe('sizeFor', () => {
  it('maps aspect × resolution to pixels', () => {
    expect(sizeFor('16:9', '720p')).toEqual({ width: 1280, height: 720 });
    expect(sizeFor('9:16', '720p')).toEqual({ width: 720, height: 1280 });
    expect(sizeFor('16:9', '1024p')).toEqual({ width: 1792, height: 1024 });
    expect(sizeFor('9:16', '1024p')).toEqual({ width: 1024, height: 1792 });
    expect(sizeFor('16:9', '1080p')).toEqual({ width: 1920, height: 1080 });
    expect(sizeFor('9:16', '1080p')).toEqual({ width: 1080, height: 1920 });
    expect(sizeFor('auto', '1080p')).toEqual({ width: 1920, height: 1080 });
  });
});
