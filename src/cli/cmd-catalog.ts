/** `shotlist catalog [--json]`: models, limits and prices with their as-of dates. */
import { resolve } from 'node:path';
import { loadCatalog } from '../catalog/index.ts';
import type { CliIO } from './io.ts';
import { renderCatalog } from './render-plan.ts';

export async function catalogCommand(flags: { json?: boolean; catalog?: string[] }, io: CliIO): Promise<number> {
  const catalog = await loadCatalog({ extraFiles: (flags.catalog ?? []).map((f) => resolve(io.cwd, f)) });
  io.out(flags.json ? JSON.stringify(catalog.providers, null, 2) : renderCatalog(catalog));
  return 0;
}
