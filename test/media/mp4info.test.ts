import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { copyFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probe, runFfmpeg } from '../../src/media/ffmpeg.ts';
import { probeMp4 } from '../../src/media/mp4info.ts';
import { makeClip, tempRunDir, removeTempDirs } from './helpers.ts';

afterAll(removeTempDirs);

describe('probeMp4 (in-process header reader) agrees with ffprobe', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempRunDir();
  });

  const cases: Array<[string, (f: string) => Promise<unknown>]> = [
    ['h264 + mono aac 44.1k', (f) => makeClip(f, {})],
    ['portrait, no audio, 30 fps', (f) => makeClip(f, { width: 90, height: 160, audio: false, fps: 30 })],
    [
      'stereo 48k, faststart, 25 fps',
      (f) =>
        runFfmpeg([
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=192x108:rate=25:duration=1',
          '-f',
          'lavfi',
          '-i',
          'sine=sample_rate=48000:duration=1',
          '-ac',
          '2',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          'aac',
          '-shortest',
          '-movflags',
          '+faststart',
          f,
        ]),
    ],
    [
      'h264 yuv444p',
      (f) =>
        runFfmpeg([
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x90:rate=24:duration=1',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv444p',
          f,
        ]),
    ],
    [
      'h264 full range (yuvj420p)',
      (f) =>
        runFfmpeg([
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x90:rate=24:duration=1',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuvj420p',
          f,
        ]),
    ],
    [
      'h264 high 10 (yuv420p10le) is not in this build: yuv422p instead',
      (f) =>
        runFfmpeg([
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x90:rate=24:duration=1',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv422p',
          f,
        ]),
    ],
    [
      'concat -c copy output (edit lists from several files)',
      async (f) => {
        const a = `${f}.a.mp4`;
        await makeClip(a, { seconds: 1.5 });
        await writeFile(`${f}.txt`, `file '${a}'\nfile '${a}'\n`);
        await runFfmpeg(['-f', 'concat', '-safe', '0', '-i', `${f}.txt`, '-c', 'copy', f]);
      },
    ],
  ];

  for (const [name, make] of cases) {
    it(name, async () => {
      const f = join(dir, `${name.replace(/\W+/g, '-')}.mp4`);
      await make(f);
      const [mine, theirs] = await Promise.all([probeMp4(f), probe(f)]);
      expect(mine).not.toBeNull();
      expect(mine!.durationS).toBeCloseTo(theirs.durationS, 2);
      expect(mine!.video).toEqual(theirs.video);
      expect(mine!.audio).toEqual(theirs.audio);
    });
  }

  it('leaves HEVC to ffprobe (returns null)', async () => {
    const f = join(dir, 'hevc.mp4');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x96:rate=24:duration=0.5',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-tag:v',
      'hvc1',
      '-x265-params',
      'log-level=error',
      f,
    ]);
    expect(await probeMp4(f)).toBeNull();
    expect((await probe(f)).video?.codec).toBe('hevc');
  });

  it('returns null for truncated, garbage and non-MP4 files', async () => {
    const good = join(dir, 'good.mp4');
    await makeClip(good, {});
    const cut = join(dir, 'cut.mp4');
    await copyFile(good, cut);
    await truncate(cut, 2000);
    expect(await probeMp4(cut)).toBeNull();
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(5000, 7));
    expect(await probeMp4(junk)).toBeNull();
    const mkv = join(dir, 'clip.mkv');
    await runFfmpeg(['-i', good, '-c', 'copy', mkv]);
    expect(await probeMp4(mkv)).toBeNull();
  });
});
