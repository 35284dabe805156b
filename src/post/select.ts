/**
 * Pure selection helpers shared by the post-steps: read a field of a job, pick jobs, group them,
 * order them. No I/O.
 */
import { formatUsd } from '../money.ts';
import type { Job } from '../plan/types.ts';
import type { ReportItem } from './types.ts';

/** Names `jobProperty` answers (keep in step with its switch); `id` and `job.fields` keys are valid too. */
export const JOB_PROPERTY_NAMES: readonly string[] = [
  'job',
  'jobId',
  'job_id',
  'shot',
  'shotId',
  'shot_id',
  'baseId',
  'base_id',
  'take',
  'index',
  'provider',
  'model',
  'wireModel',
  'wire_model',
  'tier',
  'prompt',
  'seconds',
  'aspect',
  'resolution',
  'size',
  'seed',
  'cost',
  'id',
];

/** Job properties addressable by name (camelCase and snake_case), beside `job.fields`. */
function jobProperty(job: Job, name: string): string | undefined {
  switch (name) {
    case 'job':
    case 'jobId':
    case 'job_id':
      return job.id;
    case 'shot':
    case 'shotId':
    case 'shot_id':
      return job.shotId;
    case 'baseId':
    case 'base_id':
      return job.baseId;
    case 'take':
      return String(job.take);
    case 'index':
      return String(job.index);
    case 'provider':
      return job.provider;
    case 'model':
      return job.model;
    case 'wireModel':
    case 'wire_model':
      return job.wireModel;
    case 'tier':
      return job.tier;
    case 'prompt':
      return job.prompt;
    case 'seconds':
      return String(job.seconds);
    case 'aspect':
      return job.aspect;
    case 'resolution':
      return job.resolution;
    case 'size':
      return `${job.size.width}x${job.size.height}`;
    case 'seed':
      return job.seed === undefined ? undefined : String(job.seed);
    case 'cost':
      return job.cost.usd === null ? 'unpriced' : formatUsd(job.cost.usd);
    default:
      return undefined;
  }
}

/**
 * The value of a field for grouping, selection and labels. Neutral job properties win over
 * `fields` (so `size` is always `WxH`), except `id`, which means the user's shot id when the
 * manifest gave one. Missing values read as the empty string.
 */
export function fieldOf(job: Job, name: string): string {
  if (name === 'id') return job.fields.id ?? job.baseId;
  return jobProperty(job, name) ?? job.fields[name] ?? '';
}

/** Items in manifest order: shot index, then take, then id for a stable tie-break. */
export function manifestOrder(items: readonly ReportItem[]): ReportItem[] {
  return [...items].sort((a, b) => a.job.index - b.job.index || a.job.take - b.job.take || a.job.id.localeCompare(b.job.id));
}

export interface Group {
  /** Display key, e.g. `1280x720` or `hero · 42`. */
  key: string;
  /** File-name-safe slug of the key. */
  slug: string;
  items: ReportItem[];
}

/** Group items by one or more fields, keeping first-appearance order of groups and items. */
export function groupBy(items: readonly ReportItem[], fields: string | string[] | undefined): Group[] {
  const names = fields === undefined ? [] : Array.isArray(fields) ? fields : [fields];
  const groups = new Map<string, ReportItem[]>();
  for (const item of items) {
    // Missing values are left out of the key so `[baseId, seed]` without a seed reads `hero`.
    const key =
      names.length === 0
        ? 'all'
        : names
            .map((n) => fieldOf(item.job, n))
            .filter(Boolean)
            .join(' · ') || '-';
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  const used = new Set<string>();
  return [...groups].map(([key, list]) => {
    let slug = slugify(key);
    for (let n = 2; used.has(slug); n++) slug = `${slugify(key)}-${n}`;
    used.add(slug);
    return { key, slug, items: list };
  });
}

/** A lower-case file-name-safe form of a key: letters, digits, `.`, `-`, `_`, `x`. */
export function slugify(key: string): string {
  const s = key
    .toLowerCase()
    .replace(/\.{2,}/g, '-')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return s.slice(0, 80) || 'group';
}

/** Stable sort by the given fields (numeric where both values are numbers). */
export function orderBy(items: readonly ReportItem[], fields: string | string[] | undefined): ReportItem[] {
  const names = fields === undefined ? [] : Array.isArray(fields) ? fields : [fields];
  if (names.length === 0) return [...items];
  return [...items].sort((a, b) => {
    for (const n of names) {
      const c = compareValues(fieldOf(a.job, n), fieldOf(b.job, n));
      if (c !== 0) return c;
    }
    return 0;
  });
}

function compareValues(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}

/** Comma-separated `order_by` strings (`"model, provider"`) become field lists. */
export function splitFields(spec: string | string[] | undefined): string[] {
  if (spec === undefined) return [];
  const list = Array.isArray(spec) ? spec : [spec];
  return list
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Explicit order: items whose shot id, base id or job id is listed come first in list order;
 * the rest follow in their current order.
 */
export function explicitOrder(items: readonly ReportItem[], order: readonly string[]): ReportItem[] {
  const rank = (it: ReportItem): number => {
    const i = order.findIndex((o) => o === it.job.shotId || o === it.job.baseId || o === it.job.id);
    return i < 0 ? order.length : i;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}
