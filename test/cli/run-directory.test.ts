/** Where a run lives, and that a run which does not start writes nothing there (issue 9 §6, §7). */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

describe('the run directory is a function of the manifest, not of the current directory', () => {
  let root: string;
  let manifest: string;
  let runDir: string;
  beforeAll(async () => {
    root = await tempDir('shotlist-rundir-');
    const w = join(root, 'w');
    await mkdir(w);
    manifest = await writeOpenaiManifest(w, 2);
    runDir = join(w, 'runs', 'resume-test');
    const first = await runInProcess(['run', 'w/manifest.yaml', '--emulate', '--yes'], { cwd: root });
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain(`run directory: ${runDir} (new)`);
  }, 120_000);

  it('plan from the manifest folder and from its parent name the same directory and the same kept jobs', async () => {
    const here = await runInProcess(['plan', 'manifest.yaml'], { cwd: join(root, 'w') });
    const parent = await runInProcess(['plan', 'w/manifest.yaml'], { cwd: root });
    const elsewhere = await runInProcess(['plan', manifest], { cwd: '/' });
    for (const r of [here, parent, elsewhere]) {
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`run directory: ${runDir} (existing run`);
      expect(r.out).toMatch(/2 kept/);
    }
  });

  it('the approval prompt names the run directory', async () => {
    let asked = '';
    const { runMain } = await import('../../src/cli/main.ts');
    const { cleanEnv } = await import('../helpers/cli.ts');
    const code = await runMain(
      ['run', join(root, 'w', 'manifest.yaml'), '--emulate', '--out', join(root, 'other')],
      {
        out: () => {},
        err: () => {},
        isTTY: true,
        env: cleanEnv(),
        cwd: '/',
        confirm: async (q: string) => ((asked = q), false),
      },
      new AbortController().signal,
    );
    expect(code).toBe(3);
    expect(asked).toContain(`run directory ${join(root, 'other')}`);
  });

  it('--out still chooses the directory, relative to the current one', async () => {
    const r = await runInProcess(['plan', 'w/manifest.yaml', '--out', 'elsewhere'], { cwd: root });
    expect(r.out).toContain(`run directory: ${join(root, 'elsewhere')} (new)`);
  });
});

describe('a run that does not start changes no file of an existing run directory', () => {
  let dir: string;
  let out: string;
  let manifest: string;
  const snapshot = async () => {
    const files = ['manifest.yaml', 'run.json', 'checkpoint.json'];
    return Promise.all(
      files.map(async (f) => ({ f, text: await readFile(join(out, f), 'utf8'), mtime: (await stat(join(out, f))).mtimeMs })),
    );
  };
  beforeAll(async () => {
    dir = await tempDir('shotlist-refused-');
    manifest = await writeOpenaiManifest(dir, 1);
    out = join(dir, 'run');
    const first = await runInProcess(['run', manifest, '--emulate', '--yes', '--out', out]);
    expect(first.code, first.err).toBe(0);
    // An edited manifest: another base URL and one more shot.
    const text = await readFile(manifest, 'utf8');
    await writeFile(manifest, `${text}  - id: extra\n    prompt: "one more"\nproviders: { openai: { base_url: "http://127.0.0.1:9" } }\n`);
  }, 120_000);
  afterAll(() => undefined);

  it('busy (another live process holds the lock): refused, manifest.yaml and run.json untouched', async () => {
    const before = await snapshot();
    await writeFile(join(out, 'run.lock'), JSON.stringify({ pid: process.ppid, startedAt: Date.now() }));
    const res = await runInProcess(['run', manifest, '--emulate', '--yes', '--out', out]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/in use by process/);
    expect(await snapshot()).toEqual(before);
  });

  it('not approved (no TTY, no --yes): exit 3, nothing rewritten', async () => {
    const before = await snapshot();
    const res = await runInProcess(['run', manifest, '--emulate', '--out', out]);
    expect(res.code).toBe(3);
    expect(await snapshot()).toEqual(before);
  });
});
