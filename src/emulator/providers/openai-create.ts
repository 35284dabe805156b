/** OpenAI create-request parsing and validation (JSON and multipart), with OpenAI's error shapes. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probe } from '../../media/ffmpeg.ts';
import type { Ctx } from '../core.ts';
import { isRecord, parseJson, parseMultipart } from '../http.ts';

export const MODELS = ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'];
const SECONDS = ['4', '8', '12'];
const SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'];
const PRO_ONLY = ['1024x1792', '1792x1024', '1920x1080', '1080x1920'];
const PRO_EXTRA = ['1920x1080', '1080x1920'];

export type ErrBody = { error: { message: string; type: string; param: string | null; code: string | null } };
export const err = (message: string, type: string, param: string | null = null, code: string | null = null): ErrBody => ({
  error: { message, type, param, code },
});

export class BadRequest {
  constructor(
    readonly body: ErrBody,
    readonly status = 400,
  ) {}
}
export const invalid = (message: string, param: string | null, code: string | null = 'invalid_value') =>
  new BadRequest(err(message, 'invalid_request_error', param, code));

export interface CreateFields {
  prompt: unknown;
  model: unknown;
  seconds: unknown;
  size: unknown;
  reference?: { bytes: Buffer; name: string; type: string } | { url: string };
}

export async function readCreate(ctx: Ctx): Promise<CreateFields> {
  const ct = String(ctx.req.headers['content-type'] ?? '');
  const body = await ctx.body();
  if (ct.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await parseMultipart(body, ct);
    } catch (e) {
      throw invalid(`Could not parse multipart form: ${(e as Error).message}`, null, 'invalid_multipart');
    }
    const ref = form.get('input_reference');
    const get = (k: string) => form.get(k) ?? undefined;
    const fields: CreateFields = { prompt: get('prompt'), model: get('model'), seconds: get('seconds'), size: get('size') };
    if (ref && typeof ref !== 'string') {
      fields.reference = { bytes: Buffer.from(await ref.arrayBuffer()), name: ref.name, type: ref.type };
    }
    // The SDK's form encoding of `input_reference: { image_url }` (bracketed key, as in the spec).
    const refUrl = form.get('input_reference[image_url]');
    if (!fields.reference && typeof refUrl === 'string' && refUrl) fields.reference = referenceFromUrl(refUrl);
    return fields;
  }
  const parsed = parseJson(body);
  if (!parsed.ok || !isRecord(parsed.value)) {
    throw invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      null,
      null,
    );
  }
  const v = parsed.value;
  const fields: CreateFields = { prompt: v.prompt, model: v.model, seconds: v.seconds, size: v.size };
  if (isRecord(v.input_reference) && typeof v.input_reference.image_url === 'string')
    fields.reference = referenceFromUrl(v.input_reference.image_url);
  return fields;
}

/** A data: URL carries the image itself (checked like an upload); a remote URL is accepted as given. */
function referenceFromUrl(url: string): NonNullable<CreateFields['reference']> {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { bytes: Buffer.from(m[2] ?? '', 'base64'), name: 'reference', type: m[1] ?? '' } : { url };
}

export async function checkReference(ctx: Ctx, ref: NonNullable<CreateFields['reference']>, w: number, h: number): Promise<void> {
  if ('url' in ref) return; // a remote URL cannot be fetched here; accept it as the real API would queue it
  if (ref.type && !/^image\/(jpeg|png|webp)$/.test(ref.type)) {
    throw invalid(
      `Invalid file format for 'input_reference': ${ref.type}. Supported formats are image/jpeg, image/png, image/webp.`,
      'input_reference',
      'unsupported_file',
    );
  }
  const tmp = join(ctx.core.opts.dataDir, `ref-${ctx.requestId}`);
  try {
    await writeFile(tmp, ref.bytes);
    let dims: { width: number; height: number } | undefined;
    try {
      const pr = await probe(tmp);
      if (pr.video) dims = { width: pr.video.width, height: pr.video.height };
    } catch {
      dims = undefined;
    }
    if (!dims) throw invalid("Invalid file for 'input_reference': the image could not be decoded.", 'input_reference', 'invalid_image');
    if (dims.width !== w || dims.height !== h) {
      throw invalid(
        `Inpaint image must match the requested width and height (got ${dims.width}x${dims.height}, expected ${w}x${h}).`,
        'input_reference',
        'invalid_value',
      );
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

export function validate(
  f: CreateFields,
  extraModels: readonly string[] = [],
): { prompt: string; model: string; seconds: number; size: string } {
  if (typeof f.prompt !== 'string' || f.prompt.length === 0)
    throw invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (f.prompt.length > 32000)
    throw invalid(
      `Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string with length ${f.prompt.length} instead.`,
      'prompt',
      'string_above_max_length',
    );
  const model = f.model ?? 'sora-2';
  const models = [...MODELS, ...extraModels];
  if (typeof model !== 'string' || !models.includes(model))
    throw invalid(`Invalid value: '${String(model)}'. Supported values are: ${models.map((m) => `'${m}'`).join(', ')}.`, 'model');
  const seconds = f.seconds ?? '4';
  if (typeof seconds !== 'string') {
    throw invalid(
      `Invalid type for 'seconds': expected one of '4', '8', or '12', but got ${typeof seconds === 'number' ? 'an integer' : typeof seconds} instead.`,
      'seconds',
      'invalid_type',
    );
  }
  if (!SECONDS.includes(seconds)) throw invalid(`Invalid value: '${seconds}'. Supported values are: '4', '8', and '12'.`, 'seconds');
  const size = f.size ?? '720x1280';
  const pro = model.includes('pro');
  const allowed = pro ? [...SIZES, ...PRO_EXTRA] : SIZES;
  if (typeof size !== 'string' || !allowed.includes(size))
    throw invalid(`Invalid value: '${String(size)}'. Supported values are: ${allowed.map((s) => `'${s}'`).join(', ')}.`, 'size');
  if (!pro && PRO_ONLY.includes(size)) throw invalid(`The size '${size}' is only available for sora-2-pro.`, 'size');
  return { prompt: f.prompt, model, seconds: Number(seconds), size };
}
