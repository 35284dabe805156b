/** The normalized manifest: what the loader hands to the planner. Pure data, no I/O. */
import type { z } from 'zod';
import type { aspectSchema, resolutionSchema, tierSchema } from './schema.ts';
import type { GenerationRequest } from './request.ts';

export type Aspect = z.infer<typeof aspectSchema>;
export type Resolution = z.infer<typeof resolutionSchema>;
export type Tier = z.infer<typeof tierSchema>;
export type ImageFit = 'pad' | 'crop';

export const ASPECTS: readonly Aspect[] = ['16:9', '9:16', 'auto'];
export const RESOLUTIONS: readonly Resolution[] = ['720p', '1024p', '1080p'];
export const TIERS: readonly Tier[] = ['standard', 'pro'];

/** Where a value came from, for file:line:col diagnostics at plan time. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One shot after defaults, matrix expansion and template filling: a request to make `takes` clips. */
export interface Shot extends GenerationRequest {
  /** Unique within the manifest: the user's id plus matrix suffix, e.g. `hero@aspect=9:16,model=sora-2`. */
  id: string;
  /** The id the user wrote (or `row-N` for CSV rows without one). */
  baseId: string;
  /** Position in manifest order (0-based), used for stitch order and report order. */
  index: number;
  /** Neutral model id or a provider wire id; the catalog resolves either. */
  model: string;
  /** Local path (resolved relative to the manifest) or http(s) URL. */
  image?: string;
  /** How a reference image of another shape than the clip is fitted (default pad). */
  imageFit?: ImageFit;
  takes: number;
  vars: Record<string, string>;
  /** Matrix values that produced this shot (field → value), for grouping and labels. */
  matrix: Record<string, string>;
  source: SourcePos;
  /** Where individual fields were written (matrix, shot or defaults), when known: plan-time errors point there. */
  fieldSources?: Partial<Record<string, SourcePos>>;
}

export type PostStep =
  | {
      kind: 'thumbnails';
      at?: number | string;
      sheet?: boolean | { cols?: number; rows?: number; per?: 'clip' | 'group'; group_by?: string };
    }
  | { kind: 'stitch'; group_by?: string; select?: { ids?: string[]; field?: string; equals?: string }; order?: string[]; name?: string }
  | { kind: 'grid'; group_by: string | string[]; order_by?: string; label?: string[] | string; max_tile?: number; audio?: number }
  | { kind: 'contact_sheet'; group_by?: string; cols?: number; rows?: number }
  | {
      kind: 'qc';
      enabled?: boolean;
      black_s?: number;
      frozen_s?: number;
      silence_db?: number;
      duration_tolerance_s?: number;
      audio?: 'auto' | 'required' | 'optional';
    };

/** A field name written in a post-step, checked at plan time against the jobs' fields. */
export interface PostFieldRef {
  name: string;
  /** Where it was written, e.g. `post[2].grid.group_by`. */
  where: string;
  source: SourcePos;
}

export interface ProviderSettings {
  base_url?: string;
  /** A provider instance of the user's own: the built-in protocol it speaks (see catalog `protocol`). */
  protocol?: string;
  /** Environment variable holding its key (default `<NAME>_API_KEY`). */
  key_env?: string;
  limits?: Partial<{
    submit_per_min: number;
    submit_burst: number;
    polls_per_min: number;
    max_in_flight: number;
    downloads: number;
  }>;
}

export interface Manifest {
  /** Absolute path of the manifest file. */
  file: string;
  name: string;
  shots: Shot[];
  budget: { max_usd?: number };
  /** Output naming: `name` is the clip file name template (plan/clip-name.ts). */
  output?: { name?: string };
  /** Where `output.name` was written, for its diagnostic. */
  outputSource?: SourcePos;
  providers: Record<string, ProviderSettings>;
  post: PostStep[];
  /** Per-provider/model price overrides for models the catalog does not price. */
  pricing: Array<{ provider?: string; model: string; usd_per_second?: number; usd_per_clip?: number }>;
  /** Extra catalog files (absolute paths) named by the manifest's `catalog:` entry. */
  catalogFiles: string[];
  /** Where `budget.max_usd` was written, for the over-budget diagnostic. */
  budgetSource?: SourcePos;
  /** Every field name a post-step refers to (group_by, order_by, label, select.field), with its position. */
  postFieldRefs?: PostFieldRef[];
}
