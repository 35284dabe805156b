/**
 * The read-only front half shared by validate, plan and run: manifest → catalog → plan.
 * Every check that can be made before spending happens here; any error is an InputError (exit 2).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/types.ts';
import { formatDiagnostic, InputError, NotApprovedError, UsageError } from '../errors.ts';
import { loadManifest } from '../manifest/index.ts';
import type { Manifest } from '../manifest/types.ts';
import { checkPostFields } from '../post/fields.ts';
import { imageSizes } from '../media/image.ts';
import { buildPlan } from '../plan/index.ts';
import type { Plan } from '../plan/types.ts';
import { providerFor } from './bindings.ts';
import { requireManifestFile } from './paths.ts';

export interface PlanFlags {
  provider?: string;
  model?: string;
  catalog?: string[];
  allowUnpriced?: boolean;
  /** Callbacks (run --listen + --public-url): each adapter checks the URL it would send at plan time. */
  listen?: string;
  publicUrl?: string;
}

export interface Planned {
  manifest: Manifest;
  catalog: Catalog;
  plan: Plan;
}

export function today(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

export async function loadAndPlan(manifestPath: string, cwd: string, flags: PlanFlags): Promise<Planned> {
  const manifest = await loadManifest(requireManifestFile(cwd, manifestPath), { provider: flags.provider, model: flags.model });
  for (const f of flags.catalog ?? []) {
    // No file, no position to point at: a usage error (exit 2) rather than a diagnostic on a missing path.
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(resolve(cwd, f), { throwIfNoEntry: false });
    } catch {
      st = undefined; // e.g. a NUL byte in the path
    }
    if (!st) throw new UsageError(`--catalog ${f}: file not found`);
    if (!st.isFile()) throw new UsageError(`--catalog ${f}: not a file`);
  }
  const extra = [...manifest.catalogFiles, ...(flags.catalog ?? []).map((f) => resolve(cwd, f))];
  const catalog = await loadCatalog({ extraFiles: extra });
  // Local reference images are measured here (the plan does no I/O) so it can say how each is fitted.
  const sizes = await imageSizes(manifest.shots.flatMap((s) => (s.image !== undefined && !/^https?:/i.test(s.image) ? [s.image] : [])));
  const plan = buildPlan(manifest, catalog, {
    imageSize: (p) => sizes.get(p),
    allowUnpriced: flags.allowUnpriced ?? false,
    today: today(),
    // The adapters' pure wire mapping is the last word on what a provider accepts.
    validateJob: (job) => {
      const provider = providerFor(job.provider, { catalog, settings: manifest.providers });
      if (!provider) return [`unknown provider "${job.provider}"`];
      const callbackUrl = flags.listen && flags.publicUrl ? `${flags.publicUrl.replace(/\/+$/, '')}/callbacks/${job.provider}` : undefined;
      const mapped = provider.toRequest(job, { callbackUrl });
      return mapped.ok ? [] : mapped.errors;
    },
  });
  const errors = [...plan.errors, ...checkPostFields(manifest.postFieldRefs ?? [], plan.jobs)];
  if (errors.length > 0) throw new InputError(errors);
  return { manifest, catalog, plan };
}

/** A plan over the manifest's budget is shown, then refused: exit 3, nothing spent. */
export function refuseIfOverBudget(plan: Plan): void {
  if (plan.overBudget) throw new NotApprovedError(`${formatDiagnostic(plan.overBudget.diagnostic)}; nothing was spent`);
}
