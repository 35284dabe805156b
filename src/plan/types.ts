import type { ImageFit, Resolution, SourcePos, Tier } from '../manifest/types.ts';
import type { GenerationRequest } from '../manifest/request.ts';
import type { Diagnostic } from '../errors.ts';

import type { Cost, Size } from '../catalog/types.ts';

export type { Cost, Size } from '../catalog/types.ts';

/**
 * One generation (a GenerationRequest and its take): the unit that is submitted, paid for,
 * downloaded and checkpointed. `model` is the catalog's neutral id; `tier` the model's.
 */
export interface Job extends Omit<GenerationRequest, 'tier'> {
  /** Short hash of the normalized request (provider, model, every generation parameter, take). */
  id: string;
  shotId: string;
  baseId: string;
  take: number; // 1-based
  /** Manifest order of the shot; jobs of a shot keep take order. */
  index: number;
  wireModel: string;
  tier: Tier;
  size: Size;
  /** How the reference image is fitted to `size` when its shape differs (set only with an image; default pad). */
  imageFit?: ImageFit;
  /** Every user-visible field (matrix values, vars, neutral fields) as strings, for group_by/labels. */
  fields: Record<string, string>;
  cost: Cost;
  source: SourcePos;
  /** Clip file name without extension (`output.name`, see clip-name.ts); absent in runs made before it: `<id>`. */
  clipName?: string;
}

export interface CostLine {
  provider: string;
  model: string;
  resolution: Resolution;
  size: string; // "1280x720"
  seconds: number;
  jobs: number;
  unit: Cost;
  subtotal: Cost;
}

export interface Plan {
  name: string;
  jobs: Job[];
  lines: CostLine[];
  totals: { usd: number; credits: number; jobs: number; unpriced: number };
  warnings: string[];
  /** Problems that make the plan unrunnable (exit 2). */
  errors: Diagnostic[];
  /** Set when the total exceeds the manifest's budget.max_usd: a refusal to spend (exit 3), not an input error. */
  overBudget?: { totalUsd: number; maxUsd: number; diagnostic: Diagnostic };
  /** Rough wall-clock estimate (seconds), overall and per provider; see plan/eta.ts. */
  eta?: { seconds: number; byProvider: Record<string, number> };
}
