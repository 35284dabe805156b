/** OpenAI Videos API (`/v1/videos`), per specs/openai-videos.openapi.yaml. */
import { standardWebhookSignature, DEFAULT_WEBHOOK_SECRETS, type Delivery } from '../callbacks.ts';
import { setRateHeaders as bucketHeaders, type Ctx, type EmuCore, type ProviderModule } from '../core.ts';
import { isRecord, parseJson, parseMultipart, sendJson } from '../http.ts';
import { BadRequest, checkReference, err, invalid, readCreate, validate } from './openai-create.ts';
import { moreEndpoints } from './openai-more.ts';
import { parseSize } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

function status(p: Phase): 'queued' | 'in_progress' | 'completed' | 'failed' {
  if (p.kind === 'queued') return 'queued';
  if (p.kind === 'running') return 'in_progress';
  return p.kind === 'succeeded' ? 'completed' : 'failed';
}

export function videoObject(core: EmuCore, t: EmuTask): Record<string, unknown> {
  const p = core.phase(t);
  const done = p.kind !== 'queued' && p.kind !== 'running' ? p.completedAt : undefined;
  const error =
    p.kind === 'failed'
      ? { code: p.code, message: p.message }
      : p.kind === 'aborted' || p.kind === 'canceled'
        ? { code: 'internal_error', message: 'Video generation was cancelled.' }
        : null;
  return {
    id: t.id,
    object: 'video',
    model: t.model,
    status: status(p),
    progress: p.kind === 'running' ? p.progress : p.kind === 'succeeded' ? 100 : 0,
    created_at: Math.floor(t.createdAt / 1000),
    completed_at: done === undefined ? null : Math.floor(done / 1000),
    expires_at: p.kind === 'succeeded' ? Math.floor(core.urlExpiresAt('openai', p.completedAt) / 1000) : null,
    prompt: t.prompt,
    size: `${t.width}x${t.height}`,
    seconds: String(t.seconds),
    remixed_from_video_id: (t.meta.remixedFrom as string | undefined) ?? null,
    error,
  };
}

function create(
  ctx: Ctx,
  v: { prompt: string; model: string; seconds: number; width: number; height: number; remixedFrom?: string },
): EmuTask {
  return ctx.core.createTask({
    provider: 'openai',
    id: `video_${ctx.core.newId(32)}`,
    key: ctx.key,
    prompt: v.prompt,
    model: v.model,
    width: v.width,
    height: v.height,
    seconds: v.seconds,
    meta: v.remixedFrom ? { remixedFrom: v.remixedFrom } : {},
    failCode: 'moderation_blocked',
    failMessage: 'Your request was blocked by our moderation system.',
  });
}

function pollHeaders(ctx: Ctx): Record<string, string> {
  const ms = Math.max(50, Math.min(1000, Math.round(ctx.core.faults.openai.renderMs() / 4)));
  return { 'openai-poll-after-ms': String(ms) };
}

function notFound(ctx: Ctx, id: string): void {
  ctx.json(404, err(`Video with id '${id}' not found.`, 'invalid_request_error', null, 'video_not_found'));
}

/**
 * `x-ratelimit-*` on every answer, as OpenAI sends them (not only with a 429): the per-minute
 * request budget and what this key has left. With a configured create limit (`submitPerMin`) the
 * figures are its token bucket's (a rate 429 never claims room left, which a client would rightly read
 * as a concurrency refusal); without one, a nominal 1,000 per minute.
 */
function setRateHeaders(ctx: Ctx): void {
  if (ctx.res.hasHeader('x-ratelimit-limit-requests')) return; // the enforced bucket already answered
  const bucket = ctx.core.faults.openai.rateInfo(ctx.key, 'create');
  if (bucket) return bucketHeaders(ctx, bucket);
  const limit = 1000;
  const now = ctx.core.now();
  const recent = ctx.core.store.all('openai').filter((t) => t.key === ctx.key && now - t.createdAt < 60_000);
  const oldest = recent.reduce((m, t) => Math.min(m, t.createdAt), now);
  ctx.res.setHeader('x-ratelimit-limit-requests', String(limit));
  ctx.res.setHeader('x-ratelimit-remaining-requests', String(Math.max(0, limit - recent.length)));
  ctx.res.setHeader('x-ratelimit-reset-requests', `${recent.length ? Math.ceil((oldest + 60_000 - now) / 1000) : 0}s`);
}

