/**
 * buildPlan: pure. Shots × catalog → jobs with stable ids, prices, cost lines, warnings and
 * errors. No I/O and no clock: `today` comes in as data.
 */
import { dirname, isAbsolute, relative } from 'node:path';
import type { Diagnostic } from '../errors.ts';
import type { Catalog, ModelEntry, ProviderCatalog } from '../catalog/types.ts';
import type { Aspect, Manifest, Resolution, Shot } from '../manifest/types.ts';
import { priceJob, roundUsd } from '../catalog/price.ts';
import { sizeFor, sizeText } from '../catalog/sizes.ts';
import type { Cost, CostLine, Job, Plan, Size } from './types.ts';
import { jobIdFromKey, requestKey } from './job-id.ts';
import { checkShot, unknownModelMessage } from './validate.ts';
import { estimateEta } from './eta.ts';
import { CLIP_NAME_FIELDS, clipNames, DEFAULT_CLIP_NAME, unknownClipNameFields } from './clip-name.ts';
import { pickRequest } from '../manifest/request.ts';
import { collapseDiagnostics } from '../manifest/collapse.ts';

export interface BuildPlanOptions {
  /** Plan unpriced jobs anyway (their cost counts as unknown). */
  allowUnpriced?: boolean;
  /** YYYY-MM-DD, for sunset checks. */
  today: string;
  /** Extra per-job checks (the provider adapter's pure toRequest); called for the first take of each shot. */
  validateJob?: (job: Job) => string[];
  /** Pixel size of a local reference image, read by the caller (the plan does no I/O); unknown → no fit notice. */
  imageSize?: (path: string) => Size | undefined;
}

