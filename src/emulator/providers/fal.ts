/** fal.ai queue: submit to any app path, poll the returned status URL, fetch the result (which may be an error). */
import { falSignature, type Delivery } from '../callbacks.ts';
import type { Ctx, EmuCore, ProviderModule } from '../core.ts';
import { fileSize } from '../files.ts';
import { isRecord, parseJson, sendJson } from '../http.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

const detail = (loc: string[], msg: string, type: string) => ({ detail: [{ loc, msg, type }] });

function uuid(core: EmuCore): string {
  const h = core.newId(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function urls(core: EmuCore, t: EmuTask): { status_url: string; response_url: string; cancel_url: string } {
  // Like real fal, the queue URLs keep only the app's owner/name and drop its sub-path.
  const base = `${core.baseUrl}${fal.prefix}/${t.meta.appBase as string}/requests/${t.id}`;
  return { status_url: `${base}/status`, response_url: base, cancel_url: `${base}/cancel` };
}

function queueStatus(p: Phase): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' {
  if (p.kind === 'queued') return 'IN_QUEUE';
  return p.kind === 'running' ? 'IN_PROGRESS' : 'COMPLETED';
}

/** The result fetch: output for a success; for a failure the answer is an error although the status said COMPLETED. */
async function result(core: EmuCore, t: EmuTask, p: Phase): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  if (p.kind === 'succeeded') {
    return {
      status: 200,
      body: {
        video: { url: core.resultUrl(t, p), content_type: 'video/mp4', file_name: 'output.mp4', file_size: await fileSize(p.path).catch(() => 0) },
        video_id: `video_${t.id.replace(/-/g, '')}`,
        seed: t.meta.seed ?? null,
      },
    };
  }
  if (p.kind === 'failed') return { status: 422, body: detail(['body', 'prompt'], p.message, 'content_policy_violation') };
  if (p.kind === 'canceled') return { status: 400, body: { detail: 'Request was cancelled' } };
  return { status: 500, body: { detail: 'Internal Server Error: the runner was lost' }, headers: { 'x-fal-needs-retry': '1' } };
}

async function submit(ctx: Ctx, app: string[]): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(422, detail(['body'], 'Input should be a valid JSON object', 'json_invalid'));
  const b = parsed.value;
  if (typeof b.prompt !== 'string' || !b.prompt.trim()) return ctx.json(422, detail(['body', 'prompt'], 'Field required', 'missing'));
  const seconds = parseSeconds(b.duration ?? 4);
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > 20) {
    return ctx.json(422, detail(['body', 'duration'], `Input should be a valid duration (got ${JSON.stringify(b.duration)})`, 'literal_error'));
  }
  const aspect = b.aspect_ratio ?? '16:9';
  if (!['16:9', '9:16', '1:1', 'auto', '4:3', '3:4', '21:9'].includes(String(aspect))) {
    return ctx.json(422, detail(['body', 'aspect_ratio'], "Input should be '16:9', '9:16' or 'auto'", 'literal_error'));
  }
  const sora = app.join('/').includes('sora-2');
  if (sora && aspect === 'auto' && typeof b.image_url !== 'string') {
    return ctx.json(422, detail(['body', 'aspect_ratio'], "'auto' needs image_url", 'value_error'));
  }
  const res = b.resolution === undefined || b.resolution === 'auto' ? '720p' : String(b.resolution);
  if (!['480p', '720p', '1024p', '1080p'].includes(res)) return ctx.json(422, detail(['body', 'resolution'], `Unsupported resolution '${res}'`, 'literal_error'));
  if (sora && res !== '720p' && !app.includes('pro')) return ctx.json(422, detail(['body', 'resolution'], `Resolution '${res}' needs the pro endpoint`, 'value_error'));
  const hook = ctx.url.searchParams.get('fal_webhook') ?? undefined;
  if (hook !== undefined && !/^https?:\/\//.test(hook)) return ctx.json(422, detail(['query', 'fal_webhook'], 'Invalid webhook URL', 'url_parsing'));
  if (!core.admit(ctx, fal)) return;

  const t = core.createTask({
    provider: 'fal',
    id: uuid(core),
    key: ctx.key,
    prompt: b.prompt,
    model: app.join('/'),
    ...sizeFor(aspect === 'auto' ? '16:9' : aspect, res),
    seconds,
    callbackUrl: hook,
    meta: { appBase: app.slice(0, 2).join('/'), seed: b.seed },
    failCode: 'content_policy_violation',
    failMessage: 'The content could not be processed because it was flagged by a content checker.',
  });
  ctx.json(200, { request_id: t.id, ...urls(core, t), queue_position: 0, status: 'IN_QUEUE' });
}

async function handle(ctx: Ctx): Promise<void> {
  const { core } = ctx;
  const seg = ctx.path.split('/').filter(Boolean).map(decodeURIComponent);
  const r = seg.indexOf('requests');
  if (r >= 2 && seg.length >= r + 2) {
    const id = seg[r + 1]!;
    const rest = seg.slice(r + 2).join('/');
    const t = core.store.get('fal', id);
    if (!t || (t.meta.appBase as string) !== seg.slice(0, r).join('/')) return ctx.json(404, { detail: 'Request not found' });
    const p = core.phase(t);
    if (ctx.method === 'GET' && rest === 'status') {
      const logs = ctx.url.searchParams.get('logs') === '1' ? [{ message: `emulated ${t.model}`, level: 'INFO', source: 'user', timestamp: new Date(t.createdAt).toISOString() }] : null;
      return ctx.json(200, {
        status: queueStatus(p),
        request_id: t.id,
        ...urls(core, t),
        ...(p.kind === 'queued' ? { queue_position: 0 } : {}),
        logs,
        metrics: p.kind === 'succeeded' ? { inference_time: (p.completedAt - t.createdAt) / 1000 } : {},
      });
    }
    if (ctx.method === 'GET' && rest === '') {
      if (p.kind === 'queued' || p.kind === 'running') return ctx.json(400, { detail: 'Request is still in progress' });
      const out = await result(core, t, p);
      return ctx.json(out.status, out.body, out.headers);
    }
    if (ctx.method === 'PUT' && rest === 'cancel') {
      if (p.kind !== 'queued' && p.kind !== 'running') return ctx.json(400, { status: 'ALREADY_COMPLETED' });
      t.canceledAt = core.now();
      return ctx.json(202, { status: 'CANCELLATION_REQUESTED' });
    }
    return ctx.json(405, { detail: 'Method Not Allowed' });
  }
  if (ctx.method === 'POST' && seg.length >= 2) return submit(ctx, seg);
  ctx.json(404, { detail: 'Not Found' });
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
    if (method === 'POST' && !path.includes('/requests/')) return 'create';
    return 'other';
  },
  unauthorized: (ctx) => ctx.json(401, { detail: 'Authentication is required to access this application. Use `Authorization: Key <FAL_KEY>`.' }),
  rateLimited: (ctx, s) => ctx.json(429, { detail: `Rate limit exceeded. Retry in ${s} seconds.` }, { 'retry-after': String(s) }),
  serverError: (ctx) => ctx.json(503, { detail: 'Service Unavailable' }, { 'x-fal-needs-retry': '1' }),
  quotaExhausted: (ctx) => ctx.json(402, { detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' }),
  expiredFile: (res) => sendJson(res, 404, { detail: 'File not found' }),
  handle,
  callbacks: async (core, t, p) => (t.callbackUrl ? [await callbackFor(core, t, p)] : []),
};
