/**
 * fal's calls beyond submit/status: cancel (`PUT …/requests/{id}/cancel`), storage upload (the flow
 * `@fal-ai/client` storage.upload uses: initiate on the REST host, then PUT to the signed URL) and
 * reconcile through the Platform API's request history by endpoint.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CancelOutcome, ProviderEnv, ReconcileOptions, ReconcileOutcome, TaskRef, UploadOutcome } from './types.ts';
import { asRecord, asString, classifyHttpFailure, errorInfo, sendWire } from './http.ts';
import { isProviderOrigin } from './origin.ts';

/** Node's fs and fetch errors name their cause (ENOENT, ECONNRESET) in the message. */
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const QUEUE_ORIGIN = 'https://queue.fal.run';

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Key ${env.apiKey}` };
}

/** The REST host (storage) for a queue base URL: fal's own, or the same base for an emulator/gateway. */
export function falRestBase(baseUrl: string): string {
  return new URL(baseUrl).origin === QUEUE_ORIGIN ? 'https://rest.fal.ai' : baseUrl.replace(/\/$/, '');
}

/** The Platform API (`/v1/models/requests/by-endpoint`) for a queue base URL. */
export function falPlatformBase(baseUrl: string): string {
  return new URL(baseUrl).origin === QUEUE_ORIGIN ? 'https://api.fal.ai/v1' : `${baseUrl.replace(/\/$/, '')}/v1`;
}

/** `PUT cancel_url`: 202 CANCELLATION_REQUESTED (not billed: fal bills successful outputs), 400 ALREADY_COMPLETED. */
export async function cancelFal(env: ProviderEnv, task: TaskRef, queueRoot: string): Promise<CancelOutcome> {
  // A stored cancel_url on another origin (an old checkpoint, a hostile answer) is not used: the key stays home.
  const stored = task.urls?.cancel;
  const url = stored && isProviderOrigin(stored, env.baseUrl) ? stored : `/${queueRoot}/requests/${encodeURIComponent(task.id)}/cancel`;
  const r = await sendWire(env, { method: 'PUT', path: url }, { headers: auth(env) });
  if (!r.ok) return { kind: 'failed', message: `fal cancel: ${errText(r.error)}` };
  const status = asString(asRecord(r.res.body).status);
  if (r.res.status === 202 || status === 'CANCELLATION_REQUESTED') return { kind: 'cancelled', charged: false };
  if (status === 'ALREADY_COMPLETED') return { kind: 'already_done' };
  return { kind: 'failed', message: `fal cancel HTTP ${r.res.status}: ${errorInfo(r.res.body, `http_${r.res.status}`).message}` };
}

/** Upload a local file to fal storage; the returned URL is what `image_url` takes. */
export async function uploadToFal(env: ProviderEnv, path: string, contentType: string): Promise<UploadOutcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return { kind: 'rejected', message: `cannot read ${path}: ${errText(err)}` };
  }
  // fal's storage lives on its REST host, which is fal's own: it is the configured origin for this call.
  const rest = falRestBase(env.baseUrl);
  const init = await sendWire(
    { ...env, baseUrl: rest },
    {
      method: 'POST',
      path: `${rest}/storage/upload/initiate`,
      query: { storage_type: 'fal-cdn-v3' },
      json: { content_type: contentType, file_name: basename(path) },
    },
    { headers: auth(env) },
  );
  if (!init.ok) return { kind: 'transient', message: `fal storage: ${errText(init.error)}` };
  if (init.res.status < 200 || init.res.status >= 300) return uploadFailure(init.res.status, init.res.headers, init.res.body, env.now());
  const b = asRecord(init.res.body);
  const uploadUrl = asString(b.upload_url);
  const fileUrl = asString(b.file_url);
  if (!uploadUrl || !fileUrl) return { kind: 'transient', message: 'fal storage: initiate answered without upload_url/file_url' };
  // The signed upload URL carries its own authorization: the key is never sent there.
  let put: Response;
  try {
    put = await env.fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body: new Uint8Array(bytes),
      signal: env.signal,
    });
    await put.arrayBuffer().catch(() => undefined);
  } catch (err) {
    return { kind: 'transient', message: `fal storage upload: ${errText(err)}` };
  }
  if (!put.ok)
    return { kind: put.status >= 500 || put.status === 429 ? 'transient' : 'rejected', message: `fal storage upload HTTP ${put.status}` };
  return { kind: 'uploaded', url: fileUrl };
}

function uploadFailure(status: number, headers: Record<string, string>, body: unknown, nowMs: number): UploadOutcome {
  const f = classifyHttpFailure(status, headers, body, nowMs);
  const message = `fal storage HTTP ${status}: ${errorInfo(body, `http_${status}`).message}`;
  return f.kind === 'transient' || f.kind === 'throttled' ? { kind: 'transient', message } : { kind: 'rejected', message };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * After an ambiguous submit: the Platform API lists the key's requests to an endpoint with their
 * input (`expand=payloads`). A request whose input is the one we sent, in the window from just before
 * our send, and not owned by another job, is ours. The history lists requests as they end, so "not
 * found" cannot prove the submit never arrived: it stays `unknown`, never `absent`.
 */
export async function reconcileFal(
  env: ProviderEnv,
  app: string,
  sent: Record<string, unknown>,
  sentAtMs: number,
  opts: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const exclude = new Set(opts.excludeTaskIds ?? []);
  const base = falPlatformBase(env.baseUrl);
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const query: Record<string, string> = {
      endpoint_id: app,
      start: iso(sentAtMs - 120_000),
      expand: 'payloads',
      limit: '100',
      ...(cursor ? { cursor } : {}),
    };
    // The Platform API host is fal's own: it is the configured origin for this call.
    const r = await sendWire(
      { ...env, baseUrl: base },
      { method: 'GET', path: `${base}/models/requests/by-endpoint`, query },
      { headers: auth(env) },
    );
    if (!r.ok) return { kind: 'unknown', message: `fal request history: ${errText(r.error)}` };
    if (r.res.status < 200 || r.res.status >= 300) return { kind: 'unknown', message: `fal request history HTTP ${r.res.status}` };
    const b = asRecord(r.res.body);
    for (const item of Array.isArray(b.items) ? b.items : []) {
      const it = asRecord(item);
      const id = asString(it.request_id);
      if (!id || exclude.has(id)) continue;
      if (sameInput(asRecord(it.json_input), sent)) return { kind: 'found', task: { id, urls: { app } } };
    }
    cursor = asString(b.next_cursor);
    if (b.has_more !== true || !cursor) break;
  }
  return { kind: 'unknown', message: 'fal: no matching request in the endpoint history yet (it lists requests once they end)' };
}

/** Every field we sent is echoed with the same value (fal may add defaults). */
export function sameInput(got: Record<string, unknown>, sent: Record<string, unknown>): boolean {
  return Object.entries(sent).every(([k, v]) => JSON.stringify(got[k]) === JSON.stringify(v));
}
