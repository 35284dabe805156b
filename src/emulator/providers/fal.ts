/** fal.ai queue: submit to any app path, poll the returned status URL, fetch the result (which may be an error). */
import { falSignature, type Delivery } from '../callbacks.ts';
import { prefixOf, type Ctx, type EmuCore, type ProviderModule } from '../core.ts';
import { fileSize } from '../files.ts';
import { isRecord, parseJson, sendJson } from '../http.ts';
import { effective, loadInputSchemas, validateInput, type SchemaError } from '../input-schema.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

const detail = (loc: string[], msg: string, type: string) => ({ detail: [{ loc, msg, type }] });

function uuid(core: EmuCore): string {
  const h = core.newId(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function urls(core: EmuCore, t: EmuTask): { status_url: string; response_url: string; cancel_url: string } {
  // Like real fal, the queue URLs keep only the app's owner/name and drop its sub-path.
  const base = `${core.baseUrl}${prefixOf(t, fal.prefix)}/${String(t.meta.appBase)}/requests/${t.id}`;
  return { status_url: `${base}/status`, response_url: base, cancel_url: `${base}/cancel` };
}

function queueStatus(p: Phase): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' {
  if (p.kind === 'queued') return 'IN_QUEUE';
  return p.kind === 'running' ? 'IN_PROGRESS' : 'COMPLETED';
}

/** fal's request-error shape: a flat `detail`, `error_type`, and the same type in `X-Fal-Error-Type`. */
export function requestError(status: number, detailText: string, errorType: string, extra: Record<string, string> = {}) {
  return { status, body: { detail: detailText, error_type: errorType }, headers: { 'x-fal-error-type': errorType, ...extra } };
}

/**
 * The result fetch: output for a success; for a failure the answer is an error although the status
 * said COMPLETED. A lost runner is final here (the queue already retried it, up to 10 times); a
 * `resultNeedsRetry` fault answers 503 + `X-Fal-Needs-Retry` first: the clip exists, fetch again.
 */
async function result(
  core: EmuCore,
  t: EmuTask,
  p: Phase,
  fetching = false,
): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  if (p.kind === 'succeeded') {
    const retries = core.faults.fal.get().resultNeedsRetry ?? 0;
    const seen = typeof t.meta.resultFetches === 'number' ? t.meta.resultFetches : 0;
    if (fetching) t.meta.resultFetches = seen + 1;
    if (fetching && seen < retries)
      return requestError(503, 'The result is temporarily unavailable', 'runner_connection_error', { 'x-fal-needs-retry': '1' });
    return {
      status: 200,
      body: {
        video: {
          url: core.resultUrl(t, p),
          content_type: 'video/mp4',
          file_name: 'output.mp4',
          file_size: await fileSize(p.path).catch(() => 0),
        },
        video_id: `video_${t.id.replace(/-/g, '')}`,
        seed: t.meta.seed ?? null,
      },
    };
  }
  if (p.kind === 'failed')
    return {
      status: 422,
      body: detail(['body', 'prompt'], p.message, 'content_policy_violation'),
      headers: { 'x-fal-error-type': 'content_policy_violation' },
    };
  if (p.kind === 'canceled') return requestError(400, 'Request was cancelled', 'client_cancelled');
  return requestError(503, 'The runner disconnected unexpectedly during processing', 'runner_disconnected');
}

/** Checks for apps without a vendored schema (tests use arbitrary app ids). */
function lenientErrors(b: Record<string, unknown>, app: string): SchemaError[] {
  const errs: SchemaError[] = [];
  if (typeof b.prompt !== 'string' || !b.prompt.trim()) errs.push({ field: 'prompt', type: 'missing', message: 'Field required' });
  const s = parseSeconds(b.duration ?? 4);
  if (s === undefined || !Number.isInteger(s) || s < 1 || s > 20)
    errs.push({ field: 'duration', type: 'literal_error', message: 'Input should be a valid duration', input: b.duration });
  if (!['16:9', '9:16', '1:1', 'auto', '4:3', '3:4', '21:9'].includes(String(b.aspect_ratio ?? '16:9')))
    errs.push({ field: 'aspect_ratio', type: 'literal_error', message: "Input should be '16:9' or '9:16'", input: b.aspect_ratio });
  if (app.includes('sora-2') && b.aspect_ratio === 'auto' && typeof b.image_url !== 'string')
    errs.push({ field: 'aspect_ratio', type: 'value_error', message: "'auto' needs image_url" });
  return errs;
}

