/**
 * The manifest document as zod schemas: the single source for validation and for the committed
 * JSON Schema (schemas/manifest.schema.json). Schemas describe the *input* shape only (no
 * transforms), so `z.toJSONSchema` can represent them; normalization happens in expand.ts.
 */
import { z } from 'zod';
import { PROVIDER_NAMES } from './protocols.ts';

export const aspectSchema = z.enum(['16:9', '9:16', 'auto']);
export const resolutionSchema = z.enum(['720p', '1024p', '1080p']);
export const tierSchema = z.enum(['standard', 'pro']);
export const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** Neutral shot fields, each optional (defaults, shots and CSV rows all share them). */
export const shotFieldSchemas = {
  prompt: z.string().describe('Text prompt; `{name}` placeholders are filled from vars, matrix values and CSV columns.'),
  seconds: z.number().int().positive().describe('Clip duration in seconds.'),
  aspect: aspectSchema,
  resolution: resolutionSchema,
  tier: tierSchema,
  image: z.string().min(1).describe('Reference image: a path relative to the manifest, or an http(s) URL.'),
  image_fit: z
    .enum(['pad', 'crop'])
    .describe(
      'How a reference image of another shape than the clip is fitted: pad (whole image, black bars; default) or crop (fills the frame, edges cut).',
    ),
  seed: z.number().int(),
  negative_prompt: z.string(),
  guidance: z.number(),
  provider: z.string().min(1),
  model: z.string().min(1).describe('Neutral model id (sora-2) or the provider wire id.'),
  takes: z.number().int().min(1).max(1000).describe('Independent generations of the same request.'),
  vars: z.record(z.string(), scalarSchema),
  params: z.record(z.string(), z.unknown()).describe('Provider-specific fields, passed through untouched.'),
} as const;

export type ShotFieldName = keyof typeof shotFieldSchemas;
export const SHOT_FIELD_NAMES = Object.keys(shotFieldSchemas) as ShotFieldName[];

/** Matrix: field (or template variable) → values; the cross product is taken over all keys. */
export const matrixSchema = z
  .record(z.string(), z.array(z.union([scalarSchema, z.record(z.string(), scalarSchema)])).min(1))
  .describe('Axis → values. A list of maps is a paired axis: each map sets several fields together.');

const optionalFields = {
  prompt: shotFieldSchemas.prompt.optional(),
  seconds: shotFieldSchemas.seconds.optional(),
  aspect: shotFieldSchemas.aspect.optional(),
  resolution: shotFieldSchemas.resolution.optional(),
  tier: shotFieldSchemas.tier.optional(),
  image: shotFieldSchemas.image.optional(),
  image_fit: shotFieldSchemas.image_fit.optional(),
  seed: shotFieldSchemas.seed.optional(),
  negative_prompt: shotFieldSchemas.negative_prompt.optional(),
  guidance: shotFieldSchemas.guidance.optional(),
  provider: shotFieldSchemas.provider.optional(),
  model: shotFieldSchemas.model.optional(),
  takes: shotFieldSchemas.takes.optional(),
  vars: shotFieldSchemas.vars.optional(),
  params: shotFieldSchemas.params.optional(),
};

export const shotIdSchema = z
  .union([
    z
      .string()
      .min(1)
      .regex(/^[^@\s,=]+$/, 'ids may not contain spaces, "@", "," or "="'),
    z.number().int(),
  ])
  .describe('Unique shot id (default shot-N / row-N).');

export const shotSchema = z.strictObject({ id: shotIdSchema.optional(), ...optionalFields, matrix: matrixSchema.optional() });
export const fromSchema = z
  .strictObject({
    from: z.string().min(1).describe('CSV file (relative to the manifest); rows become shots.'),
    ...optionalFields,
    matrix: matrixSchema.optional(),
  })
  .describe('Shots from a CSV file; the other fields are defaults for its rows.');
export const defaultsSchema = z.strictObject(optionalFields);

const limitsSchema = z.strictObject({
  submit_per_min: z.number().positive().optional(),
  submit_burst: z.number().int().positive().optional(),
  polls_per_min: z.number().positive().optional(),
  max_in_flight: z.number().int().positive().optional(),
  downloads: z.number().int().positive().optional(),
});
export const providerSettingsSchema = z.strictObject({
  base_url: z.url().optional(),
  limits: limitsSchema.optional(),
  // A provider instance as data: a name of your own that speaks one of the built-in protocols.
  protocol: z.enum(PROVIDER_NAMES).optional().describe('For a provider of your own (a gateway): the protocol it speaks.'),
  key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. MYGW_API_KEY')
    .optional()
    .describe('Environment variable holding its key (default <NAME>_API_KEY).'),
});

