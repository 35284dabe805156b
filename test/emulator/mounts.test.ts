/**
 * fal and Replicate served under a gateway's prefix (as the OpenAI-compatible gateway test does at
 * /gw/v1): every URL the emulator hands out — queue status/response/cancel URLs, prediction urls,
 * list pages, result files, uploaded files — stays under that prefix, and the real adapters follow
 * them to a downloaded clip.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { fal } from '../../src/providers/fal.ts';
import { replicate } from '../../src/providers/replicate.ts';
import type { Provider, ProviderEnv, TaskRef } from '../../src/providers/types.ts';
import { makeJob } from '../providers/helpers.ts';
import { until } from './helpers.ts';

let emu: EmulatorHandle;
let png = '';
beforeAll(async () => {
  emu = await startEmulator({
    render: 'shared',
    seed: 8,
    faults: { fal: { renderMs: 40 }, replicate: { renderMs: 40 } },
    mounts: [
      { prefix: '/gw-fal', protocol: 'fal' },
      { prefix: '/gw-rep/v1', protocol: 'replicate' },
    ],
  });
  png = join(await mkdtemp(join(tmpdir(), 'shotlist-mount-')), 'ref.png');
  // A 1×1 PNG: the upload path does not look inside.
  await writeFile(
    png,
    Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
  );
});
afterAll(async () => {
  await emu?.stop();
});

/** Every http(s) URL anywhere in a value. */
function urlsIn(v: unknown): string[] {
  return (JSON.stringify(v).match(/https?:\/\/[^"\\]+/g) ?? []).filter((u) => !u.startsWith('https://replicate.com/'));
}

async function follow(p: Provider, env: ProviderEnv, task: TaskRef, job: ReturnType<typeof makeJob>): Promise<string[]> {
  let outputs: string[] = [];
  await until(async () => {
    const s = await p.status(env, task, job);
    if (s.kind === 'failed') throw new Error(s.message);
    if (s.kind === 'succeeded') outputs = s.outputs;
    return s.kind === 'succeeded';
  });
  return outputs;
}

describe.each([
  ['fal', fal, '/gw-fal', 'fal-ai/veo3.1/fast'],
  ['replicate', replicate, '/gw-rep/v1', 'google/veo-3.1-fast'],
] as const)('%s under a gateway prefix', (name, p, prefix, wireModel) => {
  it('hands out every URL under the prefix; the adapter follows them to the clip and uploads under it', { timeout: 15_000 }, async () => {
    const base = `${emu.url}${prefix}`;
    const seen: unknown[] = [];
    const recording = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      if ((res.headers.get('content-type') ?? '').includes('json')) seen.push(await res.clone().json());
      return res;
    }) as typeof fetch;
    const env: ProviderEnv = { baseUrl: base, apiKey: 'k', fetch: recording, now: () => Date.now(), workDir: tmpdir() };
    const job = makeJob({ provider: name, wireModel, seconds: 4, resolution: '720p', aspect: '16:9' });
    const up = await p.uploadImage!(env, png, 'image/png');
    expect(up).toMatchObject({ kind: 'uploaded', url: expect.stringMatching(new RegExp(`^${base}/files/`)) });
    const sub = await p.submit(env, job, { idempotencyKey: 'k1' });
    if (sub.kind !== 'accepted') throw new Error(JSON.stringify(sub));
    for (const u of Object.values(sub.task.urls ?? {}).filter((u) => u.startsWith('http'))) expect(u.startsWith(`${base}/`)).toBe(true);
    const outputs = await follow(p, env, sub.task, job);
    expect(outputs[0]).toMatch(new RegExp(`^${base}/files/.+\\.mp4$`));
    const clip = await fetch(outputs[0]!);
    expect(clip.status).toBe(200);
    expect((await clip.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    if (up.kind === 'uploaded' && name === 'fal') expect((await fetch(up.url)).status).toBe(200);
    const all = seen.flatMap(urlsIn);
    expect(all.length).toBeGreaterThan(2);
    expect(all.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
  });
});