async function handle(ctx: Ctx): Promise<void> {
  setRateHeaders(ctx);
  const { core, method, path } = ctx;
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (seg[0] !== 'videos') return ctx.json(404, err(`Invalid URL (${method} /v1${path})`, 'invalid_request_error'));
    if (seg.length === 1 && method === 'POST') {
      const fields = await readCreate(ctx);
      const v = validate(fields, ctx.extraModels);
      const size = parseSize(v.size)!;
      if (fields.reference) await checkReference(ctx, fields.reference, size.width, size.height);
      if (!core.admit(ctx, openai)) return;
      const t = create(ctx, { ...v, ...size });
      return ctx.json(200, videoObject(core, t));
    }
    if (seg.length === 1 && method === 'GET') return list(ctx);
    const more = await moreEndpoints(ctx, seg);
    if (more.kind === 'answer') return ctx.json(more.status, more.body);
    if (more.kind === 'create') {
      if (!core.admit(ctx, openai)) return;
      return ctx.json(200, videoObject(core, create(ctx, more.v)));
    }
    const id = seg[1]!;
    const t = core.store.get('openai', id);
    if (seg.length === 2 && method === 'GET') return t ? ctx.json(200, videoObject(core, t), pollHeaders(ctx)) : notFound(ctx, id);
    if (seg.length === 2 && method === 'DELETE') {
      if (!t) return notFound(ctx, id);
      t.deleted = true;
      return ctx.json(200, { id, object: 'video.deleted', deleted: true });
    }
    if (seg.length === 3 && seg[2] === 'content' && (method === 'GET' || method === 'HEAD')) return await content(ctx, t, id);
    if (seg.length === 3 && seg[2] === 'remix' && method === 'POST') {
      if (!t) return notFound(ctx, id);
      const ct = String(ctx.req.headers['content-type'] ?? '');
      const body = await ctx.body();
      let prompt: unknown;
      if (ct.startsWith('multipart/form-data')) prompt = (await parseMultipart(body, ct)).get('prompt');
      else {
        const parsed = parseJson(body);
        prompt = parsed.ok && isRecord(parsed.value) ? parsed.value.prompt : undefined;
      }
      if (typeof prompt !== 'string' || !prompt || prompt.length > 32000)
        throw invalid("Invalid 'prompt': expected a string of 1 to 32000 characters.", 'prompt');
      if (core.phase(t).kind !== 'succeeded')
        throw invalid(`Video '${id}' is not completed; only completed videos can be remixed.`, 'video_id', 'invalid_state');
      if (!core.admit(ctx, openai)) return;
      const r = create(ctx, { prompt, model: t.model, seconds: t.seconds, width: t.width, height: t.height, remixedFrom: id });
      return ctx.json(200, videoObject(core, r));
    }
    return ctx.json(404, err(`Invalid URL (${method} /v1${path})`, 'invalid_request_error'));
  } catch (e) {
    if (e instanceof BadRequest) return ctx.json(e.status, e.body);
    throw e;
  }
}

function list(ctx: Ctx): void {
  const q = ctx.url.searchParams;
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? 20 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0 || limit > 100)
    throw invalid(`Invalid 'limit': must be an integer between 0 and 100.`, 'limit');
  const order = q.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`Invalid 'order': expected 'asc' or 'desc'.`, 'order');
  let items = ctx.core.store.all('openai').filter((t) => !t.deleted && t.key === ctx.key);
  if (order === 'desc') items = items.reverse();
  const after = q.get('after');
  if (after) {
    const i = items.findIndex((t) => t.id === after);
    items = i >= 0 ? items.slice(i + 1) : [];
  }
  const page = items.slice(0, limit);
  ctx.json(
    200,
    {
      object: 'list',
      data: page.map((t) => videoObject(ctx.core, t)),
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
      has_more: items.length > page.length,
    },
    pollHeaders(ctx),
  );
}

