/**
 * `--only`: run part of a plan. Selectors (comma-separated, repeatable; a job is kept when it matches
 * any): a shot id or job id, `provider=NAME`, `model=ID`, `rows=A..B` (the A-th to B-th shot in
 * manifest order, 1-based — a CSV's data rows). Pure; a selector that matches nothing is an error,
 * so a typo never silently runs an empty (or the wrong) subset.
 */
import { UsageError } from '../errors.ts';
import type { Job } from '../plan/types.ts';

type Selector = { kind: 'id'; value: string } | { kind: 'provider' | 'model'; value: string } | { kind: 'rows'; from: number; to: number };

function parseOne(text: string): Selector {
  const kv = /^(provider|model|rows)\s*[=:]\s*(.+)$/.exec(text);
  if (!kv) return { kind: 'id', value: text };
  const key = kv[1];
  const value = kv[2] ?? '';
  if (key === 'provider' || key === 'model') return { kind: key, value };
  const m = /^(\d+)\s*(?:\.\.|-)\s*(\d+)$/.exec(value) ?? /^(\d+)$/.exec(value);
  const from = Number(m?.[1]);
  const to = Number(m?.[2] ?? m?.[1]);
  if (!m || from < 1 || to < from) throw new UsageError(`--only ${text}: expected rows=A..B with 1 ≤ A ≤ B`);
  return { kind: 'rows', from, to };
}

export function parseOnly(values: readonly string[]): Selector[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map(parseOne);
}

export function selectJobs(jobs: readonly Job[], values: readonly string[]): Job[] {
  const selectors = parseOnly(values);
  if (selectors.length === 0) throw new UsageError('--only: give at least one shot id, provider=…, model=… or rows=A..B');
  const rowOf = new Map<string, number>();
  for (const j of jobs) if (!rowOf.has(j.shotId)) rowOf.set(j.shotId, rowOf.size + 1);
  const matches = (s: Selector, j: Job): boolean => {
    switch (s.kind) {
      case 'id':
        return j.shotId === s.value || j.id === s.value || j.baseId === s.value;
      case 'provider':
        return j.provider === s.value;
      case 'model':
        return j.model === s.value || j.wireModel === s.value;
      case 'rows': {
        const row = rowOf.get(j.shotId) ?? 0;
        return row >= s.from && row <= s.to;
      }
    }
  };
  for (const s of selectors) {
    if (!jobs.some((j) => matches(s, j))) {
      const what = s.kind === 'rows' ? `rows=${s.from}..${s.to}` : s.kind === 'id' ? s.value : `${s.kind}=${s.value}`;
      throw new UsageError(`--only ${what} matches no job in this plan`);
    }
  }
  return jobs.filter((j) => selectors.some((s) => matches(s, j)));
}
