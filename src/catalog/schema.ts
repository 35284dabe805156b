/** zod schemas for catalog files (src/catalog/data/*.yaml and user-supplied extra files). */
import { z } from 'zod';
import { PROVIDER_NAMES } from '../manifest/protocols.ts';

const aspect = z.enum(['16:9', '9:16', 'auto']);
const resolution = z.enum(['720p', '1024p', '1080p']);
const isoDate = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'expected a date YYYY-MM-DD (or YYYY-MM)');

export const priceRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('per_second'),
    unit: z.enum(['usd', 'credits']),
    by_resolution: z.strictObject({
      '720p': z.number().nonnegative().optional(),
      '1024p': z.number().nonnegative().optional(),
      '1080p': z.number().nonnegative().optional(),
    }),
  }),
  z.strictObject({
    kind: z.literal('per_clip'),
    unit: z.enum(['usd', 'credits']),
    by_duration: z.record(z.string().regex(/^\d+$/), z.number().nonnegative()),
  }),
  z.strictObject({ kind: z.literal('unknown'), note: z.string().optional() }),
]);

export const limitsSchema = z.strictObject({
  submit_per_min: z.number().positive(),
  submit_burst: z.number().int().positive(),
  polls_per_min: z.number().positive(),
  max_in_flight: z.number().int().positive(),
  downloads: z.number().int().positive(),
});

const modelFields = {
  id: z.string().min(1).describe('Neutral model id users write.'),
  wire_id: z.string().min(1).describe('Model id (or fal app id) sent on the wire.'),
  wire_id_image: z.string().min(1).optional().describe('Separate wire id for image-to-video, if any.'),
  tier: z.enum(['standard', 'pro']),
  family: z.string().min(1),
  durations: z.array(z.number().int().positive()).min(1),
  aspects: z.array(aspect).min(1),
  resolutions: z.array(resolution).min(1),
  image: z.enum(['upload', 'url', 'none']),
  supports: z.strictObject({ seed: z.boolean(), negative_prompt: z.boolean(), guidance: z.boolean() }),
  max_prompt_chars: z.number().int().positive(),
  price: priceRuleSchema,
  render_seconds: z.number().positive(),
  result_url_ttl_s: z.number().positive(),
  sunset: isoDate.optional(),
  successor: z.string().min(1).optional().describe('For a retired model: the current model to suggest instead, as provider/model.'),
  charges_failures: z.boolean(),
};

export const modelEntrySchema = z.strictObject(modelFields);

/**
 * A provider instance declared as data: which wire protocol it speaks, where, and which environment
 * variable holds its key (e.g. an OpenAI-compatible gateway serving Veo 3.1 under `/v1/videos`).
 */
const instanceFields = {
  protocol: z
    .enum(PROVIDER_NAMES)
    .optional()
    .describe('Wire protocol of a provider not built in (openai | apidot | fal | replicate | sorapi | apixo).'),
  base_url: z.url().optional().describe("The instance's API base URL (`<NAME>_BASE_URL` overrides it)."),
  key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. MYGW_API_KEY')
    .optional()
    .describe('Environment variable holding its key (default <NAME>_API_KEY).'),
};

/** One shipped catalog file: everything required. */
export const providerCatalogSchema = z.strictObject({
  $schema: z.string().optional(),
  provider: z.string().min(1),
  as_of: isoDate,
  source: z.string().min(1),
  usd_per_credit: z.number().positive().optional(),
  ...instanceFields,
  limits: limitsSchema,
  models: z.array(modelEntrySchema),
});

/** An extra catalog file (or manifest `catalog:` entry): adds or overrides models; every field but ids optional. */
export const catalogPatchSchema = z.strictObject({
  $schema: z.string().optional(),
  provider: z.string().min(1),
  as_of: isoDate.optional(),
  source: z.string().optional(),
  usd_per_credit: z.number().positive().optional(),
  ...instanceFields,
  limits: limitsSchema.partial().optional(),
  models: z.array(z.strictObject({ ...modelEntrySchema.partial().shape, id: modelFields.id })).optional(),
});

/** Several providers in one extra file. */
export const catalogListSchema = z.strictObject({ $schema: z.string().optional(), providers: z.array(catalogPatchSchema).min(1) });

/** A file may hold one provider or a list of them. */
export const catalogFileSchema = z.union([catalogPatchSchema, catalogListSchema]);
