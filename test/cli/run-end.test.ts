/**
 * Issue 11/12: when a run ends — `--open` hands the report to the platform opener (injected here),
 * `--notify` POSTs the summary JSON to a URL or pipes it to a command (never with keys, never changing
 * the exit code), post-steps say which step of how many and how far, and the summary shows QC.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.ts';
import { runMain } from '../../src/cli/main.ts';
import type { OpenResult } from '../../src/cli/open.ts';
import { cleanEnv, TEST_KEY } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

interface Captured {
  io: CliIO;
  out: () => string;
  err: () => string;
  opened: string[];
}

function captureIO(cwd: string, opener: OpenResult | 'none'): Captured {
  let out = '';
  let err = '';
  const opened: string[] = [];
  const io: CliIO = {
    out: (t) => void (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void (err += t.endsWith('\n') ? t : `${t}\n`),
    isTTY: false,
    // The key is in the environment the whole time: neither the hook's body nor its environment may carry it.
    env: cleanEnv({ OPENAI_API_KEY: TEST_KEY }),
    cwd,
    confirm: async () => false,
    ...(opener === 'none'
      ? {}
      : {
          open: async (t: string) => {
            opened.push(t);
            return opener;
          },
        }),
  };
  return { io, out: () => out, err: () => err, opened };
}

const bodies: Array<{ url: string; body: string; type: string | undefined }> = [];
let server: Server;
let base: string;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.setEncoding('utf8').on('data', (d: string) => (b += d));
    req.on('end', () => resolve(b));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      bodies.push({ url: req.url ?? '', body, type: req.headers['content-type'] });
      res.writeHead(req.url === '/fail' ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the end of a run: --open, --notify, post progress, QC in the summary', () => {
  let dir: string;
  let runDir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeOpenaiManifest(dir, 2, 'post:\n  - thumbnails: { at: 0.5 }');
    runDir = join(dir, 'runs', 'resume-test');
  });

  it('run --open --notify URL: the report is opened, the summary JSON is POSTed without keys, post-steps and QC are shown', async () => {
    const c = captureIO(dir, { kind: 'opened', command: 'xdg-open' });
    const code = await runMain(
      ['run', 'manifest.yaml', '--emulate', '--yes', '--open', '--notify', `${base}/hook?token=abc`],
      c.io,
      new AbortController().signal,
    );
    expect(code, c.err()).toBe(0);
    expect(c.opened).toEqual([join(runDir, 'report.html')]);
    expect(c.err()).toContain(`opened ${join(runDir, 'report.html')} (xdg-open)`);
    const hook = bodies.find((b) => b.url.startsWith('/hook'));
    expect(hook?.type).toBe('application/json');
    const summary = JSON.parse(hook!.body);
    expect(summary).toMatchObject({ exit_code: 0, run_dir: runDir, counts: { downloaded: 2 }, report: join(runDir, 'report.html') });
    expect(summary.qc).toMatchObject({ checked: 2, flagged: 0 });
    expect(hook!.body).not.toContain(TEST_KEY);
    // The query (which may hold a token) is not echoed.
    expect(c.err()).toMatch(/notified http:\/\/127\.0\.0\.1:\d+\/hook \(HTTP 204\)/);
    // Post-steps say which step of how many, and how far it got.
    expect(c.err()).toMatch(/post-steps \[1\/2\] qc: 2\/2 done in/);
    expect(c.err()).toMatch(/post-steps \[2\/2\] thumbnails: 2\/2 done in/);
    expect(c.out()).toContain('qc: 2 clip(s) checked, none flagged');
    // The plan's estimate is the emulator's speed (seconds), not sora-2's real minutes.
    expect(c.out()).toMatch(/Estimated time: ~\d+ s\n/);
  });

  it('resume --notify COMMAND: the summary arrives on stdin, the command sees no credentials; a failing hook only warns', async () => {
    const file = join(dir, 'hook.json');
    await writeFile(
      join(dir, 'hook.cjs'),
      `let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => require('fs').writeFileSync('hook.json', JSON.stringify({ summary: JSON.parse(s), key: process.env.OPENAI_API_KEY ?? null })));`,
    );
    const c = captureIO(dir, 'none');
    const code = await runMain(['resume', runDir, '--notify', 'node hook.cjs'], c.io, new AbortController().signal);
    expect(code, c.err()).toBe(0);
    const got = JSON.parse(await readFile(file, 'utf8'));
    expect(got.summary).toMatchObject({ exit_code: 0, counts: { downloaded: 2 } });
    expect(got.key).toBeNull();

    const failing = captureIO(dir, 'none');
    const code2 = await runMain(['resume', runDir, '--notify', `${base}/fail`], failing.io, new AbortController().signal);
    expect(code2).toBe(0);
    expect(failing.err()).toMatch(/warning: --notify http:\/\/127\.0\.0\.1:\d+\/fail failed: HTTP 500/);
  });

  it('post --open and report --open without an opener: one note line, exit 0', async () => {
    const c = captureIO(dir, { kind: 'unavailable', reason: 'xdg-open not found on PATH' });
    expect(await runMain(['post', runDir, '--open'], c.io, new AbortController().signal)).toBe(0);
    expect(c.err()).toContain(
      `note: cannot open the report here (xdg-open not found on PATH); open it yourself: ${join(runDir, 'report.html')}`,
    );
    const r = captureIO(dir, 'none');
    expect(await runMain(['report', runDir, '--open'], r.io, new AbortController().signal)).toBe(0);
    expect(r.out().trim()).toBe(join(runDir, 'report.html'));
    expect(r.err()).toMatch(/^note: cannot open the report here/);
  });
});
