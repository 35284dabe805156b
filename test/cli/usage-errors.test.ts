/**
 * Nothing a user can cause prints a stack trace: every command run with wrong arguments (missing,
 * the wrong kind of path, a busy port, unreadable input) ends with a short message, a documented
 * exit code and no "internal error".
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

/** The exit codes README.md documents. */
const DOCUMENTED = new Set([0, 1, 2, 3, 4, 130]);

interface Case {
  name: string;
  args: (d: Dirs) => string[];
  code: number;
  /** What the error line must say. */
  says: RegExp;
}

interface Dirs {
  dir: string;
  file: string;
  manifest: string;
  runDir: string;
  binary: string;
  busyPort: number;
}

const RUN_DIR_CMDS = ['status', 'post', 'resume', 'retry'];
const MANIFEST_CMDS = ['validate', 'plan', 'run'];

const cases: Case[] = [
  ...[...MANIFEST_CMDS, ...RUN_DIR_CMDS].map((c) => ({
    name: `${c} with no argument`,
    args: () => [c],
    code: 2,
    says: /missing required argument/,
  })),
  ...RUN_DIR_CMDS.map((c) => ({
    name: `${c} given a file (ENOTDIR)`,
    args: (d: Dirs) => [c, d.file],
    code: 2,
    says: /is a file, not a run directory/,
  })),
  ...RUN_DIR_CMDS.map((c) => ({
    name: `${c} given a missing directory`,
    args: (d: Dirs) => [c, join(d.dir, 'nope')],
    code: 2,
    says: /no such run directory/,
  })),
  ...MANIFEST_CMDS.map((c) => ({
    name: `${c} given a run directory`,
    args: (d: Dirs) => [c, d.runDir],
    code: 2,
    says: /is a run directory.*shotlist resume/,
  })),
  ...MANIFEST_CMDS.map((c) => ({
    name: `${c} given a plain directory`,
    args: (d: Dirs) => [c, d.dir],
    code: 2,
    says: /is a directory, not a manifest/,
  })),
  ...MANIFEST_CMDS.map((c) => ({
    name: `${c} given a missing file`,
    args: (d: Dirs) => [c, join(d.dir, 'missing.yaml')],
    code: 2,
    says: /no such file|not found|ENOENT/,
  })),
  ...MANIFEST_CMDS.map((c) => ({
    name: `${c} given a binary file`,
    args: (d: Dirs) => [c, d.binary],
    code: 2,
    says: /UTF-8|manifest/,
  })),
  {
    name: 'emulate on a busy port (EADDRINUSE)',
    args: (d) => ['emulate', '--port', String(d.busyPort)],
    code: 2,
    says: /port \d+ .*in use/,
  },
  { name: 'emulate --port not a number', args: () => ['emulate', '--port', 'abc'], code: 2, says: /--port/ },
  { name: 'emulate --faults bad JSON', args: () => ['emulate', '--faults', '{'], code: 2, says: /--faults/ },
  { name: 'emulate --faults a directory', args: (d) => ['emulate', '--faults', d.dir], code: 2, says: /--faults/ },
  { name: 'catalog --catalog missing file', args: (d) => ['catalog', '--catalog', join(d.dir, 'nope.yaml')], code: 2, says: /nope\.yaml/ },
  { name: 'run --max-usd negative', args: (d) => ['run', d.manifest, '--max-usd', '-1'], code: 2, says: /--max-usd/ },
  { name: 'run --catalog a directory', args: (d) => ['run', d.manifest, '--catalog', d.dir], code: 2, says: /not a file/ },
  { name: 'unknown command', args: () => ['frobnicate'], code: 2, says: /unknown command/ },
  { name: 'unknown option', args: (d) => ['run', d.manifest, '--bogus'], code: 2, says: /unknown option/ },
  {
    name: 'run --only names no job',
    args: (d) => ['run', d.manifest, '--only', 'zzz', '--yes'],
    code: 2,
    says: /--only zzz matches no job/,
  },
  { name: 'run --fit without a limit', args: (d) => ['run', d.manifest, '--fit', '--yes'], code: 2, says: /--fit needs a limit/ },
  { name: 'retry --states nonsense', args: (d) => ['retry', d.runDir, '--states', 'done'], code: 2, says: /--states done/ },
  { name: 'status --json on a file', args: (d) => ['status', d.file, '--json'], code: 2, says: /not a run directory/ },
];

describe('every command with wrong arguments: one line, a documented exit code, no stack trace', () => {
  let d: Dirs;
  let server: Server;

  beforeAll(async () => {
    const dir = await tempDir('shotlist-usage-');
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'not a run directory\n');
    const binary = join(dir, 'binary.yaml');
    await writeFile(binary, Buffer.from([0xff, 0xfe, 0x00, 0x9f, 0x80, 0xc3]));
    const runDir = join(dir, 'runs', 'x');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'run.json'), '{}\n');
    await writeFile(join(runDir, 'checkpoint.json'), '{}\n');
    const manifest = await writeOpenaiManifest(dir, 1);
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const busyPort = (server.address() as { port: number }).port;
    d = { dir, file, manifest, runDir, binary, busyPort };
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(d.dir, { recursive: true, force: true });
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await runInProcess(c.args(d), { cwd: d.dir });
    const all = res.out + res.err;
    expect(all).not.toMatch(/internal error/i);
    expect(all).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack frames
    expect(DOCUMENTED.has(res.code)).toBe(true);
    expect(res.code, all).toBe(c.code);
    const lines = res.err
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '');
    // The message is one line; commander may add one usage hint after it.
    expect(lines.length, res.err).toBeLessThanOrEqual(2);
    expect(res.err).toMatch(c.says);
  });
});
