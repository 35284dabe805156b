/** A run directory that stops taking writes ends the run cleanly (exit 4 at the CLI), resumable afterwards (issue 9 §8). */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { RunDirWriteError } from '../../src/errors.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import type { WriteChunk } from '../../src/run/rundir.ts';
import { bindingFor, clipFetch, FakeProvider, makeJobs, tinyClip, tmpRunDir } from './helpers.ts';

describe('disk full mid-run', () => {
  it('stops with RunDirWriteError naming the directory; the checkpoint stays readable; a later run finishes every job once', async () => {
    const dir = await tmpRunDir();
    const jobs = makeJobs(12);
    const clip = await tinyClip();
    const p = new FakeProvider(systemClock, { name: 'sorapi', idempotentSubmit: true, renderMs: 5 });
    let writes = 0;
    const full = { on: false };
    // The checkpoint's writes start failing after a few state changes.
    const write: WriteChunk = async (fh, buf, off, len, pos) => {
      if (full.on || ++writes > 6) {
        full.on = true;
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
      return (await fh.write(buf, off, len, pos)).bytesWritten;
    };
    const err = await executeRun({
      runDir: dir,
      jobs,
      approvedUsd: 100,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: new AbortController().signal,
      events: () => {},
      checkpoint: { write },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunDirWriteError);
    expect((err as Error).message).toContain(dir);
    const mid = await readRunState(dir);
    expect(mid).toBeDefined();
    // Space freed: resume completes, and no job was created twice (idempotent replays included).
    const out = await executeRun({
      runDir: dir,
      jobs,
      approvedUsd: 100,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: new AbortController().signal,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 12 });
    expect(p.creates()).toBe(12);
  });
});
