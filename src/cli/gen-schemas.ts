/** `npm run schemas`: regenerates schemas/*.json from the zod schemas. */
import { writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { schemaFiles } from './json-schemas.ts';
import { statusSchemaFiles } from './status-shape.ts';

export async function writeSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries({ ...schemaFiles(), ...statusSchemaFiles() })) {
    const p = join(dir, name);
    await writeFile(p, text);
    written.push(p);
  }
  return written;
}

// Run as a script (node --import tsx src/cli/gen-schemas.ts), not when imported.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('../../schemas/', import.meta.url));
  for (const p of await writeSchemas(dir)) process.stdout.write(`wrote ${p}\n`);
}
