/**
 * The undici transport against tiny servers on 127.0.0.1: each failure path is classified from the
 * request's own lifecycle; credentials never leave the provider's origin; bodies are capped.
 */
import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fal } from '../../src/providers/fal.ts';
import { classifyTransportError, sendWire } from '../../src/providers/http.ts';
import { createTransport, TransportError, type ProviderTransport } from '../../src/providers/transport.ts';
import type { Provider } from '../../src/providers/types.ts';
import { downloadCapBytes, downloadClip } from '../../src/run/download.ts';
import { makeJob as runJob, tinyClip } from '../run/helpers.ts';
import { closedPort, envFor, fakeServer, json, makeJob } from './helpers.ts';

const transports: ProviderTransport[] = [];
const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function transport(o: Partial<Parameters<typeof createTransport>[0]> = {}): ProviderTransport {
  const t = createTransport({ connections: 4, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000, ...o });
  transports.push(t);
  return t;
}

async function server(fn: Parameters<typeof fakeServer>[0]) {
  const s = await fakeServer(fn);
  servers.push(s);
  return s;
}

/** A raw server (handler sees the request before its body is read). */
async function rawServer(
  fn: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const s = createServer(fn);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push({
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s };
}

describe('ambiguity from the request lifecycle', () => {
  it('connect refused on a create → transient (nothing left the process)', async () => {
    const port = await closedPort();
    const r = await sendWire(
      envFor(`http://127.0.0.1:${port}`, { fetch: transport().fetch }),
      { method: 'POST', path: '/videos', json: { a: 1 } },
      { headers: {} },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(TransportError);
    expect((r.error as TransportError).lifecycle.requestSent).toBe(false);
    expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('transient');
  });

  it('connection reset after the whole body was received → ambiguous on a create, transient on a GET', async () => {
    const srv = await server((req) => req.socket.destroy());
    const t = transport();
    const r = await sendWire(
      envFor(srv.url, { fetch: t.fetch }),
      { method: 'POST', path: '/videos', json: { prompt: 'x'.repeat(1000) } },
      { headers: {} },
    );
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]!.body.length).toBeGreaterThan(1000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect((r.error as TransportError).lifecycle.requestSent).toBe(true);
    expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('ambiguous');
    expect(classifyTransportError(r.error, 'get', r.notSent).kind).toBe('transient');
  });

  it('headers timeout on a create → ambiguous (the provider may be making the task)', async () => {
    const srv = await server(() => {
      /* received, never answered */
    });
    const t = transport({ headersTimeoutMs: 150 });
    const r = await sendWire(envFor(srv.url, { fetch: t.fetch }), { method: 'POST', path: '/videos', json: {} }, { headers: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const c = classifyTransportError(r.error, 'create', r.notSent);
    expect(c.kind).toBe('ambiguous');
    expect(c.message).toContain('UND_ERR_HEADERS_TIMEOUT');
  });

  it('body timeout on a download → transient (retried), and the next attempt completes', async () => {
    let calls = 0;
    const clip = await tinyClip();
    const { url } = await rawServer((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
      if (calls === 1)
        res.write(clip.subarray(0, 100)); // then silence
      else res.end(clip);
    });
    const runDir = await mkdtemp(join(tmpdir(), 'shotlist-transport-'));
    const job = runJob(0);
    const provider: Provider = { ...fal, contentRequest: () => ({ url: `${url}/clip.mp4`, headers: {} }) };
    const args = {
      runDir,
      job,
      task: { id: 't1' },
      outputs: [],
      provider,
      env: envFor('http://api.invalid', { fetch: transport({ bodyTimeoutMs: 150 }).fetch }),
    };
    const first = await downloadClip(args);
    expect(first.kind).toBe('transient');
    if (first.kind === 'transient') expect(first.message).toMatch(/body timeout/i);
    expect((await readdir(join(runDir, 'clips'))).filter((f) => f.endsWith('.part'))).toEqual([]);
    const second = await downloadClip(args);
    expect(second).toMatchObject({ kind: 'ok', clip: { bytes: clip.length } });
  });
});

describe('signals', () => {
  it("works with the run's shared signal (listener limit 0, which Node 20's undici path cannot read) and still aborts", async () => {
    const srv = await server((_req, _b, res) => json(res, 200, { ok: true }));
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    const t = transport();
    const r = await t.fetch(`${srv.url}/x`, { signal: ac.signal });
    expect(await r.json()).toEqual({ ok: true });
    ac.abort();
    await expect(t.fetch(`${srv.url}/x`, { signal: ac.signal })).rejects.toBeInstanceOf(TransportError);
  });
});

describe('credentials stay on the provider origin', () => {
  it('a fal submit naming status_url/response_url on another origin: that server never sees the key', async () => {
    const stranger = await server((_req, _b, res) => json(res, 200, { status: 'COMPLETED' }));
    const api = await server((req, _b, res) => {
      if (req.method === 'POST') {
        return json(res, 200, {
          request_id: 'r1',
          status_url: `${stranger.url}/fal-ai/x/requests/r1/status`,
          response_url: `${stranger.url}/fal-ai/x/requests/r1`,
        });
      }
      if (req.url?.endsWith('/status')) return json(res, 200, { status: 'COMPLETED' });
      return json(res, 200, { video: { url: `${stranger.url}/v.mp4` } });
    });
    const env = envFor(api.url, { apiKey: 'fal-secret', fetch: transport().fetch });
    const job = makeJob({ provider: 'fal', wireModel: 'fal-ai/x/text-to-video' });
    const sub = await fal.submit(env, job, { idempotencyKey: 'k' });
    expect(sub.kind).toBe('accepted');
    if (sub.kind !== 'accepted') return;
    const st = await fal.status(env, sub.task, job);
    expect(st).toMatchObject({ kind: 'succeeded', outputs: [`${stranger.url}/v.mp4`] });
    expect(stranger.requests).toHaveLength(0); // the queue's own URLs were used instead
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Key fal-secret', 'Key fal-secret', 'Key fal-secret']);
    // Even a URL handed straight to sendWire gets no credentials on another origin.
    await sendWire(env, { method: 'GET', path: `${stranger.url}/probe` }, { headers: { authorization: 'Key fal-secret' } });
    expect(stranger.requests).toHaveLength(1);
    expect(stranger.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('a redirect to another origin drops the Authorization header', async () => {
    const other = await server((_req, _b, res) => json(res, 200, { status: 'IN_QUEUE' }));
    const api = await server((_req, _b, res) => {
      res.writeHead(302, { location: `${other.url}/elsewhere` });
      res.end();
    });
    const env = envFor(api.url, { apiKey: 'k', fetch: transport().fetch });
    const r = await sendWire(env, { method: 'GET', path: '/status' }, { headers: { authorization: 'Bearer top-secret' } });
    expect(r.ok).toBe(true);
    expect(api.requests[0]!.headers.authorization).toBe('Bearer top-secret');
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('result media on a CDN is downloaded without the key', async () => {
    const cdn = await server((_req, _b, res) => {
      res.writeHead(404);
      res.end();
    });
    const runDir = await mkdtemp(join(tmpdir(), 'shotlist-transport-'));
    const provider: Provider = {
      ...fal,
      contentRequest: () => ({ url: `${cdn.url}/v.mp4`, headers: { authorization: 'Key fal-secret' } }),
    };
    await downloadClip({
      runDir,
      job: makeJob(),
      task: { id: 't' },
      outputs: [],
      provider,
      env: envFor('http://127.0.0.1:1', { fetch: transport().fetch }),
    });
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('size caps', () => {
  it('a status body far over the API cap is not buffered: reading stops and the call fails (transient for a GET)', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const { url } = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no length: streamed "400 MB"
      const pump = () => {
        while (sent < 400 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = Math.max(sent, 0)));
      pump();
    });
    const r = await sendWire(envFor(url, { fetch: transport().fetch }), { method: 'GET', path: '/status' }, { headers: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(classifyTransportError(r.error, 'get', r.notSent)).toMatchObject({ kind: 'transient' });
    expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('ambiguous');
    expect(sent).toBeLessThan(100 * 1024 * 1024); // the server was cut off long before 400 MB
  });

  it('a download advertising more than the job can be is refused before reading; one streaming past the cap is stopped', async () => {
    const job = makeJob({ seconds: 4 });
    const cap = downloadCapBytes(job);
    expect(cap).toBe(Math.ceil((4 * 50e6) / 8) + 8 * 1024 * 1024);
    let streamed = 0;
    const { url } = await rawServer((req, res) => {
      if (req.url === '/advertised') {
        res.writeHead(200, { 'content-length': String(3 * 1024 ** 3) });
        res.write(Buffer.alloc(1024));
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (streamed < 4 * cap) {
          streamed += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const runDir = await mkdtemp(join(tmpdir(), 'shotlist-transport-'));
    const dl = (path: string) =>
      downloadClip({
        runDir,
        job,
        task: { id: 't' },
        outputs: [],
        provider: { ...fal, contentRequest: () => ({ url: `${url}${path}`, headers: {} }) },
        env: envFor('http://127.0.0.1:1', { fetch: transport().fetch }),
        maxBytes: 1024 * 1024,
      });
    expect((await dl('/advertised')).kind).toBe('too_large');
    const streamedOut = await dl('/streamed');
    expect(streamedOut.kind).toBe('too_large');
    expect(streamed).toBeLessThan(4 * cap);
    expect(await readdir(join(runDir, 'clips'))).toEqual([]);
  });
});
