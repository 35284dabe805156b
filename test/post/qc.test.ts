/** Clip QC (issue 12): every injected defect is flagged, no clean clip is, in one pass per clip. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQcLog, qcVerdict, DEFAULT_QC } from '../../src/post/qc-parse.ts';
import { readQc } from '../../src/post/qc.ts';
import { runPostSteps } from '../../src/post/runner.ts';
import type { RunEvent } from '../../src/run/events.ts';
import type { ReportItem } from '../../src/report/types.ts';
import { makeItem, removeTempDirs, tempRunDir } from '../media/helpers.ts';

afterAll(removeTempDirs);

describe('QC log parsing (pure)', () => {
  it('sums detector intervals and runs an open interval to the end of the clip', () => {
    const log = [
      '[blackdetect @ 0x1] black_start:0 black_end:0.5 black_duration:0.5',
      '[blackdetect @ 0x1] black_start:1.5 black_end:2 black_duration:0.5',
      '[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 3',
      '[silencedetect @ 0x3] silence_start: 0',
      '[silencedetect @ 0x3] silence_end: 1 | silence_duration: 1',
      '[Parsed_volumedetect_1 @ 0x4] max_volume: -12.5 dB',
      '[h264 @ 0x5] error while decoding MB 3 4, bytestream -5',
    ].join('\n');
    expect(parseQcLog(log, 4)).toEqual({
      blackS: 1,
      frozenS: 1,
      silenceS: 1,
      maxVolumeDb: -12.5,
      decodeErrors: ['[h264 @ 0x5] error while decoding MB 3 4, bytestream -5'],
    });
  });

  it('flags duration and size against the request and passes a clean clip', () => {
    const probe = {
      durationS: 4,
      formatName: 'mp4',
      video: { codec: 'h264', width: 1280, height: 720, fps: 24, pixFmt: 'yuv420p' },
      audio: { codec: 'aac', sampleRate: 48000, channels: 2, layout: 'stereo' },
    };
    const clean = { blackS: 0, frozenS: 0, silenceS: 0, maxVolumeDb: -6, decodeErrors: [] };
    expect(qcVerdict(clean, probe, { seconds: 4, width: 1280, height: 720, audioExpected: true }, DEFAULT_QC)).toEqual({
      ok: true,
      issues: [],
    });
    const bad = qcVerdict(clean, probe, { seconds: 8, width: 720, height: 1280, audioExpected: true }, DEFAULT_QC);
    expect(bad.issues.map((i) => i.kind)).toEqual(['duration', 'size']);
  });
});

describe('the qc post-step on real clips', () => {
  let dir: string;
  let items: ReportItem[];
  const events: RunEvent[] = [];
  beforeAll(async () => {
    dir = await tempRunDir('shotlist-qc-');
    const d = 2;
    items = await Promise.all([
      makeItem(dir, { id: 'clean1', seconds: d, index: 0 }),
      makeItem(dir, { id: 'clean2', seconds: d, index: 1, source: 'testsrc2' }),
      makeItem(dir, { id: 'black', seconds: d, index: 2, video: `color=c=black:size=160x90:rate=24:duration=${d}` }),
      makeItem(dir, {
        id: 'frozen',
        seconds: d,
        index: 3,
        video: `testsrc=size=160x90:rate=24:duration=0.1,trim=end_frame=1,tpad=stop_mode=clone:stop_duration=${d}`,
      }),
      makeItem(dir, { id: 'silent', seconds: d, index: 4, audioSource: 'anullsrc=r=44100:cl=stereo' }),
      makeItem(dir, { id: 'short', seconds: d, index: 5, renderSeconds: 1.4 }),
      makeItem(dir, { id: 'noaudio', seconds: d, index: 6, audio: false }),
      // Another model that never makes audio: no audio is not a defect there (audio: auto).
      makeItem(dir, { id: 'mute-model', seconds: d, index: 7, audio: false, provider: 'fal', model: 'wan-2.7' }),
    ]);
    // The short clip's record says what was downloaded; the request still asked for 2 s.
    await runPostSteps({ runDir: dir, steps: [{ kind: 'qc' }], items, events: (e) => events.push(e), fontFile: null });
  }, 120_000);

  it('flags every defective clip with the right issue and no clean one', async () => {
    const qc = await readQc(dir);
    const kinds = Object.fromEntries([...qc].map(([id, v]) => [id, v.issues.map((i) => i.kind)]));
    expect(kinds).toEqual({
      clean1: [],
      clean2: [],
      black: ['black'],
      frozen: ['frozen'],
      silent: ['silent'],
      short: ['duration'],
      noaudio: ['no_audio'],
      'mute-model': [],
    });
  });

  it('emits one qc.finished event with the flagged job ids', () => {
    const done = events.filter((e) => e.kind === 'qc.finished');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ checked: 8 });
    if (done[0]?.kind !== 'qc.finished') throw new Error('no qc event');
    expect(done[0].flagged.map((f) => f.job).sort()).toEqual(['black', 'frozen', 'noaudio', 'short', 'silent']);
  });

  it('is skipped when nothing changed, and still reports its verdicts', async () => {
    const again: RunEvent[] = [];
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'qc' }], items, events: (e) => again.push(e), fontFile: null });
    expect(out.map((o) => [o.step, o.kind])).toEqual([['qc', 'skipped']]);
    const done = again.find((e) => e.kind === 'qc.finished');
    expect(done && done.kind === 'qc.finished' ? done.flagged.length : -1).toBe(5);
    expect(JSON.parse(await readFile(join(dir, 'post/qc.json'), 'utf8')).thresholds).toMatchObject({ audio: 'auto' });
  });

  it('runs by default and can be switched off', async () => {
    const off = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'qc', enabled: false }],
      items,
      events: () => undefined,
      fontFile: null,
    });
    expect(off).toEqual([]);
  });
});