export function buildPlan(manifest: Manifest, catalog: Catalog, opts: BuildPlanOptions): Plan {
  const errors: Diagnostic[] = [];
  const warnings: string[] = [];
  const jobs: Job[] = [];
  const manifestDir = dirname(manifest.file);
  const unpriced = new Map<string, { first: Shot; jobs: number; resolution: string }>();
  const sunsets = new Map<string, { entry: ModelEntry; jobs: number }>();
  const sizes = sizeCache();
  const costs = costCache();

  for (const shot of manifest.shots) {
    const entry = catalog.resolve(shot.provider, shot.model);
    const pc = catalog.provider(shot.provider);
    if (!entry || !pc) {
      const field = pc ? 'model' : 'provider';
      shotError(errors, shot, unknownModelMessage(catalog, shot.provider, shot.model), field);
      continue;
    }
    const problems = checkShot(shot, entry, catalog);
    for (const p of problems) shotError(errors, shot, p.message, p.field);
    if (problems.length) continue;

    const cost = costs.get(shot, entry, pc, manifest);
    // A huge price (1e308 in pricing: or a catalog file) overflows to Infinity: not a price anyone can approve.
    if ((cost.usd !== null && !Number.isFinite(cost.usd)) || (cost.credits !== null && !Number.isFinite(cost.credits))) {
      shotError(
        errors,
        shot,
        `the price of ${entry.provider}/${entry.id} for ${shot.seconds} s is not a finite amount (check pricing: or the catalog)`,
        'model',
      );
      continue;
    }
    if (cost.usd === null) {
      const key = `${entry.provider}/${entry.id} at ${shot.resolution}, ${shot.seconds} s`;
      const u = unpriced.get(key);
      if (u) u.jobs += shot.takes;
      else unpriced.set(key, { first: shot, jobs: shot.takes, resolution: shot.resolution });
    }
    if (entry.sunset !== undefined) {
      const k = `${entry.provider}/${entry.id}`;
      const s = sunsets.get(k);
      if (s) s.jobs += shot.takes;
      else sunsets.set(k, { entry, jobs: shot.takes });
    }
    const size = sizes.get(shot.aspect, shot.resolution);
    const tier = entry.tier;
    // Local images hash by their path relative to the manifest, so moving the project keeps ids.
    const imageKey =
      shot.image === undefined
        ? undefined
        : isAbsolute(shot.image) && !/^https?:/i.test(shot.image)
          ? relative(manifestDir, shot.image)
          : shot.image;
    const fields = fieldsOf(shot, entry, sizes.text(size), tier);
    // The request as planned: the shot's, with the catalog's neutral model id and the model's tier.
    const request = { ...pickRequest(shot), provider: entry.provider, model: entry.id, tier };
    // A crop sends other pixels than the default pad: another request (pad keeps the ids it always had).
    const fit = shot.image === undefined ? undefined : (shot.imageFit ?? 'pad');
    const key = requestKey({ ...request, image: fit === 'crop' ? `${imageKey}#crop` : imageKey, size });
    if (fit && shot.image !== undefined) {
      const notice = fitNotice(shot, shot.image, fit, size, opts.imageSize?.(shot.image));
      if (notice) warnings.push(notice);
    }
    const wireModel = shot.image !== undefined && entry.wire_id_image ? entry.wire_id_image : entry.wire_id;
    for (let take = 1; take <= shot.takes; take++) {
      const job: Job = {
        ...request,
        id: jobIdFromKey(key, take),
        shotId: shot.id,
        baseId: shot.baseId,
        take,
        index: shot.index,
        wireModel,
        size,
        ...(fit ? { imageFit: fit } : {}),
        fields: shot.takes > 1 ? { ...fields, take: String(take) } : fields,
        cost,
        source: shot.source,
      };
      if (take === 1 && opts.validateJob) {
        const extra = opts.validateJob(job);
        for (const m of extra) shotError(errors, shot, m);
        if (extra.length) break;
      }
      jobs.push(job);
    }
  }

  checkDuplicates(jobs, errors);
  const template = manifest.output?.name ?? DEFAULT_CLIP_NAME;
  const badFields = unknownClipNameFields(template);
  if (badFields.length > 0) {
    const pos = manifest.outputSource ?? { file: manifest.file, line: 1, col: 1 };
    errors.push({
      ...pos,
      message: `output.name: unknown field ${badFields.map((f) => `{${f}}`).join(', ')}; fields: ${CLIP_NAME_FIELDS.map((f) => `{${f}}`).join(' ')}`,
    });
  } else {
    const names = clipNames(jobs, template);
    for (const j of jobs) j.clipName = names.get(j.id);
  }
  for (const [key, u] of unpriced) {
    if (opts.allowUnpriced) {
      warnings.push(`UNPRICED: ${key} (${u.jobs} job${u.jobs === 1 ? '' : 's'}) is not in the catalog's prices; the total excludes it`);
    } else {
      errors.push({
        ...(u.first.fieldSources?.model ?? u.first.source),
        message:
          `${key} has no price (${u.jobs} job${u.jobs === 1 ? '' : 's'}): add a "pricing:" entry ` +
          `({ provider: ${u.first.provider}, model: ${u.first.model}, usd_per_second: … }) or pass --allow-unpriced`,
      });
    }
  }
  for (const [k, s] of sunsets) {
    const when = s.entry.sunset!;
    if (when <= opts.today) {
      const instead = suggestCurrent(catalog, s.entry, opts.today);
      warnings.push(
        `RETIRED MODEL: ${k} was retired on ${when}; its ${s.jobs} job${s.jobs === 1 ? '' : 's'} will most likely be rejected. ` +
          (instead ? `Use a current model instead, e.g. ${instead}.` : 'Pick a current model.'),
      );
    } else {
      warnings.push(`${k} will be retired on ${when}.`);
    }
  }

  const lines = costLines(jobs);
  let usd = 0;
  let credits = 0;
  let unpricedJobs = 0;
  for (const j of jobs) {
    if (j.cost.usd === null) unpricedJobs++;
    else usd += j.cost.usd;
    if (j.cost.credits !== null) credits += j.cost.credits;
  }
  const totals = { usd: roundUsd(usd), credits: roundUsd(credits), jobs: jobs.length, unpriced: unpricedJobs };
  if (!Number.isFinite(totals.usd) || !Number.isFinite(totals.credits)) {
    errors.push({
      ...(jobs[0]?.source ?? { file: manifest.file, line: 1, col: 1 }),
      message: 'the plan total is not a finite amount (prices too large); check pricing: and the catalog',
    });
  }
  const max = manifest.budget.max_usd;
  let overBudget: Plan['overBudget'];
  if (max !== undefined && totals.usd > max) {
    // Not an input error (exit 2) but a refusal to spend (exit 3): kept apart from `errors`.
    const pos = manifest.budgetSource ?? { file: manifest.file, line: 1, col: 1 };
    const message = `plan total $${totals.usd.toFixed(2)} exceeds budget.max_usd $${max.toFixed(2)}`;
    overBudget = { totalUsd: totals.usd, maxUsd: max, diagnostic: { ...pos, message } };
  }
  // One line per source position: a bad matrix value is reported once, with its expansion count.
  const plan: Plan = {
    name: manifest.name,
    jobs,
    lines,
    totals,
    warnings,
    errors: collapseDiagnostics(errors),
    eta: estimateEta(jobs, catalog, manifest.providers),
  };
  if (overBudget) plan.overBudget = overBudget;
  return plan;
}