async function content(ctx: Ctx, t: EmuTask | undefined, id: string): Promise<void> {
  if (!t) return notFound(ctx, id);
  const variant = ctx.url.searchParams.get('variant') ?? 'video';
  if (!['video', 'thumbnail', 'spritesheet'].includes(variant))
    throw invalid(`Invalid value: '${variant}'. Supported values are: 'video', 'thumbnail', and 'spritesheet'.`, 'variant');
  const p = ctx.core.phase(t);
  if (p.kind !== 'succeeded') {
    return ctx.json(
      400,
      err(
        `Video '${id}' is not ready (status ${status(p)}); content is available once it has completed.`,
        'invalid_request_error',
        null,
        'video_not_ready',
      ),
    );
  }
  if (ctx.core.now() > ctx.core.urlExpiresAt('openai', p.completedAt)) {
    return ctx.json(404, err(`The content of video '${id}' has expired.`, 'invalid_request_error', null, 'video_expired'));
  }
  if (variant === 'video') return ctx.core.serveFile(ctx.req, ctx.res, 'openai', p.path, 'video/mp4');
  let file: string;
  try {
    file = await ctx.core.renderer.derived(p.path, variant as 'thumbnail' | 'spritesheet', t.seconds);
  } catch {
    return ctx.json(500, err('The server had an error while processing your request.', 'server_error'));
  }
  return ctx.core.serveFile(ctx.req, ctx.res, 'openai', file, variant === 'thumbnail' ? 'image/webp' : 'image/jpeg');
}

function callbacks(core: EmuCore, t: EmuTask, p: Phase): Delivery[] {
  const url = core.opts.openaiWebhookUrl;
  if (!url) return [];
  const now = Math.floor(core.now() / 1000);
  const id = `evt_${core.newId(32)}`;
  const body = JSON.stringify({
    id,
    object: 'event',
    created_at: now,
    type: p.kind === 'succeeded' ? 'video.completed' : 'video.failed',
    data: { id: t.id },
  });
  const secret = core.secrets.openai ?? DEFAULT_WEBHOOK_SECRETS.openai;
  return [
    {
      url,
      body,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': standardWebhookSignature(secret, id, now, body) },
    },
  ];
}

export const openai: ProviderModule = {
  name: 'openai',
  prefix: '/openai/v1',
  authScheme: 'Bearer',
  classify(method, path) {
    if (
      method === 'POST' &&
      (/^\/videos\/?$/.test(path) || /^\/videos\/(edits|extensions)$/.test(path) || /^\/videos\/[^/]+\/remix$/.test(path))
    )
      return 'create';
    if (method === 'GET' && /^\/videos\/?$/.test(path)) return 'list';
    if (method === 'GET' && /^\/videos\/[^/]+$/.test(path)) return 'status';
    return 'other'; // content downloads are counted when served
  },
  unauthorized: (ctx) => {
    setRateHeaders(ctx);
    ctx.json(
      401,
      err(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        null,
        'invalid_api_key',
      ),
    );
  },
  rateLimited(ctx, s, reason) {
    const msg =
      reason === 'concurrency'
        ? 'Too many concurrent video generations in progress for your organization. Please wait for some to complete.'
        : `Rate limit reached for videos per minute. Please try again in ${s}s.`;
    setRateHeaders(ctx);
    ctx.json(429, err(msg, 'requests', null, 'rate_limit_exceeded'), {
      'retry-after-ms': String(s * 1000),
      'retry-after': String(s),
    });
  },
  serverError: (ctx) => {
    setRateHeaders(ctx);
    ctx.json(503, err('The server is overloaded or not ready yet.', 'server_error'));
  },
  quotaExhausted: (ctx) => {
    setRateHeaders(ctx);
    ctx.json(
      429,
      err('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', null, 'insufficient_quota'),
    );
  },
  expiredFile: (res) => sendJson(res, 404, err('The requested file has expired.', 'invalid_request_error', null, 'expired')),
  handle: (ctx) => handle(ctx),
  callbacks,
};