async function submit(ctx: Ctx, app: string[]): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(422, detail(['body'], 'Input should be a valid JSON object', 'json_invalid'));
  const b = parsed.value;
  const appId = app.join('/');
  const schema = loadInputSchemas('fal').get(appId);
  const errs = schema ? validateInput(schema, b) : lenientErrors(b, appId);
  if (errs.length) {
    return ctx.json(422, {
      detail: errs.map((e) => ({
        loc: ['body', e.field],
        msg: e.message,
        type: e.type,
        ...(e.input !== undefined ? { input: e.input } : {}),
      })),
    });
  }
  const hook = ctx.url.searchParams.get('fal_webhook') ?? undefined;
  if (hook !== undefined && !/^https?:\/\//.test(hook))
    return ctx.json(422, detail(['query', 'fal_webhook'], 'Invalid webhook URL', 'url_parsing'));
  if (!core.admit(ctx, fal)) return;

  const seconds = parseSeconds(effective(schema, b, 'duration') ?? 5);
  const aspect = String(effective(schema, b, 'aspect_ratio') ?? '16:9');
  const res = String(effective(schema, b, 'resolution') ?? '720p');
  const t = core.createTask({
    provider: 'fal',
    id: uuid(core),
    key: ctx.key,
    prompt: typeof b.prompt === 'string' ? b.prompt : 'multi-prompt',
    model: appId,
    ...sizeFor(aspect === 'auto' ? '16:9' : aspect, res === 'auto' ? '720p' : res),
    // `"auto"` durations (Seedance) render as 5 s.
    seconds: seconds !== undefined && Number.isInteger(seconds) ? seconds : 5,
    callbackUrl: hook,
    meta: { appBase: app.slice(0, 2).join('/'), appId, seed: b.seed, input: b, ...(ctx.mountPrefix ? { mount: ctx.mountPrefix } : {}) },
    failCode: 'content_policy_violation',
    failMessage: 'The content could not be processed because it was flagged by a content checker.',
  });
  ctx.json(200, { request_id: t.id, ...urls(core, t), queue_position: 0, status: 'IN_QUEUE' }, { 'x-fal-request-id': t.id });
}

/** `POST /storage/upload/initiate`: the first step of `@fal-ai/client` storage.upload (then a PUT to `upload_url`). */
async function initiateUpload(ctx: Ctx): Promise<void> {
  const parsed = parseJson(await ctx.body());
  const b = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
  const contentType = typeof b.content_type === 'string' ? b.content_type : 'application/octet-stream';
  const fileName = typeof b.file_name === 'string' ? b.file_name : 'upload.bin';
  const u = ctx.core.uploads.initiate(ctx.core, 'fal', contentType, fileName, ctx.mountPrefix);
  ctx.json(200, { upload_url: u.uploadUrl, file_url: u.fileUrl });
}

/**
 * Platform API `GET /v1/models/requests/by-endpoint`: the key's requests to an endpoint that have
 * ended, newest first, with their input and output under `expand=payloads`; cursor pagination.
 */
function requestHistory(ctx: Ctx): void {
  const { core, url } = ctx;
  const endpoints = url.searchParams.getAll('endpoint_id').flatMap((e) => e.split(','));
  if (!endpoints.length) return ctx.json(422, detail(['query', 'endpoint_id'], 'Field required', 'missing'));
  const start = Date.parse(url.searchParams.get('start') ?? '') || core.now() - 86_400_000;
  const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
  const page = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64').toString() || '0') || 0;
  const payloads = url.searchParams.getAll('expand').some((e) => e.split(',').includes('payloads'));
  const ended = core.store
    .all('fal')
    .filter((t) => t.key === ctx.key && endpoints.includes(String(t.meta.appId)) && t.createdAt >= start)
    .flatMap((t) => {
      const p = core.phase(t);
      return p.kind === 'queued' || p.kind === 'running' ? [] : [{ t, p, end: p.completedAt }];
    })
    .sort((a, b) => b.end - a.end);
  const slice = ended.slice(page * limit, (page + 1) * limit);
  const items = slice.map(({ t, p, end }) => ({
    request_id: t.id,
    endpoint_id: t.meta.appId,
    sent_at: new Date(t.createdAt).toISOString(),
    started_at: new Date(t.createdAt + Math.round((t.dueAt - t.createdAt) * 0.2)).toISOString(),
    ended_at: new Date(end).toISOString(),
    status_code: p.kind === 'succeeded' ? 200 : p.kind === 'failed' ? 422 : 503,
    duration: (end - t.createdAt) / 1000,
    ...(payloads ? { json_input: t.meta.input ?? null, json_output: null } : {}),
  }));
  const more = ended.length > (page + 1) * limit;
  ctx.json(200, { items, next_cursor: more ? Buffer.from(String(page + 1)).toString('base64') : null, has_more: more });
}

