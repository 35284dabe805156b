/** The usage-error table for the operator's commands added in issue 11 (init, runs, report, --notify, --open): one line, documented code, no trace. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir } from '../helpers/manifests.ts';

interface Case {
  args: (d: { dir: string; file: string; runDir: string }) => string[];
  says: RegExp;
}

const cases: Case[] = [
  { args: () => ['init'], says: /required option '--use/ },
  { args: () => ['init', '--use', 'party'], says: /Allowed choices are campaign, bakeoff, overnight/ },
  { args: (d) => ['init', d.file, '--use', 'campaign'], says: /is a file, not a directory/ },
  { args: (d) => ['runs', d.file], says: /is a file, not a directory/ },
  { args: (d) => ['runs', join(d.dir, 'nope')], says: /no such directory/ },
  { args: (d) => ['runs', d.runDir], says: /is a run directory.*shotlist status/ },
  { args: () => ['report'], says: /missing required argument/ },
  { args: (d) => ['report', d.file], says: /is a file, not a run directory/ },
  { args: (d) => ['report', d.runDir, '--open'], says: /has no report\.html yet.*shotlist post/ },
  { args: (d) => ['resume', d.runDir, '--notify'], says: /option '--notify <command\|url>' argument missing/ },
  { args: (d) => ['post', d.file, '--open'], says: /is a file, not a run directory/ },
];

describe('usage errors of init, runs, report, --notify, --open', () => {
  let d: { dir: string; file: string; runDir: string };
  beforeAll(async () => {
    const dir = await tempDir();
    const runDir = join(dir, 'runs', 'r');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'run.json'), '{}');
    await writeFile(join(dir, 'f.txt'), 'x');
    d = { dir, file: join(dir, 'f.txt'), runDir };
  });

  it.each(cases.map((c) => [c.args({ dir: '<dir>', file: '<file>', runDir: '<run>' }).join(' '), c] as const))('%s', async (_, c) => {
    const res = await runInProcess(c.args(d), { cwd: d.dir });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(c.says);
    expect(res.err).not.toMatch(/internal error|\n\s+at /);
  });
});
