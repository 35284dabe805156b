/**
 * The Videos API endpoints beyond create/remix that the vendored spec lists (specs/openai-videos
 * .openapi.yaml): `POST /videos/edits`, `POST /videos/extensions`, `POST /videos/characters`,
 * `GET /videos/characters/{id}`. Each takes JSON or multipart, as the official SDK sends them.
 */
import type { Ctx, EmuCore } from '../core.ts';
import { isRecord, parseJson, parseMultipart } from '../http.ts';
import type { EmuTask } from '../tasks.ts';
import { err, invalid } from './openai-create.ts';

export interface Character {
  id: string;
  name: string;
  created_at: number;
}

/** Characters live as long as their emulator. */
const characters = new WeakMap<EmuCore, Map<string, Character>>();

type Form = Record<string, string | { bytes: number }>;

/** JSON or multipart body as flat fields; a nested `video: {id}` arrives as `video[id]` in a form. */
async function readBody(ctx: Ctx): Promise<Form> {
  const ct = String(ctx.req.headers['content-type'] ?? '');
  const body = await ctx.body();
  const out: Form = {};
  if (ct.startsWith('multipart/form-data')) {
    const form = await parseMultipart(body, ct).catch(() => undefined);
    if (!form) throw invalid('Could not parse multipart form.', null, 'invalid_multipart');
    form.forEach((v, k) => (out[k] = typeof v === 'string' ? v : { bytes: v.size }));
    return out;
  }
  const parsed = parseJson(body);
  if (!parsed.ok || !isRecord(parsed.value)) throw invalid('We could not parse the JSON body of your request.', null, null);
  for (const [k, v] of Object.entries(parsed.value)) {
    if (typeof v === 'string') out[k] = v;
    else if (isRecord(v) && typeof v.id === 'string') out[`${k}[id]`] = v.id;
  }
  return out;
}

function prompt(f: Form): string {
  const p = f.prompt;
  if (typeof p !== 'string' || !p || p.length > 32000)
    throw invalid("Invalid 'prompt': expected a string of 1 to 32000 characters.", 'prompt');
  return p;
}

/** The completed video an edit or extension starts from (a reference by id), or an uploaded clip. */
function source(ctx: Ctx, f: Form): EmuTask | { uploaded: true } {
  const id = f['video[id]'];
  if (typeof id === 'string') {
    const t = ctx.core.store.get('openai', id);
    if (!t || t.deleted) throw invalid(`Video with id '${id}' not found.`, 'video', 'video_not_found');
    if (ctx.core.phase(t).kind !== 'succeeded') throw invalid(`Video '${id}' is not completed.`, 'video', 'invalid_state');
    return t;
  }
  const file = f.video;
  if (typeof file === 'object' && file.bytes > 0) return { uploaded: true };
  throw invalid("Missing required parameter: 'video'.", 'video', 'missing_required_parameter');
}

export type MoreOutcome =
  | { kind: 'create'; v: { prompt: string; model: string; seconds: number; width: number; height: number; remixedFrom?: string } }
  | { kind: 'answer'; status: number; body: unknown }
  | { kind: 'none' };

/** Route `seg` (path segments after the prefix) when it is one of these endpoints. */
export async function moreEndpoints(ctx: Ctx, seg: string[]): Promise<MoreOutcome> {
  const what = seg[1];
  if (ctx.method === 'POST' && seg.length === 2 && (what === 'edits' || what === 'extensions')) {
    const f = await readBody(ctx);
    const p = prompt(f);
    const src = source(ctx, f);
    const base = 'uploaded' in src ? { model: 'sora-2', seconds: 4, width: 1280, height: 720 } : src;
    let seconds = base.seconds;
    if (what === 'extensions') {
      const s = f.seconds;
      if (typeof s !== 'string' || !['4', '8', '12', '16', '20'].includes(s))
        throw invalid(`Invalid value for 'seconds': ${String(s)}.`, 'seconds');
      seconds = base.seconds + Number(s); // the extension continues the source clip
    }
    return { kind: 'create', v: { prompt: p, model: base.model, seconds, width: base.width, height: base.height } };
  }
  if (what !== 'characters') return { kind: 'none' };
  const store = characters.get(ctx.core) ?? new Map<string, Character>();
  characters.set(ctx.core, store);
  if (ctx.method === 'POST' && seg.length === 2) {
    const f = await readBody(ctx);
    const name = f.name;
    if (typeof name !== 'string' || !name) throw invalid("Missing required parameter: 'name'.", 'name', 'missing_required_parameter');
    source(ctx, f);
    const c: Character = { id: `char_${ctx.core.newId(24)}`, name, created_at: Math.floor(ctx.core.now() / 1000) };
    store.set(c.id, c);
    return { kind: 'answer', status: 200, body: c };
  }
  if (ctx.method === 'GET' && seg.length === 3) {
    const c = store.get(seg[2] ?? '');
    return c
      ? { kind: 'answer', status: 200, body: c }
      : {
          kind: 'answer',
          status: 404,
          body: err(`Character with id '${seg[2]}' not found.`, 'invalid_request_error', null, 'character_not_found'),
        };
  }
  return { kind: 'none' };
}
