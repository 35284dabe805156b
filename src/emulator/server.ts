/** The HTTP front: routes by prefix and applies the request-level faults before a provider handles it. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setRateHeaders, type Ctx, type EmuCore, type ProviderModule } from './core.ts';
import { bearerKey, readBody, sendJson } from './http.ts';
import { ADMIN_PREFIX, adminAnswer } from './admin.ts';

function makeCtx(
  core: EmuCore,
  mod: ProviderModule,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string,
  prefix = mod.prefix,
): Ctx {
  let body: Promise<Buffer> | undefined;
  const ctx: Ctx = {
    core,
    req,
    res,
    url,
    method: req.method ?? 'GET',
    path: url.pathname.slice(prefix.length) || '/',
    prefix,
    ...(prefix !== mod.prefix ? { mountPrefix: prefix } : {}),
    key: '',
    requestId,
    dropResponse: false,
    body: () => (body ??= readBody(req)),
    json(status, value, headers = {}) {
      if (ctx.dropResponse) {
        req.socket.destroy();
        return;
      }
      sendJson(res, status, value, headers);
    },
  };
  return ctx;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function handleRequest(core: EmuCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', core.baseUrl || 'http://127.0.0.1');
  const requestId = `req_${core.newId(24)}`;
  res.setHeader('x-request-id', requestId);
  const under = (prefix: string) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  const mount = core.opts.mounts?.find((m) => under(m.prefix));
  // Under a gateway mount, files and presigned uploads are served below the mount too (with an
  // extension, so a Replicate mount's own `/files/{id}` API route stays the API's).
  const mountedFile = mount && /^\/(files|uploads)\/[A-Za-z0-9_-]+\.[a-z0-9]+$/.test(url.pathname.slice(mount.prefix.length));
  const mountedUpload = mount && /^\/uploads\/[A-Za-z0-9_-]+$/.test(url.pathname.slice(mount.prefix.length));
  const p = mount && (mountedFile || mountedUpload) ? url.pathname.slice(mount.prefix.length) : url.pathname;

  const file = /^\/files\/([A-Za-z0-9_-]+)(?:\.[a-z0-9]+)?$/.exec(p);
  if (file) return core.handleFile(req, res, file[1]!);
  // A presigned upload URL (fal storage): the signature is the URL itself, so no Authorization.
  const upload = /^\/uploads\/([A-Za-z0-9_-]+)$/.exec(p);
  if (upload && req.method === 'PUT') {
    const ok = await core.uploads.put(core, upload[1] ?? '', await readBody(req), req.headers['content-type']);
    return sendJson(res, ok ? 200 : 404, ok ? {} : { detail: 'Upload URL not found or already used' });
  }
  if (p === '/fal/.well-known/jwks.json') return sendJson(res, 200, core.falSigner.jwks);
  if (p.startsWith(`${ADMIN_PREFIX}/`)) {
    const answer = adminAnswer(core, url);
    return answer === undefined ? sendJson(res, 404, { error: `no route for ${p}` }) : sendJson(res, 200, answer);
  }
  if (p === '/' || p === '/health') return sendJson(res, 200, { ok: true, providers: [...core.modules.keys()] });

  const mod = mount ? core.modules.get(mount.protocol) : [...core.modules.values()].find((m) => under(m.prefix));
  if (!mod) return sendJson(res, 404, { error: `no route for ${p}` });

  const counts = core.counts[mod.name];
  counts.total++;
  const ctx = makeCtx(core, mod, req, res, url, requestId, mount?.prefix);
  if (mount?.models) ctx.extraModels = mount.models;
  const key = bearerKey(req, mod.authScheme);
  if (!key) return mod.unauthorized(ctx);
  ctx.key = key;

  const faults = core.faults[mod.name];
  const cfg = faults.get();
  if (cfg.latencyMs) await sleep(cfg.latencyMs);

  const kind = mod.classify(ctx.method, ctx.path);
  if (kind === 'status') counts.statusGets++;
  if (kind === 'list') counts.lists++;

  if (faults.draw(cfg.dropRate)) {
    if (kind === 'create')
      ctx.dropResponse = true; // do the work, then lose the answer
    else {
      req.socket.destroy();
      return;
    }
  }
  if (faults.draw(cfg.rate5xx)) return mod.serverError(ctx);
  if (faults.draw(cfg.rate429)) {
    counts.rejected429++;
    return mod.rateLimited(ctx, faults.retryAfterS(), 'rate');
  }
  if (kind === 'status') {
    const a = faults.admitPoll(key);
    if (mod.name === 'openai') setRateHeaders(ctx, faults.rateInfo(key, 'poll'));
    if (!a.ok) {
      counts.rejected429++;
      return mod.rateLimited(ctx, a.retryAfterS, 'rate');
    }
  }
  await mod.handle(ctx);
}
