/**
 * Readable clip file names from the manifest's `output.name` template (default
 * `{id}_{aspect}_{model}_{take}`): made safe on every filesystem (no separators or reserved
 * characters, no device names, bounded length, Unicode kept) and unique within the plan, compared
 * case-insensitively (macOS, Windows), by appending the short job id on a collision. Pure.
 */
import type { Job } from './types.ts';

export const DEFAULT_CLIP_NAME = '{id}_{aspect}_{model}_{take}';
export const CLIP_NAME_FIELDS = [
  'id',
  'shot',
  'aspect',
  'model',
  'provider',
  'take',
  'seed',
  'duration',
  'seconds',
  'resolution',
  'job',
] as const;
/** Code points kept of a name (before `.mp4`): well under every filesystem's 255-byte limit in UTF-8. */
const MAX_CHARS = 80;
const PLACEHOLDER = /\{([^{}]*)\}/g;
// Path separators, characters Windows refuses, control characters.
// oxlint-disable-next-line no-control-regex
const UNSAFE = /[/\\:*?"<>|\u0000-\u001f\u007f-\u009f\s]+/gu;
const DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/** Unknown `{placeholders}` of a template (empty when it is valid). */
export function unknownClipNameFields(template: string): string[] {
  const known: readonly string[] = CLIP_NAME_FIELDS;
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((f) => !known.includes(f));
}

function fieldValue(job: Job, field: string): string {
  switch (field) {
    case 'id':
    case 'shot':
      return job.baseId;
    case 'aspect':
      return job.aspect.replace(':', 'x');
    case 'model':
      return job.model;
    case 'provider':
      return job.provider;
    case 'take':
      return String(job.take);
    case 'seed':
      return job.seed === undefined ? '' : String(job.seed);
    case 'duration':
      return `${job.seconds}s`;
    case 'seconds':
      return String(job.seconds);
    case 'resolution':
      return job.resolution;
    case 'job':
      return job.id.slice(0, 6);
    default:
      return '';
  }
}

/** A file-name stem safe on Linux, macOS and Windows: separators and reserved characters become "-". */
export function safeStem(text: string): string {
  let s = text.normalize('NFC').replace(UNSAFE, '-').replace(/-{2,}/g, '-');
  s = Array.from(s).slice(0, MAX_CHARS).join('');
  s = s.replace(/^[.\-_ ]+/, '').replace(/[. -]+$/, '');
  if (!s) return 'clip';
  return DEVICE.test(s.split('.')[0] ?? s) ? `_${s}` : s;
}

/** Each job's clip name (no extension), unique in the plan. */
export function clipNames(jobs: readonly Job[], template = DEFAULT_CLIP_NAME): Map<string, string> {
  const stems = new Map(jobs.map((j) => [j.id, safeStem(template.replace(PLACEHOLDER, (_, f: string) => fieldValue(j, f)))]));
  const count = new Map<string, number>();
  for (const s of stems.values()) count.set(s.toLowerCase(), (count.get(s.toLowerCase()) ?? 0) + 1);
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const j of jobs) {
    const stem = stems.get(j.id) ?? j.id;
    let name = (count.get(stem.toLowerCase()) ?? 0) > 1 ? `${stem}_${j.id.slice(0, 6)}` : stem;
    // Still taken (a stem that happens to end in another job's short id): the full id settles it.
    if (taken.has(name.toLowerCase())) name = `${stem}_${j.id}`;
    taken.add(name.toLowerCase());
    out.set(j.id, name);
  }
  return out;
}
