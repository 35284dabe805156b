import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { schemaFiles } from '../../src/cli/json-schemas.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('committed JSON Schemas', () => {
  it('match the zod schemas (run `npm run schemas` after changing them)', () => {
    for (const [name, text] of Object.entries(schemaFiles())) {
      expect(readFileSync(join(root, 'schemas', name), 'utf8'), name).toBe(text);
    }
  });
  it('accept the example pipelines and the shipped catalog files', () => {
    const ajv = new Ajv.default({ strict: false });
    // The schemas mark URLs with `format: uri`; check them for real (unregistered, ajv warns and ignores them).
    ajv.addFormat('uri', (s: string) => URL.canParse(s));
    const manifest = ajv.compile(JSON.parse(schemaFiles()['manifest.schema.json']!));
    for (const f of ['campaign.yaml', 'compare.yaml', 'overnight.yaml']) {
      const ok = manifest(parse(readFileSync(join(root, 'pipelines', f), 'utf8')));
      expect(ok, `${f}: ${JSON.stringify(manifest.errors)}`).toBe(true);
    }
    expect(manifest({ shots: [{ prompt: 'x', seconds: 'eight' }] })).toBe(false);
    const catalog = ajv.compile(JSON.parse(schemaFiles()['catalog.schema.json']!));
    for (const f of ['openai', 'apidot', 'sorapi', 'apixo', 'fal', 'replicate']) {
      const ok = catalog(parse(readFileSync(join(root, 'src/catalog/data', `${f}.yaml`), 'utf8')));
      expect(ok, `${f}: ${JSON.stringify(catalog.errors)}`).toBe(true);
    }
  });
});
