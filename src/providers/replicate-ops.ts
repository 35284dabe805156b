/**
 * Replicate calls beyond create/get: cancel (`POST /predictions/{id}/cancel`), the Files API for
 * local reference images, and reconcile through the predictions list.
 */
import { access } from 'node:fs/promises';
import type { CancelOutcome, ProviderEnv, ReconcileOptions, ReconcileOutcome, TaskRef, UploadOutcome } from './types.ts';
import { asRecord, asString, classifyHttpFailure, errorInfo, sendWire } from './http.ts';

/** Node's fs and fetch errors name their cause (ENOENT, ECONNRESET) in the message. */
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Bearer ${env.apiKey}` };
}

/**
 * Whether Replicate bills a prediction that did not succeed: one canceled after it started is billed
 * for the time it ran (public models too, changelog 2025-10-16); aborted (never started) is free.
 */
export function billedWithoutOutput(p: Record<string, unknown>): boolean {
  const status = asString(p.status);
  return (status === 'canceled' || status === 'cancelled') && !!asString(p.started_at);
}

export async function cancelReplicate(env: ProviderEnv, task: TaskRef): Promise<CancelOutcome> {
  const r = await sendWire(env, { method: 'POST', path: `/predictions/${encodeURIComponent(task.id)}/cancel` }, { headers: auth(env) });
  if (!r.ok) return { kind: 'failed', message: `replicate cancel: ${errText(r.error)}` };
  if (r.res.status < 200 || r.res.status >= 300)
    return { kind: 'failed', message: `replicate cancel HTTP ${r.res.status}: ${errorInfo(r.res.body, `http_${r.res.status}`).message}` };
  const p = asRecord(r.res.body);
  const status = asString(p.status);
  if (status === 'succeeded' || status === 'failed') return { kind: 'already_done' };
  if (status === 'aborted') return { kind: 'cancelled', charged: false };
  // The answer may still say `processing` while the cancel takes hold; it has started, so it is billed.
  return {
    kind: 'cancelled',
    charged: status === 'canceled' || status === 'cancelled' ? billedWithoutOutput(p) : !!asString(p.started_at),
  };
}

/** `POST /files` (multipart `content`): the file's `urls.get` is what model inputs take. */
export async function uploadToReplicate(env: ProviderEnv, path: string, contentType: string): Promise<UploadOutcome> {
  try {
    await access(path);
  } catch (err) {
    return { kind: 'rejected', message: `cannot read ${path}: ${errText(err)}` };
  }
  const r = await sendWire(
    env,
    { method: 'POST', path: '/files', multipart: { fields: {}, files: [{ field: 'content', path, contentType }] } },
    { headers: auth(env) },
  );
  if (!r.ok) return { kind: 'transient', message: `replicate files: ${errText(r.error)}` };
  if (r.res.status < 200 || r.res.status >= 300) {
    const f = classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now());
    const message = `replicate files HTTP ${r.res.status}: ${errorInfo(r.res.body, `http_${r.res.status}`).message}`;
    return f.kind === 'transient' || f.kind === 'throttled' ? { kind: 'transient', message } : { kind: 'rejected', message };
  }
  const b = asRecord(r.res.body);
  const url = asString(asRecord(b.urls).get);
  if (!url) return { kind: 'transient', message: 'replicate files: answer without urls.get' };
  const expires = Date.parse(asString(b.expires_at) ?? '');
  return Number.isFinite(expires) ? { kind: 'uploaded', url, expiresAt: expires } : { kind: 'uploaded', url };
}

/** Every input field we sent comes back with the same value (the model may add defaults). */
export function sameInput(got: Record<string, unknown>, sent: Record<string, unknown>): boolean {
  return Object.entries(sent).every(([k, v]) => JSON.stringify(got[k]) === JSON.stringify(v));
}

/**
 * After an ambiguous create: the predictions list (newest first) from shortly before our send. Ours
 * is the one for the same model with the input we sent that no other job owns. The list shows a
 * prediction as soon as it exists, so a complete scan without a match means none was created.
 * Input removed after an hour (`data_removed`) cannot be matched: then the answer is `unknown`.
 */
export async function reconcileReplicate(
  env: ProviderEnv,
  model: string,
  sent: Record<string, unknown>,
  sentAtMs: number,
  opts: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const exclude = new Set(opts.excludeTaskIds ?? []);
  let path = '/predictions';
  let query: Record<string, string> | undefined = { created_after: new Date(sentAtMs - 120_000).toISOString() };
  let unmatchable = false;
  for (let page = 0; page < 20; page++) {
    const r = await sendWire(env, { method: 'GET', path, ...(query ? { query } : {}) }, { headers: auth(env) });
    if (!r.ok) return { kind: 'unknown', message: `replicate list: ${errText(r.error)}` };
    if (r.res.status < 200 || r.res.status >= 300) return { kind: 'unknown', message: `replicate list HTTP ${r.res.status}` };
    const b = asRecord(r.res.body);
    let older = false;
    for (const item of Array.isArray(b.results) ? b.results : []) {
      const p = asRecord(item);
      const id = asString(p.id);
      const created = Date.parse(asString(p.created_at) ?? '');
      if (Number.isFinite(created) && created < sentAtMs - 120_000) older = true;
      if (!id || exclude.has(id) || asString(p.model) !== model) continue;
      if (p.data_removed === true) unmatchable = true;
      else if (sameInput(asRecord(p.input), sent)) return { kind: 'found', task: { id } };
    }
    const next = asString(b.next);
    if (!next || older) break;
    path = next;
    query = undefined;
  }
  return unmatchable
    ? { kind: 'unknown', message: 'replicate: predictions in the window have had their input removed (after 1 h); cannot match' }
    : { kind: 'absent' };
}
