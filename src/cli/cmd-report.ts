/** `shotlist report <run-dir> [--open]`: where the run's HTML report is, and opening it. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { CliIO } from './io.ts';
import { openReport } from './open.ts';
import { requireRunDir } from './paths.ts';

export async function reportCommand(dir: string, flags: { open?: boolean }, io: CliIO): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const report = join(runDir, 'report.html');
  const st = await stat(report).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`${dir} has no report.html yet; write it with: shotlist post ${dir}`);
  io.out(report);
  if (flags.open) await openReport(report, io.open, (l) => io.err(l));
  return 0;
}
