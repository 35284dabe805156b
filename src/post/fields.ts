/**
 * Plan-time check of the field names post-steps group, order, select and label by: a typo such as
 * `group_by: aspct` would otherwise put every clip in one group after the money is spent. Pure.
 */
import type { Diagnostic } from '../errors.ts';
import type { PostFieldRef } from '../manifest/types.ts';
import { didYouMean } from '../manifest/suggest.ts';
import type { Job } from '../plan/types.ts';
import { JOB_PROPERTY_NAMES } from './select.ts';

export function checkPostFields(refs: readonly PostFieldRef[], jobs: readonly Job[]): Diagnostic[] {
  if (refs.length === 0) return [];
  const known = new Set(JOB_PROPERTY_NAMES);
  for (const job of jobs) for (const name of Object.keys(job.fields)) known.add(name);
  const diagnostics: Diagnostic[] = [];
  for (const ref of refs) {
    if (known.has(ref.name)) continue;
    diagnostics.push({
      ...ref.source,
      message: `${ref.where}: unknown field "${ref.name}"${didYouMean(ref.name, known)} (fields: ${[...known].filter((n) => !/_/.test(n)).join(', ')})`,
    });
  }
  return diagnostics;
}
