/**
 * Rough wall-clock estimate of a run: providers work in parallel; within one provider the run is
 * bounded by its submit rate and by max_in_flight × typical render time. For planning only.
 */
import type { Catalog, ProviderLimits } from '../catalog/types.ts';
import type { ProviderSettings } from '../manifest/types.ts';
import type { Job } from './types.ts';

export interface Eta {
  seconds: number;
  byProvider: Record<string, number>;
}

/**
 * `observedRenderS`: render seconds actually seen per provider (a run in progress, or the emulator's
 * own speed under --emulate); they replace the catalog's typical times as soon as they exist.
 */
export function estimateEta(
  jobs: readonly Job[],
  catalog: Catalog,
  settings: Record<string, ProviderSettings> = {},
  observedRenderS: Readonly<Record<string, number>> = {},
): Eta {
  const per = new Map<string, { n: number; renderSum: number }>();
  for (const j of jobs) {
    const e = catalog.resolve(j.provider, j.model);
    const p = per.get(j.provider) ?? { n: 0, renderSum: 0 };
    p.n++;
    p.renderSum += observedRenderS[j.provider] ?? e?.render_seconds ?? 120;
    per.set(j.provider, p);
  }
  const byProvider: Record<string, number> = {};
  let seconds = 0;
  for (const [name, { n, renderSum }] of per) {
    const base = catalog.provider(name)?.limits;
    if (!base) continue;
    const l: ProviderLimits = { ...base, ...settings[name]?.limits };
    const render = renderSum / n;
    const submitBound = (Math.max(0, n - l.submit_burst) / l.submit_per_min) * 60 + render;
    const concurrencyBound = Math.ceil(n / l.max_in_flight) * render;
    const t = Math.round(Math.max(submitBound, concurrencyBound));
    byProvider[name] = t;
    seconds = Math.max(seconds, t);
  }
  return { seconds, byProvider };
}

export function formatDuration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