const groupBy = z.string().min(1);
export const postStepSchemas = {
  thumbnails: z
    .strictObject({
      at: z
        .union([
          z.number().nonnegative(),
          z.string().regex(/^\s*\d+(\.\d+)?\s*%?\s*$/, 'expected seconds (e.g. 1.5) or a percentage (e.g. "50%")'),
        ])
        .optional(),
      sheet: z
        .union([
          z.boolean(),
          z.strictObject({
            cols: z.number().int().positive().optional(),
            rows: z.number().int().positive().optional(),
            per: z.enum(['clip', 'group']).optional(),
            group_by: groupBy.optional(),
          }),
        ])
        .optional(),
    })
    .nullable(),
  stitch: z
    .strictObject({
      group_by: groupBy.optional(),
      select: z
        .strictObject({ ids: z.array(z.string()).optional(), field: z.string().optional(), equals: z.string().optional() })
        .optional(),
      order: z.array(z.string()).optional(),
      name: z.string().min(1).optional(),
    })
    .nullable(),
  grid: z.strictObject({
    group_by: z.union([groupBy, z.array(groupBy).min(1)]),
    order_by: z.string().optional(),
    /** Field list, or one string with `{field}` placeholders (`"{model} take {take}"`). */
    label: z.union([z.array(z.string()), z.string().min(1)]).optional(),
    /** Longest tile side in pixels (tiles keep source resolution up to this). */
    max_tile: z.number().int().min(64).max(4096).optional(),
    /** Which tile's sound the grid carries (1-based); 0 = silent. */
    audio: z.number().int().min(0).optional(),
  }),
  contact_sheet: z
    .strictObject({
      group_by: groupBy.optional(),
      cols: z.number().int().positive().optional(),
      rows: z.number().int().positive().optional(),
    })
    .nullable(),
  qc: z
    .strictObject({
      enabled: z.boolean().optional(),
      black_s: z.number().nonnegative().optional(),
      frozen_s: z.number().nonnegative().optional(),
      silence_db: z.number().max(0).optional(),
      duration_tolerance_s: z.number().nonnegative().optional(),
      audio: z.enum(['auto', 'required', 'optional']).optional(),
    })
    .nullable(),
} as const;
export type PostKind = keyof typeof postStepSchemas;
export const POST_KINDS = Object.keys(postStepSchemas) as PostKind[];

export const postStepSchema = z.union(
  POST_KINDS.map((k) => z.strictObject({ [k]: postStepSchemas[k] })) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
);

export const pricingEntrySchema = z.strictObject({
  provider: z.string().optional(),
  model: z.string().min(1),
  usd_per_second: z.number().nonnegative().optional(),
  usd_per_clip: z.number().nonnegative().optional(),
});

const topFields = {
  name: z
    .string()
    .min(1)
    .describe('Names the run directory: letters and digits of any script, "-", "_", "."; at most 80 characters.')
    .optional(),
  provider: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  defaults: defaultsSchema.optional(),
  matrix: matrixSchema.optional(),
  budget: z.strictObject({ max_usd: z.number().positive().optional() }).optional(),
  output: z
    .strictObject({
      name: z
        .string()
        .min(1)
        .describe(
          'Clip file name template, default "{id}_{aspect}_{model}_{take}"; fields: id shot aspect model provider take seed duration seconds resolution job',
        )
        .optional(),
    })
    .optional(),
  providers: z.record(z.string(), providerSettingsSchema).optional(),
  pricing: z.array(pricingEntrySchema).optional(),
  catalog: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  $schema: z.string().optional(),
};

/** The whole document (used for the JSON Schema). */
export const manifestSchema = z.strictObject({
  ...topFields,
  shots: z.array(z.union([fromSchema, shotSchema])).min(1),
  post: z.array(postStepSchema).optional(),
});

/** Top level only: shots and post items are validated one by one for sharper messages. */
export const manifestTopSchema = z.strictObject({
  ...topFields,
  shots: z.array(z.unknown()).min(1, 'needs at least one shot'),
  post: z.array(z.unknown()).optional(),
});
