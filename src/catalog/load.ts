/**
 * loadCatalog: reads the shipped per-provider YAML files plus any extra files (which add or
 * override models, field by field), validates each with zod keeping line:col, and returns a
 * Catalog that resolves neutral or wire ids.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { z } from 'zod';
import { InputError, type Diagnostic } from '../errors.ts';
import { PROVIDER_NAMES } from '../manifest/protocols.ts';
import { parseYaml, type Path } from '../manifest/positions.ts';
import type { SourcePos } from '../manifest/types.ts';
import { issuesToDiagnostics } from '../manifest/issues.ts';
import { decodeUtf8 } from '../manifest/text.ts';
import type { Catalog, ModelEntry, ProviderCatalog } from './types.ts';
import { catalogListSchema, catalogPatchSchema, modelEntrySchema, providerCatalogSchema } from './schema.ts';

export const CATALOG_DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

export interface LoadCatalogOptions {
  /** Extra catalog files (absolute paths), applied in order after the shipped ones. */
  extraFiles?: string[];
  /** Directory of the shipped files (tests). */
  dataDir?: string;
}

type Patch = z.infer<typeof catalogPatchSchema>;

export async function loadCatalog(opts: LoadCatalogOptions = {}): Promise<Catalog> {
  const dir = opts.dataDir ?? CATALOG_DATA_DIR;
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  const diags: Diagnostic[] = [];
  const providers: ProviderCatalog[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const parsed = await parseFile(file, diags);
    if (parsed === undefined) continue;
    const r = providerCatalogSchema.safeParse(parsed.value);
    if (!r.success) {
      diags.push(...issuesToDiagnostics(r.error.issues, parsed.value, [], providerCatalogSchema, parsed.pos));
      continue;
    }
    const { $schema: _s, models, ...rest } = r.data;
    providers.push({ ...rest, models: models.map((m) => ({ provider: rest.provider, ...m }) as ModelEntry) });
  }
  for (const file of opts.extraFiles ?? []) {
    const parsed = await parseFile(file, diags);
    if (parsed === undefined) continue;
    const value = parsed.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      diags.push({
        file,
        line: 1,
        col: 1,
        message: 'catalog file must be a YAML map with "provider:" and "models:" (or "providers: [...]")',
      });
      continue;
    }
    // Pick the shape by its key rather than letting a union say only "Invalid input".
    const isList = 'providers' in value;
    const schema = isList ? catalogListSchema : catalogPatchSchema;
    const r = schema.safeParse(value);
    if (!r.success) {
      diags.push(...issuesToDiagnostics(r.error.issues, value, [], schema, parsed.pos));
      continue;
    }
    const patches: Patch[] = isList ? (r.data as z.infer<typeof catalogListSchema>).providers : [r.data as Patch];
    patches.forEach((p, k) => applyPatch(providers, p, diags, (path) => parsed.pos.at(isList ? ['providers', k, ...path] : path)));
  }
  if (diags.length) throw new InputError(diags);
  // Display order: the project's provider order, then any extra providers by name.
  const rank = (n: string): number => {
    const i = (PROVIDER_NAMES as readonly string[]).indexOf(n);
    return i === -1 ? PROVIDER_NAMES.length : i;
  };
  providers.sort((a, b) => rank(a.provider) - rank(b.provider) || a.provider.localeCompare(b.provider));
  return makeCatalog(providers);
}

async function parseFile(file: string, diags: Diagnostic[]) {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    diags.push({ file, line: 1, col: 1, message: `cannot read catalog file: ${(e as Error).message}` });
    return undefined;
  }
  const decoded = decodeUtf8(bytes, file, 'the catalog file');
  if ('diagnostic' in decoded) {
    diags.push(decoded.diagnostic);
    return undefined;
  }
  const text = decoded.text;
  const parsed = parseYaml(text, file);
  if (parsed.errors.length) {
    diags.push(...parsed.errors);
    return undefined;
  }
  return parsed;
}

function applyPatch(providers: ProviderCatalog[], patch: Patch, diags: Diagnostic[], at: (path: Path) => SourcePos): void {
  let pc = providers.find((p) => p.provider === patch.provider);
  if (!pc) {
    const r = providerCatalogSchema.safeParse({ models: [], ...patch });
    if (!r.success) {
      diags.push({ ...at(['provider']), message: `catalog: new provider "${patch.provider}" needs as_of, source and limits` });
      return;
    }
    pc = { provider: patch.provider, as_of: r.data.as_of, source: r.data.source, limits: r.data.limits, models: [] };
    if (r.data.usd_per_credit !== undefined) pc.usd_per_credit = r.data.usd_per_credit;
    providers.push(pc);
  } else {
    if (patch.as_of) pc.as_of = patch.as_of;
    if (patch.source) pc.source = patch.source;
    if (patch.usd_per_credit !== undefined) pc.usd_per_credit = patch.usd_per_credit;
    if (patch.limits) pc.limits = { ...pc.limits, ...patch.limits };
  }
  if (patch.protocol) pc.protocol = patch.protocol;
  if (patch.base_url) pc.base_url = patch.base_url;
  if (patch.key_env) pc.key_env = patch.key_env;
  for (const [j, m] of (patch.models ?? []).entries()) {
    const i = pc.models.findIndex((e) => e.id === m.id);
    const merged = { ...(i >= 0 ? pc.models[i] : {}), ...m };
    const { provider: _p, ...fields } = merged as ModelEntry;
    const r = modelEntrySchema.safeParse(fields);
    if (!r.success) {
      const fieldsRec = fields as Record<string, unknown>;
      const missing = r.error.issues
        .filter((x) => x.path.length === 1 && fieldsRec[String(x.path[0])] === undefined)
        .map((x) => String(x.path[0]));
      const other = r.error.issues
        .filter((x) => !(x.path.length === 1 && fieldsRec[String(x.path[0])] === undefined))
        .map((x) => `${x.path.join('.')}: ${x.message}`);
      const what = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...other].join('; ');
      diags.push({ ...at(['models', j]), message: `catalog: model "${pc.provider}/${m.id}" is incomplete (${what})` });
      continue;
    }
    const entry = { provider: pc.provider, ...r.data } as ModelEntry;
    if (i >= 0) pc.models[i] = entry;
    else pc.models.push(entry);
  }
}

/** Builds the lookup over a fixed provider list (also used by tests with hand-made catalogs). */
export function makeCatalog(providers: ProviderCatalog[]): Catalog {
  const index = new Map<string, ModelEntry>();
  for (const p of providers) {
    for (const m of p.models) {
      // Neutral ids win over wire ids when they collide.
      for (const k of [m.wire_id_image, m.wire_id]) if (k && !index.has(`${p.provider}\u0000${k}`)) index.set(`${p.provider}\u0000${k}`, m);
    }
    for (const m of p.models) index.set(`${p.provider}\u0000${m.id}`, m);
  }
  return {
    providers,
    resolve: (provider, model) => index.get(`${provider}\u0000${model}`),
    provider: (name) => providers.find((p) => p.provider === name),
  };
}
