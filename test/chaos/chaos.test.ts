/**
 * The short, seeded chaos run (the long one is `npm run chaos`): faults on, SIGKILL right after
 * approval, mid-submit, during downloads and during post-steps, damaged run files, and (as root) a
 * disk-full round. Invariants are checked against the emulator's record.
 *
 * fal is left to the long run: a fal create killed before it left stays `submitting`, and every later
 * run spends its full reconcile backoff (~25 s of real time in a spawned CLI) asking fal's history for
 * it — that alone made this test take 107 s. The other five providers cover every reconcile outcome
 * (found, absent, unknown).
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runChaos } from './harness.ts';

describe('chaos: kills, damaged files and a full disk', () => {
  it('never pays twice, never strands a paid clip, spends what the emulator bills', { timeout: 120_000 }, async () => {
    const report = await runChaos({
      seed: 7,
      providers: ['openai', 'apidot', 'sorapi', 'apixo', 'replicate'],
      kills: 5,
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
