/** Test helpers for the emulator: a callback receiver, JSON fetch, and real-time polling with a bound. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const AUTH = { authorization: 'Bearer test-key' };

export interface Received {
  headers: Record<string, string>;
  body: string;
  path: string;
}

/** An HTTP server on port 0 that records every POST it receives. */
export async function startReceiver(
  status = 200,
): Promise<{ url: string; received: Received[]; close(): Promise<void>; setStatus(s: number): void }> {
  const received: Received[] = [];
  let answer = status;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
      received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/' });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setStatus: (s) => (answer = s),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function getJson(
  url: string,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; body: any; headers: Headers }> {
  return readJson(await fetch(url, { headers }));
}

export async function postJson(
  url: string,
  json: unknown,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; body: any; headers: Headers }> {
  return readJson(
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(json) }),
  );
}

/** The answer's body as JSON when it is JSON, else as text. */
async function readJson(r: Response): Promise<{ status: number; body: any; headers: Headers }> {
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body, headers: r.headers };
}

/** Poll `fn` in real time (renders are real ffmpeg runs) until it returns a value, or fail after `ms`. */
export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 90_000, every = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function download(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const r = await fetch(url, { headers });
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}
