/**
 * The short, seeded chaos run (the long one is `npm run chaos`): every provider, faults on, SIGKILL
 * right after approval, mid-submit, during downloads, during post-steps and at random, damaged run
 * files, and (as root) a disk-full round. Invariants are checked against the emulator's record.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runChaos } from './harness.ts';

describe('chaos: kills, damaged files and a full disk on all six providers', () => {
  it('never pays twice, never strands a paid clip, spends what the emulator bills', { timeout: 120_000 }, async () => {
    const report = await runChaos({
      seed: 7,
      kills: 6,
      jobsPerProvider: 2,
      damageEvery: 2,
      diskFullRounds: 1,
      faults: true,
      renderMs: 300,
    });
    if (process.env.SHOTLIST_TEST_VERBOSE) console.log(formatReport(report).join('\n'));
    expect(report.violations).toEqual([]);
    expect(report.kills).toBeGreaterThanOrEqual(4);
    expect(report.finalExitCode === 0 || report.finalExitCode === 1).toBe(true);
    for (const fig of Object.values(report.perProvider)) expect(fig.duplicates).toBe(0);
  });
});
