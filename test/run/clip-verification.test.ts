/** A clip is `downloaded` only if whole, on download and on adoption at resume (issue 9 §2; issue 14 resume cost). */
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { adoptFinishedClip, downloadClip, verifyExistingClip } from '../../src/run/download.ts';
import { checkMp4Whole } from '../../src/media/mp4whole.ts';
import { bindingFor, FakeProvider, makeJob, tinyClip, tmpRunDir } from './helpers.ts';

const job = makeJob(1);

/** A server that answers with exactly these bytes and an honest Content-Length for them. */
const serve = (bytes: Buffer) =>
  (async () => new Response(new Uint8Array(bytes), { headers: { 'content-length': String(bytes.length) } })) as unknown as typeof fetch;

describe('adoption of a clip found in clips/ at resume', () => {
  it('never adopts a 4,096-byte fragment (removed, to be downloaded again)', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    await mkdir(join(dir, 'clips'));
    await writeFile(join(dir, 'clips', `${job.id}.mp4`), clip.subarray(0, 4096));
    expect(await adoptFinishedClip(dir, job)).toBeUndefined();
    expect(await readdir(join(dir, 'clips'))).toEqual([]);
  });

  it('adopts the whole clip, with its size, hash and stamp', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    await mkdir(join(dir, 'clips'));
    await writeFile(join(dir, 'clips', `${job.id}.mp4`), clip);
    const got = await adoptFinishedClip(dir, job);
    expect(got).toMatchObject({ bytes: clip.length, width: 160, height: 90 });
    expect(got!.stamp?.ino).toBe((await stat(join(dir, 'clips', `${job.id}.mp4`))).ino);
  });
});

describe('download', () => {
  it('refuses a clip whose length matches Content-Length but whose mdat does not fit (cut short at the source)', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    const p = new FakeProvider(systemClock);
    const b = bindingFor(p, serve(clip.subarray(0, clip.length - 1000)));
    const out = await downloadClip({ runDir: dir, job, task: { id: 't' }, outputs: [], provider: p, env: b.env });
    expect(out.kind).toBe('invalid');
    expect(out.kind === 'invalid' && out.message).toMatch(/incomplete clip: box '\w+' needs \d+ bytes/);
    expect(await readdir(join(dir, 'clips'))).toEqual([]); // nothing renamed into place, no .part left
  });

  it('accepts the whole clip without an ffprobe process (headers read in-process) and records its stamp', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    const p = new FakeProvider(systemClock);
    const b = bindingFor(p, serve(clip));
    const prev = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = '/nonexistent/ffprobe'; // would fail if it were spawned
    try {
      const out = await downloadClip({ runDir: dir, job, task: { id: 't' }, outputs: [], provider: p, env: b.env });
      expect(out.kind).toBe('ok');
      expect(out.kind === 'ok' && out.clip.stamp).toBeDefined();
      // …and its probe, so post-steps and the report never read the clip again (probe once).
      expect(out.kind === 'ok' && out.clip.probe).toMatchObject({ video: { width: job.size.width, height: job.size.height } });
    } finally {
      if (prev === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = prev;
    }
  });
});

describe('checkMp4Whole', () => {
  it('tells a whole file from fragments of it', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    const f = join(dir, 'c.mp4');
    await writeFile(f, clip);
    expect(await checkMp4Whole(f)).toEqual({ ok: true });
    for (const n of [4096, clip.length - 1, 20]) {
      await writeFile(f, clip.subarray(0, n));
      expect((await checkMp4Whole(f)).ok, `${n} bytes`).toBe(false);
    }
  });
});

describe('re-verifying downloaded clips on resume', () => {
  it('trusts an unchanged size + mtime + inode without re-hashing; --verify (full) re-hashes and catches a same-size change', async () => {
    const clip = await tinyClip();
    const dir = await tmpRunDir();
    const p = new FakeProvider(systemClock);
    const out = await downloadClip({ runDir: dir, job, task: { id: 't' }, outputs: [], provider: p, env: bindingFor(p, serve(clip)).env });
    if (out.kind !== 'ok') throw new Error(out.kind);
    const file = join(dir, out.clip.path);
    expect(await verifyExistingClip(dir, out.clip)).toBe(true);
    // Same size and inode, and a stamp that matches (as if the mtime had been put back): only a full hash can tell.
    const altered = Buffer.from(await readFile(file));
    altered[altered.length - 10] = altered[altered.length - 10]! ^ 0xff;
    await writeFile(file, altered);
    const st = await stat(file);
    expect(st.ino).toBe(out.clip.stamp!.ino);
    const asRecorded = { ...out.clip, stamp: { mtimeMs: st.mtimeMs, ino: st.ino } };
    expect(await verifyExistingClip(dir, asRecorded)).toBe(true);
    expect(await verifyExistingClip(dir, asRecorded, { full: true })).toBe(false);
    // A changed mtime sends it to the hash, which catches the change.
    await utimes(file, st.atime, new Date(st.mtimeMs + 5000));
    expect(await verifyExistingClip(dir, asRecorded)).toBe(false);
  });
});
