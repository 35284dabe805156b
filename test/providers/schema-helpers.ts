/** Vendored input schemas (specs/fal, specs/replicate) compiled with ajv, and catalog jobs to check against them. */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ModelEntry } from '../../src/catalog/types.ts';
import type { Job } from '../../src/plan/types.ts';
import { sizeFor } from '../../src/catalog/sizes.ts';
import { makeJob } from './helpers.ts';

export interface VendoredSchema {
  id: string;
  schema: { properties: Record<string, unknown>; required: string[]; 'x-source': string; 'x-retrieved': string };
  validate: (v: unknown) => boolean;
  errors: () => string;
}

export function vendored(dir: 'fal' | 'replicate'): Map<string, VendoredSchema> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', /^(https?:\/\/|data:)/);
  const out = new Map<string, VendoredSchema>();
  for (const n of readdirSync(`specs/${dir}`).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(`specs/${dir}/${n}`, 'utf8'));
    const v = ajv.compile(schema);
    const id = n.slice(0, -5).split('__').join('/');
    out.set(id, { id, schema, validate: (x) => v(x) as boolean, errors: () => ajv.errorsText(v.errors) });
  }
  return out;
}

const IMG = 'https://example.com/ref.png';

/** Every neutral combination the catalog offers for a model: durations × aspects × resolutions × (text | image). */
export function catalogJobs(provider: string, m: ModelEntry): Job[] {
  const jobs: Job[] = [];
  for (const seconds of m.durations) {
    for (const aspect of m.aspects) {
      for (const resolution of m.resolutions) {
        for (const image of m.image === 'none' ? [undefined] : [undefined, IMG]) {
          if (aspect === 'auto' && !image) continue; // refused at plan time
          const wireModel = image && m.wire_id_image ? m.wire_id_image : m.wire_id;
          jobs.push(
            makeJob({
              provider,
              model: m.id,
              wireModel,
              tier: m.tier,
              seconds,
              aspect,
              resolution,
              image,
              size: sizeFor(aspect, resolution),
              ...(m.supports.seed ? { seed: 7 } : {}),
              ...(m.supports.negative_prompt ? { negative_prompt: 'blur' } : {}),
            }),
          );
        }
      }
    }
  }
  return jobs;
}
