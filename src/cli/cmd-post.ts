/** `shotlist post <run-dir>`: re-run post-steps (up-to-date outputs are skipped) and rewrite the report. */
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { loadManifest } from '../manifest/index.ts';
import { openEventLog } from '../run/index.ts';
import { systemClock } from '../clock.ts';
import { fanOut } from './events.ts';
import { createPostView } from './post-view.ts';
import { openReport } from './open.ts';
import { postAndReport } from './finish.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';
import { readRunMeta } from './run-meta.ts';
import type { RunEvent } from '../run/events.ts';

function renderPostEvent(e: RunEvent): string | undefined {
  switch (e.kind) {
    case 'post.finished':
      return `${e.skipped ? 'up to date' : 'made'}: ${e.output}`;
    case 'post.failed':
      return `failed: ${e.output}: ${e.message}`;
    default:
      return undefined;
  }
}

export async function postCommand(dir: string, io: CliIO, signal: AbortSignal, flags: { open?: boolean } = {}): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const meta = await readRunMeta(runDir);
  if (!meta) throw new UsageError(`${runDir} is not a shotlist run directory (no run.json)`);
  // Post-steps come from the manifest as it is now, so editing `post:` and re-running works.
  let steps = meta.post;
  try {
    steps = (await loadManifest(meta.manifestFile)).post;
  } catch {
    io.err(`note: could not re-read ${meta.manifestFile}; using the post-steps recorded at run time`);
  }
  const log = await openEventLog(join(runDir, 'events.ndjson'));
  try {
    // On a TTY the redrawn step line says where post stands; elsewhere each output gets its line too.
    const view = createPostView({ tty: io.isTTY, write: (s) => io.err(s), clock: systemClock });
    const show = (e: RunEvent) => {
      const line = io.isTTY && e.kind !== 'post.failed' ? undefined : renderPostEvent(e);
      if (line) io.err(line);
    };
    const { post } = await postAndReport(runDir, steps, fanOut(log.sink, show, view.sink), signal, meta.name).finally(() => view.close());
    const report = join(runDir, 'report.html');
    io.out(`post-steps: ${post.length} output(s); report: ${report}`);
    if (flags.open) await openReport(report, io.open, (l) => io.err(l));
    return post.some((p) => p.kind === 'failed') ? 1 : 0;
  } finally {
    await log.close();
  }
}
