/** Small request/response helpers shared by every provider handler. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(body: Buffer): JsonParse {
  if (body.length === 0) return { ok: false, message: 'empty body' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { ok: false, message: `invalid JSON: ${(err as Error).message}` };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse a multipart/form-data body with the platform's own parser (undici's Request.formData). */
export async function parseMultipart(body: Buffer, contentType: string): Promise<FormData> {
  const r = new Request('http://emulator.local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
  return r.formData();
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), ...headers });
  res.end(body);
}

/** Bearer token from the Authorization header, or undefined when missing/empty. */
export function bearerKey(req: IncomingMessage, scheme = 'Bearer'): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^(\S+)\s+(.+)$/.exec(h.trim());
  if (!m || m[1]!.toLowerCase() !== scheme.toLowerCase()) return undefined;
  const key = m[2]!.trim();
  return key ? key : undefined;
}

/** Wall-clock style ISO time without timezone (APIDot's `created_time`). */
export function isoNoZone(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
