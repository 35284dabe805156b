/**
 * Stable job ids: a short hash of the normalized request. The shot id and manifest order are
 * deliberately left out, so renaming or reordering shots keeps every id (and resume matches).
 */
import { createHash, hash } from 'node:crypto';
import type { Tier } from '../manifest/types.ts';
import type { GenerationRequest } from '../manifest/request.ts';
import type { Size } from './types.ts';

/**
 * The generation request as hashed: `model` is the neutral id (so writing the wire id instead
 * gives the same job), `image` as the user identifies it (a URL, or a path relative to the
 * manifest's folder), plus the resolved size and tier and the take.
 */
export interface JobRequest extends Omit<GenerationRequest, 'tier'> {
  size: Size;
  tier: Tier;
  take: number;
}

/** JSON with object keys sorted at every level, so key order in the manifest never matters. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  // Fast path: most params maps are empty.
  for (const _ in v) return canonicalObject(v);
  return Array.isArray(v) ? '[]' : '{}';
}

function canonicalObject(v: object): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The normalized request without the take: computed once per shot, hashed once per take. */
export function requestKey(r: Omit<JobRequest, 'take'>): string {
  // Fixed field order, one separator that JSON text never contains unescaped (free text is
  // JSON-encoded), so the input is unambiguous and independent of how r was built.
  return (
    'v1' +
    SEP +
    r.provider +
    SEP +
    r.model +
    SEP +
    JSON.stringify(r.prompt) +
    SEP +
    r.seconds +
    SEP +
    r.aspect +
    SEP +
    r.resolution +
    SEP +
    r.size.width +
    'x' +
    r.size.height +
    SEP +
    r.tier +
    SEP +
    (r.image === undefined ? '' : JSON.stringify(r.image)) +
    SEP +
    (r.seed === undefined ? '' : r.seed) +
    SEP +
    (r.negativePrompt === undefined ? '' : JSON.stringify(r.negativePrompt)) +
    SEP +
    (r.guidance === undefined ? '' : r.guidance) +
    SEP +
    canonicalJson(r.params) +
    SEP
  );
}

const SEP = '\u0001';

export function jobIdFromKey(key: string, take: number): string {
  return sha256Hex(key + take).slice(0, 12);
}

export function jobId(r: JobRequest): string {
  return jobIdFromKey(requestKey(r), r.take);
}

/** One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: ~2× faster on 100k short inputs. */
const sha256Hex: (s: string) => string =
  typeof hash === 'function' ? (s) => hash('sha256', s, 'hex') : (s) => createHash('sha256').update(s).digest('hex');
