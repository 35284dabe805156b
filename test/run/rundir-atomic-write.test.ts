import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirWriteError } from '../../src/errors.ts';
import { removePartials, sealJson, unsealJson, writeFileAtomic, type WriteChunk } from '../../src/run/rundir.ts';
import { tmpRunDir } from './helpers.ts';

const SIZE = 75_893;
const SHORT = 73_728;

/** A file system that takes only SHORT bytes of a write and then reports the disk full. */
const fillsUp: WriteChunk = async (fh, buf, offset, length, position) => {
  if (position >= SHORT) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  const n = Math.min(length, SHORT - position);
  return (await fh.write(buf, offset, n, position)).bytesWritten;
};

/** A file system that claims the whole write but keeps only SHORT bytes (a lying cache). */
const lies: WriteChunk = async (fh, buf, offset, length, position) => {
  const keep = Math.max(0, Math.min(length, SHORT - position));
  if (keep > 0) await fh.write(buf, offset, keep, position);
  return length;
};

describe('writeFileAtomic: a file is replaced only by a complete, verified copy', () => {
  it('keeps the old file when the disk fills up mid-write (73,728 of 75,893 bytes), and says which directory', async () => {
    const dir = await tmpRunDir();
    const file = join(dir, 'checkpoint.json');
    await writeFile(file, 'old good content');
    const err = await writeFileAtomic(file, 'x'.repeat(SIZE), { write: fillsUp }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunDirWriteError);
    expect((err as RunDirWriteError).exitCode).toBe(4);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain('disk is full');
    expect(await readFile(file, 'utf8')).toBe('old good content');
    expect(await readdir(dir)).toEqual(['checkpoint.json']); // no temporary file left behind
  });

  it('keeps the old file when a write claims success but the bytes on disk are short', async () => {
    const dir = await tmpRunDir();
    const file = join(dir, 'checkpoint.json');
    await writeFile(file, 'old good content');
    await expect(writeFileAtomic(file, 'y'.repeat(SIZE), { write: lies })).rejects.toThrow(/verification failed: 73728 of 75893/);
    expect(await readFile(file, 'utf8')).toBe('old good content');
    expect(await readdir(dir)).toEqual(['checkpoint.json']);
  });

  it('replaces the file when the write is whole', async () => {
    const dir = await tmpRunDir();
    const file = join(dir, 'a.json');
    expect(await writeFileAtomic(file, 'z'.repeat(SIZE))).toBe(SIZE);
    expect((await readFile(file, 'utf8')).length).toBe(SIZE);
  });
});

describe('sealed JSON', () => {
  const text = sealJson({ jobs: ['a', 'b'], n: 1 });
  it('is JSON and verifies', () => {
    expect(JSON.parse(text)).toMatchObject({ body: { n: 1 } });
    expect(unsealJson(text)).toEqual({ ok: true, value: { jobs: ['a', 'b'], n: 1 } });
  });
  it('rejects a cut, empty or altered copy', () => {
    expect(unsealJson(text.slice(0, text.length - 5)).ok).toBe(false);
    expect(unsealJson('')).toEqual({ ok: false, reason: 'empty file' });
    expect(unsealJson(text.replace('"a"', '"c"'))).toEqual({ ok: false, reason: 'checksum mismatch' });
  });
});

describe('removePartials', () => {
  it('removes leftovers of interrupted writes and nothing else', async () => {
    const dir = await tmpRunDir();
    await mkdir(join(dir, 'clips'));
    await mkdir(join(dir, 'thumbs'));
    const leftovers = [
      'clips/a.mp4.part',
      'clips/a.json.tmp',
      'thumbs/.a.partial-123.jpg',
      '.checkpoint.json.tmp-77',
      'checkpoint.json.tmp-77',
      'results.json.99.tmp',
    ];
    const kept = ['clips/a.mp4', 'clips/a.json', 'thumbs/a.jpg', 'checkpoint.json', 'checkpoint.journal'];
    for (const f of [...leftovers, ...kept]) await writeFile(join(dir, f), 'x');
    expect((await removePartials(dir)).sort()).toEqual(leftovers.sort());
    expect((await readdir(join(dir, 'clips'))).sort()).toEqual(['a.json', 'a.mp4']);
    expect(await readdir(join(dir, 'thumbs'))).toEqual(['a.jpg']);
  });
});
