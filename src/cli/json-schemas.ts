/**
 * JSON Schemas generated from the zod schemas (committed under schemas/, checked by a test).
 * Draft-07: the dialect editors (yaml-language-server) support best.
 */
import { z } from 'zod';
import { manifestSchema } from '../manifest/schema.ts';
import { catalogFileSchema } from '../catalog/schema.ts';

function generate(schema: z.ZodType, id: string, title: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-07' }) as Record<string, unknown>;
  return { ...json, $id: id, title };
}

export function manifestJsonSchema(): Record<string, unknown> {
  return generate(manifestSchema, 'https://shotlist.dev/schemas/manifest.schema.json', 'shotlist manifest');
}

export function catalogJsonSchema(): Record<string, unknown> {
  return generate(catalogFileSchema, 'https://shotlist.dev/schemas/catalog.schema.json', 'shotlist catalog file');
}

/** File name → exact text to commit (stable key order, trailing newline). */
export function schemaFiles(): Record<string, string> {
  return {
    'manifest.schema.json': JSON.stringify(manifestJsonSchema(), null, 2) + '\n',
    'catalog.schema.json': JSON.stringify(catalogJsonSchema(), null, 2) + '\n',
  };
}