/** One Size object (and its text) per aspect × resolution, shared by every job that has it. */
function sizeCache() {
  const objs = new Map<string, Size>();
  const texts = new Map<Size, string>();
  return {
    get(aspect: Aspect, resolution: Resolution): Size {
      const k = aspect + resolution;
      let s = objs.get(k);
      if (!s) {
        s = Object.freeze(sizeFor(aspect, resolution));
        objs.set(k, s);
        texts.set(s, sizeText(s));
      }
      return s;
    },
    text: (s: Size): string => texts.get(s) ?? sizeText(s),
  };
}

/** Shots of one model, duration and resolution share one frozen Cost (fewer objects on big plans). */
function costCache() {
  const byEntry = new Map<ModelEntry, Map<string, Cost>>();
  return {
    get(shot: Shot, entry: ModelEntry, pc: ProviderCatalog, manifest: Manifest): Cost {
      let m = byEntry.get(entry);
      if (!m) byEntry.set(entry, (m = new Map()));
      // The shot's own model text matters only for manifest pricing matched by it.
      const k = shot.resolution + shot.seconds + (manifest.pricing.length ? '\u0000' + shot.model : '');
      let c = m.get(k);
      if (!c) m.set(k, (c = Object.freeze(costFor(shot, entry, pc, manifest))));
      return c;
    },
  };
}

function shotError(errors: Diagnostic[], shot: Shot, message: string, field?: string): void {
  const at = (field !== undefined ? shot.fieldSources?.[field] : undefined) ?? shot.source;
  errors.push({ ...at, message: `shot "${shot.id}": ${message}` });
}

function costFor(shot: Shot, entry: ModelEntry, pc: ProviderCatalog, manifest: Manifest): Cost {
  let override: Manifest['pricing'][number] | undefined;
  for (const p of manifest.pricing) {
    if (
      (p.provider === undefined || p.provider === entry.provider) &&
      (p.model === entry.id || p.model === entry.wire_id || p.model === shot.model)
    ) {
      override = p;
      break;
    }
  }
  if (override) {
    if (override.usd_per_second !== undefined) return { usd: roundUsd(override.usd_per_second * shot.seconds), credits: null };
    if (override.usd_per_clip !== undefined) return { usd: roundUsd(override.usd_per_clip), credits: null };
  }
  return priceJob(entry, pc, { seconds: shot.seconds, resolution: shot.resolution });
}

function fieldsOf(shot: Shot, entry: ModelEntry, size: string, tier: string): Record<string, string> {
  // Fixed-shape literal first (fast on 100k jobs); vars and matrix values fill in around it
  // without overriding the neutral fields.
  const f: Record<string, string> = {
    shot: shot.id,
    id: shot.baseId,
    provider: entry.provider,
    model: entry.id,
    prompt: shot.prompt,
    seconds: String(shot.seconds),
    aspect: shot.aspect,
    resolution: shot.resolution,
    size,
    tier,
    take: '1',
  };
  if (shot.image !== undefined) f.image = shot.image;
  if (shot.seed !== undefined) f.seed = String(shot.seed);
  if (shot.negativePrompt !== undefined) f.negative_prompt = shot.negativePrompt;
  if (shot.guidance !== undefined) f.guidance = String(shot.guidance);
  for (const k in shot.vars) if (!(k in f)) f[k] = shot.vars[k]!;
  for (const k in shot.matrix) if (!(k in f)) f[k] = shot.matrix[k]!;
  return f;
}

const orientation = (s: Size): string => (s.width > s.height ? 'landscape' : s.width < s.height ? 'portrait' : 'square');

