/**
 * The vendored input schemas under specs/fal and specs/replicate, and a small validator for the
 * subset of JSON Schema they use. The emulator refuses what the real app's published schema
 * refuses, so a wrong request fails in our tests as it would against the real service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const propSchema = z.looseObject({
  type: z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object']).optional(),
  enum: z.array(z.unknown()).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  maxLength: z.number().optional(),
  maxItems: z.number().optional(),
  format: z.string().optional(),
  default: z.unknown().optional(),
});
const inputSchema = z.looseObject({ $id: z.string(), required: z.array(z.string()), properties: z.record(z.string(), propSchema) });

export type PropSchema = z.infer<typeof propSchema>;
export type InputSchema = z.infer<typeof inputSchema>;

export interface SchemaError {
  field: string;
  /** pydantic-like error type (fal): missing, literal_error, int_type, string_type, … */
  type: string;
  message: string;
  input?: unknown;
}

const SPECS_DIR = fileURLToPath(new URL('../../specs/', import.meta.url));
const cache = new Map<string, Map<string, InputSchema>>();

/** Every vendored schema of a provider directory, keyed by app / model id (`fal-ai/veo3.1`). */
export function loadInputSchemas(dir: 'fal' | 'replicate'): Map<string, InputSchema> {
  let m = cache.get(dir);
  if (m) return m;
  m = new Map();
  let names: string[] = [];
  try {
    names = readdirSync(`${SPECS_DIR}${dir}`).filter((n) => n.endsWith('.json'));
  } catch {
    /* no specs shipped: the emulator falls back to its lenient checks */
  }
  for (const n of names) {
    const s = inputSchema.parse(JSON.parse(readFileSync(`${SPECS_DIR}${dir}/${n}`, 'utf8')));
    m.set(n.slice(0, -'.json'.length).split('__').join('/'), s);
  }
  cache.set(dir, m);
  return m;
}

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

function checkOne(field: string, p: PropSchema, v: unknown): SchemaError | undefined {
  const err = (type: string, message: string): SchemaError => ({ field, type, message, input: v });
  // An enum is a Literal in fal's pydantic models: a wrong type is a literal_error too.
  switch (p.enum ? undefined : p.type) {
    case 'string':
      if (typeof v !== 'string') return err('string_type', 'Input should be a valid string');
      break;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) return err('int_type', 'Input should be a valid integer');
      break;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return err('float_type', 'Input should be a valid number');
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return err('bool_type', 'Input should be a valid boolean');
      break;
    case 'array':
      if (!Array.isArray(v)) return err('list_type', 'Input should be a valid list');
      if (p.maxItems !== undefined && v.length > p.maxItems) return err('too_long', `List should have at most ${p.maxItems} items`);
      break;
    default:
      break;
  }
  if (p.enum && !p.enum.some((e) => e === v)) {
    const opts = p.enum.map(quote);
    const list = opts.length > 1 ? `${opts.slice(0, -1).join(', ')} or ${opts[opts.length - 1]}` : opts.join('');
    return err(p.type === 'string' ? 'literal_error' : 'enum', `Input should be ${list}`);
  }
  if (typeof v === 'number') {
    if (p.minimum !== undefined && v < p.minimum) return err('greater_than_equal', `Input should be greater than or equal to ${p.minimum}`);
    if (p.maximum !== undefined && v > p.maximum) return err('less_than_equal', `Input should be less than or equal to ${p.maximum}`);
  }
  if (typeof v === 'string') {
    if (p.maxLength !== undefined && v.length > p.maxLength)
      return err('string_too_long', `String should have at most ${p.maxLength} characters`);
    if (p.format === 'uri' && !/^(https?:\/\/|data:)/.test(v)) return err('url_parsing', 'Input should be a valid URL');
  }
  return undefined;
}

/** Validate an input object: required fields, then each known field. Unknown fields pass (as pydantic ignores them). */
export function validateInput(schema: InputSchema, input: Record<string, unknown>): SchemaError[] {
  const errors: SchemaError[] = [];
  for (const r of schema.required)
    if (input[r] === undefined || input[r] === null) errors.push({ field: r, type: 'missing', message: 'Field required' });
  for (const [k, v] of Object.entries(input)) {
    const p = schema.properties[k];
    if (!p || v === undefined) continue;
    const e = checkOne(k, p, v);
    if (e) errors.push(e);
  }
  return errors;
}

/** The value the app uses for a field: what was sent, else the schema's default. */
export function effective(schema: InputSchema | undefined, input: Record<string, unknown>, field: string): unknown {
  return input[field] ?? schema?.properties[field]?.default;
}
