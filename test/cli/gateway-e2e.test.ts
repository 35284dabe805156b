/**
 * Providers are data: a manifest declares its own provider instance ("gw", an OpenAI-compatible
 * gateway running Veo 3.1) by protocol, base URL, key variable and models, and runs it end to end
 * with no code change — against the emulator serving the OpenAI protocol under another prefix.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { cleanEnv, runInProcess } from '../helpers/cli.ts';

const CATALOG = `provider: gw
protocol: openai
base_url: https://gateway.example.com/v1
key_env: GW_KEY
as_of: "2026-11-30"
source: "a test gateway"
limits: { submit_per_min: 600, submit_burst: 10, polls_per_min: 6000, max_in_flight: 4, downloads: 2 }
models:
  - id: veo-3.1
    wire_id: veo-3.1
    tier: standard
    family: veo-3.1
    durations: [4, 8]
    aspects: ["16:9", "9:16"]
    resolutions: [720p]
    image: upload
    supports: { seed: false, negative_prompt: false, guidance: false }
    max_prompt_chars: 4000
    price: { kind: per_second, unit: usd, by_resolution: { 720p: 0.2 } }
    render_seconds: 1
    result_url_ttl_s: 3600
    charges_failures: false
`;
const MANIFEST = `name: gw
provider: gw
model: veo-3.1
catalog: gw.yaml
defaults: { seconds: 4, resolution: 720p, prompt: "gateway shot" }
matrix: { aspect: ["16:9", "9:16"] }
shots: [{ id: a }]
post: []
`;

describe('a provider instance declared as data (OpenAI protocol at /gw/v1)', () => {
  let dir: string;
  let emu: EmulatorHandle;
  let proxy: Server;
  let proxyUrl: string;
  const seen: Array<{ path: string; auth: string }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shotlist-gw-'));
    await writeFile(join(dir, 'gw.yaml'), CATALOG);
    await writeFile(join(dir, 'm.yaml'), MANIFEST);
    emu = await startEmulator({
      render: 'shared',
      mounts: [{ prefix: '/gw/v1', protocol: 'openai', models: ['veo-3.1'] }],
      faults: { openai: { renderMs: 200 } },
    });
    // Records which key reaches which path, then forwards to the emulator.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        seen.push({ path: req.url ?? '', auth: String(req.headers.authorization ?? '') });
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const r = await fetch(`${emu.url}${req.url}`, { method: req.method, headers, body });
        const out = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(out);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('plans, runs and downloads Veo 3.1 through the gateway; only GW_KEY is sent, only to the gateway', async () => {
    const env = cleanEnv({ GW_BASE_URL: `${proxyUrl}/gw/v1`, GW_KEY: 'gw-secret', OPENAI_API_KEY: 'openai-secret' });
    const r = await runInProcess(['run', 'm.yaml', '--yes', '--out', join(dir, 'out')], { cwd: dir, env });
    expect(r.err + r.out).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gw\s+veo-3\.1/);
    const tasks = emu.tasks('openai');
    expect(tasks).toHaveLength(2);
    const admin = (await (await fetch(`${emu.url}/_emulator/tasks?provider=openai`)).json()) as {
      tasks: Array<{ id: string; model: string }>;
    };
    expect(admin.tasks.map((t) => t.model)).toEqual(['veo-3.1', 'veo-3.1']);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(dir, 'out', 'clips'))).filter((f) => f.endsWith('.mp4'))).toHaveLength(2);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((s) => s.path.startsWith('/gw/v1/') || s.path.startsWith('/files/'))).toBe(true);
    expect(seen.filter((s) => s.path.startsWith('/gw/v1/')).every((s) => s.auth === 'Bearer gw-secret')).toBe(true);
    expect(seen.some((s) => s.auth.includes('openai-secret'))).toBe(false);
  });

  it('without its key variable the run is refused up front, naming GW_KEY', async () => {
    const r = await runInProcess(['run', 'm.yaml', '--yes', '--out', join(dir, 'out2')], {
      cwd: dir,
      env: cleanEnv({ GW_BASE_URL: `${proxyUrl}/gw/v1`, OPENAI_API_KEY: 'x' }),
    });
    expect(r.err).toMatch(/missing API key in the environment: GW_KEY/);
    expect(r.code).toBe(2);
  });
});

describe('a provider instance under --emulate', () => {
  it('runs on the emulated protocol (which serves its models) and never reaches the declared host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-gw-emu-'));
    try {
      await writeFile(join(dir, 'gw.yaml'), CATALOG);
      await writeFile(join(dir, 'm.yaml'), MANIFEST);
      // base_url points at a port nothing listens on: reaching it would fail the run.
      const r = await runInProcess(['run', 'm.yaml', '--yes', '--emulate', '--out', join(dir, 'out')], {
        cwd: dir,
        env: cleanEnv({ GW_BASE_URL: 'http://127.0.0.1:9/v1', GW_KEY: 'real-gw-key' }),
      });
      expect(r.err + r.out).not.toMatch(/internal error/);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/downloaded 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
