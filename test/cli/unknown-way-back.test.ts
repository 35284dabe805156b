/** The way back for `unknown` jobs (issue 9 §4): held amounts shown, re-approval covers the resubmit, exact command printed. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, readRunState } from '../../src/run/index.ts';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

describe('unknown jobs', () => {
  it('the plan shows what they hold, and --resubmit-unknown raises the approval to cover them', { timeout: 120_000 }, async () => {
    const dir = await tempDir('shotlist-unknown-');
    const manifest = await writeOpenaiManifest(dir, 2);
    const out = join(dir, 'run');
    const first = await runInProcess(['run', manifest, '--emulate', '--yes', '--out', out]);
    expect(first.code, first.err).toBe(0);
    const state = (await readRunState(out))!;
    const job = state.jobs[0]!;
    // As after an unreconcilable ambiguous create.
    const { store } = await CheckpointStore.open(out, { jobs: state.jobs, approvedUsd: state.approvedUsd });
    await store.put({ ...state.records[job.id]!, state: 'unknown', clip: undefined, reservedUsd: job.cost.usd!, spentUsd: 0 });
    await store.close();

    const again = await runInProcess(['run', manifest, '--emulate', '--yes', '--resubmit-unknown', '--out', out]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(
      `1 unknown job(s) hold $${job.cost.usd!.toFixed(2)} (a create may exist at the provider); --resubmit-unknown adds up to $${job.cost.usd!.toFixed(2)}`,
    );
    const after = (await readRunState(out))!;
    expect(after.approvedUsd).toBeCloseTo(state.approvedUsd + job.cost.usd!, 6);
    expect(after.records[job.id]!.state).toBe('downloaded');
  });
});
