/** `shotlist status <run-dir> [--json]`: works during a run (reads without taking the lock) and after. */
import { UsageError } from '../errors.ts';
import { readRunState } from '../run/index.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';
import { recoveryText, renderStatus, summarizeRunState } from './progress.ts';

export async function statusCommand(dir: string, flags: { json?: boolean }, io: CliIO): Promise<number> {
  const state = await readRunState(requireRunDir(io.cwd, dir));
  if (!state) throw new UsageError(`${dir} has no checkpoint`);
  const summary = summarizeRunState(state);
  if (state.recovered || state.damagedEntries > 0) {
    io.err(`note: ${recoveryText({ from: state.recovered?.from, reason: state.recovered?.reason, damagedEntries: state.damagedEntries })}`);
  }
  if (flags.json) {
    io.out(JSON.stringify({ counts: summary.counts, spent_usd: summary.spentUsd, approved_usd: summary.approvedUsd }));
  } else {
    io.out(renderStatus(summary));
  }
  return 0;
}
