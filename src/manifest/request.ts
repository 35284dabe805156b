/**
 * One generation request — what a clip is asked for — as ONE type, inferred from the zod shot
 * fields, used by the manifest (Shot), the plan (Job), job ids, results and the CSV writer.
 *
 * Names: camelCase in code, snake_case on disk (manifest keys, CSV headers, results.json); the
 * mapping between the two lives here and nowhere else (REQUEST_FIELDS).
 */
import { z } from 'zod';
import { shotFieldSchemas } from './schema.ts';

/** The request as written on disk (snake_case keys), from the manifest's own field schemas. */
export const generationRequestSchema = z.object({
  provider: shotFieldSchemas.provider,
  model: shotFieldSchemas.model,
  prompt: shotFieldSchemas.prompt,
  seconds: shotFieldSchemas.seconds,
  aspect: shotFieldSchemas.aspect,
  resolution: shotFieldSchemas.resolution,
  tier: shotFieldSchemas.tier.optional(),
  image: shotFieldSchemas.image.optional(),
  seed: shotFieldSchemas.seed.optional(),
  negative_prompt: shotFieldSchemas.negative_prompt.optional(),
  guidance: shotFieldSchemas.guidance.optional(),
  params: shotFieldSchemas.params,
});
export type GenerationRequestOnDisk = z.infer<typeof generationRequestSchema>;

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type CamelKeys<T> = { [K in keyof T as K extends string ? Camel<K> : K]: T[K] };

/** The request in code: `negativePrompt`, not `negative_prompt`. */
export type GenerationRequest = CamelKeys<GenerationRequestOnDisk>;
export type RequestField = keyof GenerationRequest;

/** Every request field: its name in code and on disk, in the canonical order (job ids, CSV columns). */
export const REQUEST_FIELDS = [
  { code: 'provider', disk: 'provider' },
  { code: 'model', disk: 'model' },
  { code: 'prompt', disk: 'prompt' },
  { code: 'seconds', disk: 'seconds' },
  { code: 'aspect', disk: 'aspect' },
  { code: 'resolution', disk: 'resolution' },
  { code: 'tier', disk: 'tier' },
  { code: 'image', disk: 'image' },
  { code: 'seed', disk: 'seed' },
  { code: 'negativePrompt', disk: 'negative_prompt' },
  { code: 'guidance', disk: 'guidance' },
  { code: 'params', disk: 'params' },
] as const satisfies ReadonlyArray<{ code: RequestField; disk: keyof GenerationRequestOnDisk }>;

/** Disk names of the scalar request fields, for CSV headers (params is a map, not a column). */
export const REQUEST_COLUMNS = REQUEST_FIELDS.filter((f) => f.code !== 'params').map((f) => f.disk);

/** The request's fields under their on-disk names (undefined fields left out). */
export function requestToDisk(r: GenerationRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of REQUEST_FIELDS) if (r[f.code] !== undefined) out[f.disk] = r[f.code];
  return out;
}

/** The request part of an object with code names (a Job, a Shot), without its other fields. */
export function pickRequest(from: GenerationRequest): GenerationRequest {
  const r: GenerationRequest = {
    provider: from.provider,
    model: from.model,
    prompt: from.prompt,
    seconds: from.seconds,
    aspect: from.aspect,
    resolution: from.resolution,
    params: from.params,
  };
  if (from.tier !== undefined) r.tier = from.tier;
  if (from.image !== undefined) r.image = from.image;
  if (from.seed !== undefined) r.seed = from.seed;
  if (from.negativePrompt !== undefined) r.negativePrompt = from.negativePrompt;
  if (from.guidance !== undefined) r.guidance = from.guidance;
  return r;
}
