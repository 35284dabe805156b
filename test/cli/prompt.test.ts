/** The approval prompt: Ctrl-C is an interruption, Ctrl-D a "no"; neither is an error. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askYesNo } from '../../src/cli/prompt.ts';
import { runMain } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { InterruptedError } from '../../src/errors.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';
import { cleanEnv } from '../helpers/cli.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

function terminal(keys: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const answer = askYesNo('Approve spending up to $1.00?', { input, output, terminal: true });
  setImmediate(() => input.write(keys));
  return answer.then((a) => ({ a, shown }));
}

describe('askYesNo on a terminal', () => {
  it('y + Enter is yes', async () => expect((await terminal('y\r')).a).toBe('yes'));
  it('Enter alone is no', async () => expect((await terminal('\r')).a).toBe('no'));
  it('Ctrl-C is interrupted', async () => {
    const { a, shown } = await terminal('\x03');
    expect(a).toBe('interrupted');
    expect(shown).toContain('[y/N]');
  });
  it('Ctrl-D is no', async () => expect((await terminal('\x04')).a).toBe('no'));
});

async function runWithAnswer(confirm: CliIO['confirm']) {
  const dir = await tempDir('shotlist-prompt-');
  const manifest = await writeOpenaiManifest(dir, 1);
  let err = '';
  const io: CliIO = {
    out: () => {},
    err: (t) => void (err += `${t}\n`),
    isTTY: true,
    env: cleanEnv({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9' }),
    cwd: dir,
    confirm,
  };
  const code = await runMain(['run', manifest, '--out', join(dir, 'out')], io, new AbortController().signal);
  return { code, err, wrote: existsSync(join(dir, 'out')) };
}

describe('run at the approval prompt', () => {
  it('Ctrl-C exits 130 with one line, no stack, nothing written', async () => {
    const r = await runWithAnswer(async () => {
      throw new InterruptedError('interrupted at the approval prompt; nothing was spent');
    });
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/^error: interrupted at the approval prompt; nothing was spent\n$/);
    expect(r.wrote).toBe(false);
  });
  it('Ctrl-D (no answer) exits 3 "not approved", nothing written', async () => {
    const r = await runWithAnswer(async () => false);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/not approved/);
    expect(r.err).not.toMatch(/internal error|AbortError/);
    expect(r.wrote).toBe(false);
  });
  it('an AbortError escaping a command is an interruption (130), not an internal error', async () => {
    const r = await runWithAnswer(async () => {
      const e = new Error('The operation was aborted');
      e.name = 'AbortError';
      throw e;
    });
    expect(r.code).toBe(130);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });
});
