import { fitImage } from '../../src/media/image.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderEnv } from '../../src/providers/types.ts';

export function makeJob(over: Partial<Job> = {}): Job {
  return {
    id: 'job123abc456',
    shotId: 'hero',
    baseId: 'hero',
    take: 1,
    index: 0,
    provider: 'apidot',
    model: 'sora-2',
    wireModel: 'sora-2-official',
    tier: 'standard',
    prompt: 'A red kite over a grey sea',
    seconds: 4,
    aspect: '16:9',
    resolution: '720p',
    size: { width: 1280, height: 720 },
    params: {},
    fields: {},
    cost: { usd: 0.4, credits: null },
    source: { file: 'm.yaml', line: 1, col: 1 },
    ...over,
  };
}

export type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/** A tiny HTTP server on a free port for tests that need exact wire answers. */
export async function fakeServer(handler: Handler): Promise<{
  url: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }>;
  close: () => Promise<void>;
}> {
  const requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function envFor(baseUrl: string, over: Partial<ProviderEnv> = {}): ProviderEnv {
  return { baseUrl, apiKey: 'test-key', fetch: globalThis.fetch, now: () => Date.UTC(2026, 10, 21), workDir: '/tmp', fitImage, ...over };
}

/** A port nothing listens on (bound then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
