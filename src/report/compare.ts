/** Which clips the report puts side by side: each grid output's group, else shots with several clips. */
import type { Results } from './results.ts';

export interface Comparison {
  /** Stable key, exported with the pick. */
  key: string;
  title: string;
  /** Job ids in display order. */
  jobs: string[];
  /** The grid video for the group, when one was made. */
  grid?: string;
  note?: string;
}

export function comparisonGroups(results: Results): Comparison[] {
  const grids = results.post.filter((o) => o.step === 'grid' && o.kind !== 'failed' && o.inputs.length > 0);
  if (grids.length > 0) {
    return grids.map((o) => ({
      key: o.group ?? o.output,
      title: o.group ?? o.output,
      jobs: o.inputs,
      grid: o.output,
      ...(o.message ? { note: o.message } : {}),
    }));
  }
  // No grids: compare the clips of each user shot (matrix variants and takes) that has several.
  const byShot = new Map<string, string[]>();
  for (const j of results.jobs) {
    if (!j.clip) continue;
    const list = byShot.get(j.baseId);
    if (list) list.push(j.id);
    else byShot.set(j.baseId, [j.id]);
  }
  return [...byShot].filter(([, ids]) => ids.length >= 2).map(([shot, ids]) => ({ key: shot, title: shot, jobs: ids }));
}
