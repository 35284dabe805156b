/**
 * Stable job ids: a short hash of the normalized request. The shot id and manifest order are
 * deliberately left out, so renaming or reordering shots keeps every id (and resume matches).
 */
import { createHash, hash } from 'node:crypto';
import type { Aspect, Resolution, Tier } from '../manifest/types.ts';
import type { Size } from './types.ts';

export interface JobRequest {
  provider: string;
  /** Neutral model id (so writing the wire id instead gives the same job). */
  model: string;
  prompt: string;
  seconds: number;
  aspect: Aspect;
  resolution: Resolution;
  size: Size;
  tier: Tier;
  /** As the user identifies it: a URL, or a path relative to the manifest's folder. */
  image?: string;
  seed?: number;
  negative_prompt?: string;
  guidance?: number;
  params: Record<string, unknown>;
  take: number;
}

/** JSON with object keys sorted at every level, so key order in the manifest never matters. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function jobId(r: JobRequest): string {
  // Fixed field order (an array, not an object) keeps the hash independent of how r was built.
  const normalized = [
    'v1',
    r.provider,
    r.model,
    r.prompt,
    r.seconds,
    r.aspect,
    r.resolution,
    `${r.size.width}x${r.size.height}`,
    r.tier,
    r.image ?? null,
    r.seed ?? null,
    r.negative_prompt ?? null,
    r.guidance ?? null,
    canonicalJson(r.params),
    r.take,
  ];
  return sha256Hex(JSON.stringify(normalized)).slice(0, 12);
}

/** One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: ~2× faster on 100k short inputs. */
const sha256Hex: (s: string) => string =
  typeof hash === 'function' ? (s) => hash('sha256', s, 'hex') : (s) => createHash('sha256').update(s).digest('hex');
