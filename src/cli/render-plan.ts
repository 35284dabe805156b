/** Pure string builders for `shotlist plan` and `shotlist catalog`. No printing here. */
import type { Catalog } from '../catalog/types.ts';
import { describePrice } from '../catalog/price.ts';
import type { Cost, Plan } from '../plan/types.ts';
import type { PlanDiff } from '../plan/diff.ts';
import { formatDiagnostic } from '../errors.ts';
import { formatDuration } from '../plan/eta.ts';

function usd(n: number | null): string {
  if (n === null) return 'unpriced';
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 0.1 ? 3 : 2)}`;
}

function costText(c: Cost): string {
  if (c.usd === null && c.credits === null) return 'unpriced';
  const parts: string[] = [];
  parts.push(usd(c.usd));
  if (c.credits !== null) parts.push(`${fmtNum(c.credits)} cr`);
  return parts.join(' / ');
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(n);
}

/** Left-aligned text columns, right-aligned numbers (columns listed in `right`). */
export function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(header),
    widths
      .map((w) => '-'.repeat(w))
      .join('  ')
      .trimEnd(),
    ...rows.map(line),
  ].join('\n');
}

export function renderPlan(plan: Plan, diff?: PlanDiff): string {
  const out: string[] = [];
  out.push(`Plan "${plan.name}": ${plan.totals.jobs} job${plan.totals.jobs === 1 ? '' : 's'}`);
  out.push('');
  const rows = plan.lines.map((l) => [
    l.provider,
    l.model,
    l.size,
    `${l.seconds}s`,
    String(l.jobs),
    costText(l.unit),
    costText(l.subtotal),
  ]);
  out.push(table(['provider', 'model', 'size', 'secs', 'jobs', 'unit', 'subtotal'], rows, new Set([3, 4, 5, 6])));
  out.push('');
  const credits = plan.totals.credits ? ` (${fmtNum(plan.totals.credits)} credits)` : '';
  out.push(`Total: ${usd(plan.totals.usd)}${credits} for ${plan.totals.jobs} jobs`);
  if (plan.eta && plan.jobs.length) {
    const parts = Object.entries(plan.eta.byProvider).map(([p, t]) => `${p} ${formatDuration(t)}`);
    out.push(`Estimated time: ~${formatDuration(plan.eta.seconds)}${parts.length > 1 ? ` (${parts.join(', ')})` : ''}`);
  }
  if (plan.totals.unpriced)
    out.push(`Unpriced: ${plan.totals.unpriced} job${plan.totals.unpriced === 1 ? '' : 's'} not included in the total`);
  if (diff) {
    out.push('');
    out.push(`Changes since the last run: ${diff.kept.length} kept, ${diff.added.length} added, ${diff.dropped.length} dropped`);
    out.push(`Added cost: ${usd(diff.addedUsd)}`);
    if (diff.added.length)
      out.push(...diff.added.slice(0, 20).map((j) => `  + ${j.id}  ${j.shotId}${j.take > 1 ? ` (take ${j.take})` : ''}`));
    if (diff.added.length > 20) out.push(`  … and ${diff.added.length - 20} more`);
    if (diff.dropped.length) out.push(...diff.dropped.slice(0, 20).map((id) => `  - ${id}`));
    if (diff.dropped.length > 20) out.push(`  … and ${diff.dropped.length - 20} more`);
  }
  if (plan.warnings.length) {
    out.push('');
    out.push('Warnings:');
    for (const w of plan.warnings) out.push(`  ! ${w}`);
  }
  if (plan.errors.length) {
    out.push('');
    out.push(`Errors (${plan.errors.length}):`);
    for (const e of plan.errors.slice(0, 50)) out.push(`  ${formatDiagnostic(e)}`);
    if (plan.errors.length > 50) out.push(`  … and ${plan.errors.length - 50} more`);
  }
  return out.join('\n') + '\n';
}

export function renderCatalog(catalog: Catalog): string {
  const out: string[] = [];
  for (const p of catalog.providers) {
    const l = p.limits;
    out.push(`${p.provider}  (as of ${p.as_of}; ${p.source})`);
    out.push(
      `  limits: ${l.submit_per_min} submits/min (burst ${l.submit_burst}), ${l.polls_per_min} polls/min, ` +
        `${l.max_in_flight} in flight, ${l.downloads} downloads` +
        (p.usd_per_credit ? `; 1 credit = $${p.usd_per_credit}` : ''),
    );
    const rows = p.models.map((m) => [
      m.id,
      m.wire_id,
      m.tier,
      durationsText(m.durations),
      m.resolutions.join(','),
      m.aspects.join(','),
      m.image,
      describePrice(m.price, p.usd_per_credit),
      m.sunset ? `sunset ${m.sunset}` : '',
    ]);
    out.push(
      table(['model', 'wire id', 'tier', 'durations', 'resolutions', 'aspects', 'image', 'price', ''], rows)
        .split('\n')
        .map((s) => '  ' + s)
        .join('\n'),
    );
    out.push('');
  }
  return out.join('\n');
}

/** "3-15s" for a contiguous run, "4/8/12s" otherwise. */
function durationsText(ds: number[]): string {
  const contiguous = ds.length > 2 && ds.every((d, i) => i === 0 || d === ds[i - 1]! + 1);
  return contiguous ? `${ds[0]}-${ds[ds.length - 1]}s` : `${ds.join('/')}s`;
}

/** `catalog --json`: the providers as loaded (data only). */
export function catalogToJson(catalog: Catalog): string {
  return JSON.stringify({ providers: catalog.providers }, null, 2) + '\n';
}
