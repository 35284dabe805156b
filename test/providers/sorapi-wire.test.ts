/** SorAPI as its documentation (seed 001) spells it: the host, the status parameter, the portrait value. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sorapi } from '../../src/providers/sorapi.ts';
import { envFor, fakeServer, json, makeJob } from './helpers.ts';

describe('sorapi on the wire', () => {
  let srv: Awaited<ReturnType<typeof fakeServer>>;
  beforeAll(async () => {
    srv = await fakeServer((req, _body, res) => {
      if (req.method === 'POST') return json(res, 200, { task_id: 'sor_1' });
      json(res, 200, { task_id: 'sor_1', status: 'running' });
    });
  });
  afterAll(() => srv.close());

  it('creates at /api/generate with aspect_ratio "vertical" and polls /api/status?id=…', async () => {
    const job = makeJob({ provider: 'sorapi', wireModel: 'sora-2-latest', aspect: '9:16', size: { width: 720, height: 1280 } });
    const out = await sorapi.submit(envFor(srv.url), job, { idempotencyKey: 'k1' });
    expect(out).toMatchObject({ kind: 'accepted', task: { id: 'sor_1' } });
    expect(await sorapi.status(envFor(srv.url), { id: 'sor_1' }, job)).toMatchObject({ kind: 'running' });
    const [create, status] = srv.requests;
    expect(create!.url).toBe('/api/generate');
    expect(JSON.parse(create!.body.toString())).toMatchObject({ aspect_ratio: 'vertical' });
    expect(status!.url).toBe('/api/status?id=sor_1');
  });
});

describe('sorapi callbacks at plan time', () => {
  it('a run with a non-https public callback URL is refused before anything is sent', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadAndPlan } = await import('../../src/cli/context.ts');
    const dir = await mkdtemp(join(tmpdir(), 'sorapi-cb-'));
    await writeFile(
      join(dir, 'm.yaml'),
      'name: cb\nprovider: sorapi\nmodel: sora-2\nshots:\n  - id: a\n    prompt: "x"\n    seconds: 4\n',
      'utf8',
    );
    const flags = { allowUnpriced: true, listen: '127.0.0.1:0' };
    await expect(loadAndPlan('m.yaml', dir, { ...flags, publicUrl: 'http://hooks.example.com' })).rejects.toThrow(/https:\/\/ URLs only/);
    await expect(loadAndPlan('m.yaml', dir, { ...flags, publicUrl: 'https://hooks.example.com' })).resolves.toBeDefined();
  });
});
