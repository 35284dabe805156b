/**
 * Replicate endpoints beside the predictions themselves: the model object (with its input schema
 * from specs/replicate), the default webhook signing secret, and the Files API.
 */
import { DEFAULT_WEBHOOK_SECRETS } from '../callbacks.ts';
import type { Ctx } from '../core.ts';
import { parseMultipart } from '../http.ts';
import { loadInputSchemas } from '../input-schema.ts';
import type { StoredUpload } from '../uploads.ts';

export const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) => ({
  title,
  detail,
  status,
  ...extra,
});
const notFound = (ctx: Ctx) => ctx.json(404, problem(404, 'Not found', 'The requested resource could not be found.'));
const FILE_TTL_MS = 24 * 60 * 60_000;

/** `GET /models/{owner}/{name}`: the model with its latest version's OpenAPI input schema. */
export function getModel(ctx: Ctx, owner: string, name: string): void {
  const schema = loadInputSchemas('replicate').get(`${owner}/${name}`);
  if (!schema) return notFound(ctx);
  const input = { type: 'object', required: schema.required, properties: schema.properties };
  ctx.json(200, {
    url: `https://replicate.com/${owner}/${name}`,
    owner,
    name,
    description: `emulated ${owner}/${name}`,
    visibility: 'public',
    github_url: null,
    paper_url: null,
    license_url: null,
    run_count: 0,
    cover_image_url: null,
    default_example: null,
    // Official models run by model name; their version id is not part of the contract.
    latest_version: {
      id: ctx.core.ids.hex(64),
      created_at: new Date(0).toISOString(),
      cog_version: '0.16.0',
      openapi_schema: { openapi: '3.0.2', components: { schemas: { Input: input, Output: { type: 'string', format: 'uri' } } } },
    },
  });
}

/** `GET /webhooks/default/secret`: the account's Standard Webhooks signing key. */
export function webhookSecret(ctx: Ctx): void {
  ctx.json(200, { key: ctx.core.secrets.replicate ?? DEFAULT_WEBHOOK_SECRETS.replicate });
}

function fileObject(ctx: Ctx, f: StoredUpload): Record<string, unknown> {
  return {
    id: f.token,
    name: f.fileName,
    content_type: f.contentType,
    size: f.size,
    etag: f.sha256.slice(0, 32),
    checksums: { sha256: f.sha256 },
    metadata: f.metadata ?? {},
    created_at: new Date(f.createdAt).toISOString(),
    expires_at: new Date(f.createdAt + FILE_TTL_MS).toISOString(),
    urls: { get: `${ctx.core.baseUrl}${ctx.prefix}/files/${f.token}` },
  };
}

/** `POST /files` (multipart `content`, optional `metadata`), `GET /files`, `GET|DELETE /files/{id}`. Files belong to the key that made them. */
export async function files(ctx: Ctx, id: string | undefined): Promise<void> {
  const { core, method } = ctx;
  const uploads = core.uploads;
  if (!id && method === 'POST') {
    let form: FormData;
    try {
      form = await parseMultipart(await ctx.body(), String(ctx.req.headers['content-type'] ?? ''));
    } catch {
      return ctx.json(400, problem(400, 'Invalid request', 'The request body must be multipart/form-data with a "content" file.'));
    }
    const content = form.get('content');
    if (!(content instanceof Blob)) return ctx.json(422, problem(422, 'Invalid request', '"content" is required'));
    let metadata: unknown = {};
    const meta = form.get('metadata');
    if (meta !== null) {
      try {
        metadata = JSON.parse(typeof meta === 'string' ? meta : await meta.text());
      } catch {
        return ctx.json(422, problem(422, 'Invalid request', '"metadata" must be JSON'));
      }
    }
    const fileName = (content instanceof File && content.name) || String(form.get('filename') ?? 'upload.bin');
    const contentType = content.type || String(form.get('type') ?? 'application/octet-stream');
    const stored = await uploads.store(
      core,
      { provider: 'replicate', token: core.ids.alnum(26).toLowerCase(), contentType, fileName, owner: ctx.key, metadata },
      Buffer.from(await content.arrayBuffer()),
    );
    return ctx.json(201, fileObject(ctx, stored));
  }
  if (!id && method === 'GET') {
    const mine = [...uploads.stored.values()].filter((f) => f.provider === 'replicate' && f.owner === ctx.key).reverse();
    return ctx.json(200, { next: null, previous: null, results: mine.map((f) => fileObject(ctx, f)) });
  }
  const f = id ? uploads.stored.get(id) : undefined;
  if (!f || f.provider !== 'replicate' || f.owner !== ctx.key) return notFound(ctx);
  if (method === 'GET') return ctx.json(200, fileObject(ctx, f));
  if (method === 'DELETE') {
    uploads.stored.delete(f.token);
    ctx.res.writeHead(204).end();
    return;
  }
  ctx.json(405, problem(405, 'Method not allowed', `${method} is not allowed here`));
}