/** A reference image of another orientation than the clip: say at plan time what will be done to it. */
function fitNotice(shot: Shot, image: string, fit: 'pad' | 'crop', clip: Size, img: Size | undefined): string | undefined {
  if (!img || shot.aspect === 'auto' || orientation(img) === orientation(clip)) return undefined;
  const name = image.split(/[\\/]/).pop() ?? image;
  const what =
    fit === 'pad'
      ? `padded to ${clip.width}x${clip.height} with black bars (image_fit: crop fills the frame instead)`
      : `cropped to fill ${clip.width}x${clip.height}, its edges cut (image_fit: pad keeps the whole image)`;
  return `shot "${shot.id}": reference image ${name} is ${img.width}x${img.height} (${orientation(img)}) for a ${shot.aspect} clip: ${what}`;
}

/** Two shots that ask for the very same request would share a job id: one clip, paid once. */
function checkDuplicates(jobs: Job[], errors: Diagnostic[]): void {
  const seen = new Map<string, Job>();
  for (const j of jobs) {
    const prev = seen.get(j.id);
    if (prev && prev.shotId !== j.shotId) {
      errors.push({
        ...j.source,
        message: `shot "${j.shotId}" asks for exactly the same generation as shot "${prev.shotId}" (${prev.source.file}:${prev.source.line}); use takes: for more clips of one request`,
      });
    } else if (!prev) seen.set(j.id, j);
  }
}

function costLines(jobs: Job[]): CostLine[] {
  // Keyed by object identity (model entry → size → seconds → unit cost) rather than by building
  // a string per job: this runs once per job on 100k-job plans.
  const byModel = new Map<string, Map<Size, Map<number, CostLine[]>>>();
  const lines: CostLine[] = [];
  for (const j of jobs) {
    const mk = j.provider + '/' + j.model;
    let bySize = byModel.get(mk);
    if (!bySize) byModel.set(mk, (bySize = new Map()));
    let bySecs = bySize.get(j.size);
    if (!bySecs) bySize.set(j.size, (bySecs = new Map()));
    let group = bySecs.get(j.seconds);
    if (!group) bySecs.set(j.seconds, (group = []));
    let l: CostLine | undefined;
    for (const x of group) if (x.unit === j.cost || (x.unit.usd === j.cost.usd && x.unit.credits === j.cost.credits)) l = x;
    if (!l) {
      l = {
        provider: j.provider,
        model: j.model,
        resolution: j.resolution,
        size: sizeText(j.size),
        seconds: j.seconds,
        jobs: 0,
        unit: j.cost,
        subtotal: { usd: j.cost.usd === null ? null : 0, credits: j.cost.credits === null ? null : 0 },
      };
      group.push(l);
      lines.push(l);
    }
    l.jobs++;
  }
  // Subtotals as unit × count: exact, and no per-job rounding drift.
  for (const l of lines) {
    if (l.unit.usd !== null) l.subtotal.usd = roundUsd(l.unit.usd * l.jobs);
    if (l.unit.credits !== null) l.subtotal.credits = roundUsd(l.unit.credits * l.jobs);
  }
  // Table order: provider and model as they first appear, then duration, then size.
  const out = lines;
  const firstSeen = new Map<string, number>();
  for (const l of out) for (const k of [l.provider, `${l.provider}/${l.model}`]) if (!firstSeen.has(k)) firstSeen.set(k, firstSeen.size);
  return out.sort(
    (a, b) =>
      firstSeen.get(a.provider)! - firstSeen.get(b.provider)! ||
      firstSeen.get(`${a.provider}/${a.model}`)! - firstSeen.get(`${b.provider}/${b.model}`)! ||
      a.seconds - b.seconds ||
      a.size.localeCompare(b.size),
  );
}

/**
 * A current model to name beside a retired one: the catalog's `successor` when given, else a live
 * model of the same provider and tier (a gateway still serving the old id likely serves that too).
 */
function suggestCurrent(catalog: Catalog, e: ModelEntry, today: string): string | undefined {
  if (e.successor) return e.successor;
  const live = (m: ModelEntry) => m.sunset === undefined || m.sunset > today;
  const same = catalog.provider(e.provider)?.models.filter(live) ?? [];
  const pick = same.find((m) => m.tier === e.tier) ?? same[0];
  return pick ? `${e.provider}/${pick.id}` : undefined;
}
