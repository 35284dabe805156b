import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { createProgress, renderStatus, summarizeRunState } from '../../src/cli/progress.ts';
import type { RunEvent } from '../../src/run/events.ts';
import type { JobState } from '../../src/run/types.ts';
import { openEventLog } from '../../src/run/index.ts';
import { makeJobs, tmpRunDir } from './helpers.ts';

const started = (at: number): RunEvent => ({ kind: 'run.started', at, jobs: 4, approvedUsd: 2, resumed: false, counts: { planned: 4 } });
const state = (at: number, job: string, from: JobState, to: JobState): RunEvent => ({ kind: 'job.state', at, job, from, to });

describe('progress rendering', () => {
  it('TTY: redraws in place at most 10×/s with counts, spend and ETA', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const p = createProgress({ tty: true, write: (s) => out.push(s), clock });
    const t = clock.now();
    p.sink(started(t));
    for (let i = 0; i < 50; i++) p.sink({ kind: 'job.progress', at: t, job: 'a', progress: i });
    expect(out).toHaveLength(1); // the burst coalesced into one frame
    p.sink(state(t, 'a', 'planned', 'submitting'));
    await clock.advance(100);
    expect(out).toHaveLength(2);
    // oxlint-disable-next-line no-control-regex
    expect(out[1]).toMatch(/^\x1b\[\d+A\x1b\[J/); // moved up over the previous frame
    await clock.advance(60_000);
    p.sink(state(clock.now(), 'a', 'submitting', 'downloaded'));
    p.sink({ kind: 'budget', at: clock.now(), reservedUsd: 0.5, spentUsd: 0.5, approvedUsd: 2 });
    await clock.advance(100);
    const last = out.at(-1)!;
    expect(last).toContain('1/4 jobs finished');
    expect(last).toContain('spent $0.50 + reserved $0.50 of $2.00 approved');
    expect(last).toMatch(/ETA \d/);
    p.close();
  });

  it('no TTY: one summary line about every 10 s', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const p = createProgress({ tty: false, write: (s) => out.push(s), clock });
    p.sink(started(clock.now()));
    expect(out).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      p.sink({ kind: 'job.progress', at: clock.now(), job: 'a', progress: i });
      await clock.advance(250);
    }
    // 25 s of busy events → 2 periodic lines
    expect(out.length).toBe(3);
    expect(out.every((l) => l.startsWith('shotlist: ') && l.endsWith('\n') && !l.includes('\x1b'))).toBe(true);
    p.sink({ kind: 'run.finished', at: clock.now(), counts: { downloaded: 4 }, spentUsd: 2 });
    expect(out.at(-1)).toContain('4/4 finished');
    p.close();
  });

  it('status summary from checkpoint state', () => {
    const jobs = makeJobs(3);
    const s = summarizeRunState({
      jobs,
      approvedUsd: 1.5,
      spentUsd: 0.5,
      records: {
        [jobs[0]!.id]: { id: jobs[0]!.id, state: 'downloaded', attempts: 1, reservedUsd: 0, spentUsd: 0.5, timings: {} },
        [jobs[1]!.id]: {
          id: jobs[1]!.id,
          state: 'failed',
          attempts: 1,
          reservedUsd: 0,
          spentUsd: 0,
          timings: {},
          error: { code: 'content_policy', message: 'blocked' },
        },
        [jobs[2]!.id]: { id: jobs[2]!.id, state: 'running', attempts: 1, reservedUsd: 0.5, spentUsd: 0, timings: {} },
      },
    });
    expect(s.counts).toEqual({ downloaded: 1, failed: 1, running: 1 });
    const text = renderStatus(s);
    expect(text).toContain('2/3 jobs finished');
    expect(text).toContain('spent $0.50 (+ $0.50 reserved) of $1.50 approved');
    expect(text).toContain('content_policy: blocked');
  });

  it('event log appends one JSON object per line', async () => {
    const dir = await tmpRunDir();
    const log = await openEventLog(join(dir, 'events.ndjson'));
    log.sink(started(1));
    log.sink({ kind: 'warning', at: 2, message: 'hello' });
    await log.close();
    const lines = (await readFile(join(dir, 'events.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(['run.started', 'warning']);
  });
});
