/** Output paths stay inside the run directory: `..`, absolute paths, NUL and symlinks leading out are refused. */
import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { produceOutput } from '../../src/post/output.ts';
import { openPostState } from '../../src/post/state.ts';
import type { StepContext } from '../../src/post/types.ts';
import { stitchOutputPath } from '../../src/post/stitch.ts';
import { resolveInside, resolveInsideLexical } from '../../src/safety/paths.ts';

describe('resolveInside', () => {
  it.each([
    ['../../../x', false],
    ['post/../../x.mp4', false],
    ['..', false],
    ['.', false],
    ['', false],
    ['/etc/passwd', false],
    ['post/a\0b.mp4', false],
    ['post/stitch.mp4', true],
    ['post/a/../b.mp4', true],
  ])('%j inside: %s', (rel, ok) => {
    expect(resolveInsideLexical('/runs/r1', rel).ok).toBe(ok);
  });

  it('refuses a path through a symlink that leads out of the run directory', async () => {
    const base = await mkdtemp(join(tmpdir(), 'shotlist-paths-'));
    const runDir = join(base, 'run');
    const outside = join(base, 'outside');
    await mkdir(runDir);
    await mkdir(outside);
    await symlink(outside, join(runDir, 'post'));
    expect((await resolveInside(runDir, 'post/x.mp4')).ok).toBe(false);
    await mkdir(join(runDir, 'thumbs'));
    expect(await resolveInside(runDir, 'thumbs/new/x.jpg')).toEqual({ ok: true, path: join(runDir, 'thumbs/new/x.jpg') });
  });
});

describe('a post-step output named to escape', () => {
  it('stitch {name: "../../../x"} writes nothing outside the run directory and reports a failure', async () => {
    const base = await mkdtemp(join(tmpdir(), 'shotlist-escape-'));
    const runDir = join(base, 'a', 'b', 'run');
    await mkdir(runDir, { recursive: true });
    const output = stitchOutputPath({ kind: 'stitch', name: '../../../x' } as never, undefined);
    const ctx = {
      runDir,
      items: [],
      events: () => {},
      now: () => 0,
      clip: async () => ({ job: '', reason: '' }),
      fontFile: null,
      limit: (f) => f(),
    } as StepContext;
    let built = false;
    const out = await produceOutput(ctx, await openPostState(runDir), {
      step: 'stitch',
      output,
      key: 'k',
      inputs: [],
      build: async (tmp) => {
        built = true;
        await writeFile(tmp, 'x');
        return {};
      },
    });
    expect(out.kind).toBe('failed');
    expect(out.message).toContain('leaves the run directory');
    expect(built).toBe(false);
    expect(await readdir(base)).toEqual(['a']);
    expect(await readdir(join(base, 'a'))).toEqual(['b']);
  });
});