async function handle(ctx: Ctx): Promise<void> {
  const { core } = ctx;
  const seg = ctx.path.split('/').filter(Boolean).map(decodeURIComponent);
  if (ctx.method === 'POST' && seg.join('/') === 'storage/upload/initiate') return initiateUpload(ctx);
  if (ctx.method === 'GET' && seg.join('/') === 'v1/models/requests/by-endpoint') return requestHistory(ctx);
  const r = seg.indexOf('requests');
  if (r >= 2 && seg.length >= r + 2) {
    const id = seg[r + 1] ?? '';
    const rest = seg.slice(r + 2).join('/');
    const t = core.store.get('fal', id);
    if (!t || String(t.meta.appBase) !== seg.slice(0, r).join('/')) return ctx.json(404, { detail: 'Request not found' });
    const p = core.phase(t);
    const idHeader = { 'x-fal-request-id': t.id };
    if (ctx.method === 'GET' && rest === 'status') {
      const logs =
        ctx.url.searchParams.get('logs') === '1'
          ? [{ message: `emulated ${t.model}`, level: 'INFO', source: 'user', timestamp: new Date(t.createdAt).toISOString() }]
          : null;
      const status = queueStatus(p);
      // A failed run is still COMPLETED; its status carries the error and its type, like the result.
      const failure = status === 'COMPLETED' && p.kind !== 'succeeded' ? await result(core, t, p) : undefined;
      const errorType = failure?.headers?.['x-fal-error-type'];
      return ctx.json(
        status === 'COMPLETED' ? 200 : 202,
        {
          status,
          request_id: t.id,
          ...urls(core, t),
          ...(p.kind === 'queued' ? { queue_position: 0 } : {}),
          logs,
          metrics: p.kind === 'succeeded' ? { inference_time: (p.completedAt - t.createdAt) / 1000 } : {},
          ...(failure ? { error: failureText(failure.body), error_type: errorType ?? null } : {}),
        },
        idHeader,
      );
    }
    if (ctx.method === 'GET' && rest === '') {
      if (p.kind === 'queued' || p.kind === 'running') return ctx.json(400, { detail: 'Request is still in progress' }, idHeader);
      const out = await result(core, t, p, true);
      return ctx.json(out.status, out.body, { ...idHeader, ...out.headers });
    }
    if (ctx.method === 'PUT' && rest === 'cancel') {
      if (p.kind !== 'queued' && p.kind !== 'running') return ctx.json(400, { status: 'ALREADY_COMPLETED' }, idHeader);
      t.canceledAt = core.now();
      return ctx.json(202, { status: 'CANCELLATION_REQUESTED' }, idHeader);
    }
    return ctx.json(405, { detail: 'Method Not Allowed' });
  }
  if (ctx.method === 'POST' && seg.length >= 2) return submit(ctx, seg);
  ctx.json(404, { detail: 'Not Found' });
}

function failureText(body: unknown): string {
  if (isRecord(body) && typeof body.detail === 'string') return body.detail;
  if (isRecord(body) && Array.isArray(body.detail) && isRecord(body.detail[0]) && typeof body.detail[0].msg === 'string')
    return body.detail[0].msg;
  return 'Request failed';
}

async function callbackFor(core: EmuCore, t: EmuTask, p: Phase): Promise<Delivery> {
  const out = await result(core, t, p);
  const ok = out.status === 200;
  const body = JSON.stringify({
    request_id: t.id,
    gateway_request_id: t.id,
    status: ok ? 'OK' : 'ERROR',
    payload: out.body,
    ...(ok ? {} : { error: `Invalid status code: ${out.status}` }),
  });
  const ts = Math.floor(core.now() / 1000);
  const user = core.opts.falUserId;
  return {
    url: t.callbackUrl!,
    body,
    headers: {
      'x-fal-webhook-request-id': t.id,
      'x-fal-webhook-user-id': user,
      'x-fal-webhook-timestamp': String(ts),
      'x-fal-webhook-signature': falSignature(core.falSigner, t.id, user, ts, body),
    },
  };
}

export const fal: ProviderModule = {
  name: 'fal',
  prefix: '/fal',
  authScheme: 'Key',
  classify(method, path) {
    if (method === 'GET' && /\/requests\/[^/]+\/status$/.test(path)) return 'status';
    if (method === 'GET' && path === '/v1/models/requests/by-endpoint') return 'list';
    if (method === 'POST' && !path.includes('/requests/') && !path.startsWith('/storage/')) return 'create';
    return 'other';
  },
  unauthorized: (ctx) =>
    ctx.json(401, { detail: 'Authentication is required to access this application. Use `Authorization: Key <FAL_KEY>`.' }),
  rateLimited: (ctx, s) => ctx.json(429, { detail: `Rate limit exceeded. Retry in ${s} seconds.` }, { 'retry-after': String(s) }),
  // A front-door 503 on any call: the request itself was not processed; fal marks it retryable.
  serverError: (ctx) =>
    ctx.json(
      503,
      { detail: 'Service Unavailable', error_type: 'runner_scheduling_failure' },
      { 'x-fal-needs-retry': '1', 'x-fal-error-type': 'runner_scheduling_failure' },
    ),
  quotaExhausted: (ctx) =>
    ctx.json(402, { detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' }),
  expiredFile: (res) => sendJson(res, 404, { detail: 'File not found' }),
  handle,
  callbacks: async (core, t, p) => (t.callbackUrl ? [await callbackFor(core, t, p)] : []),
};
