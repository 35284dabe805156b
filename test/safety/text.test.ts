/** Provider text is untrusted: secrets redacted, escapes stripped, where it enters and in pure helpers. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import { cleanDeep, redact, secretsFromEnv, stripControl } from '../../src/safety/text.ts';
import { bindingFor, clipFetch, collect, FakeProvider, makeJobs, tinyClip, tmpRunDir } from '../run/helpers.ts';

const KEY = 'sk-live-ABCDEF0123456789';
const OTHER = 'r8_OtherProviderToken42';

describe('pure helpers', () => {
  it('redact replaces every occurrence of every secret, ignores values too short to be keys', () => {
    expect(redact(`Authorization: Bearer ${KEY} (again ${KEY}) and ${OTHER}`, [KEY, OTHER, 'k'])).toBe(
      'Authorization: Bearer [redacted] (again [redacted]) and [redacted]',
    );
    expect(redact('a k b', ['k'])).toBe('a k b');
  });

  it('stripControl removes clear-screen, cursor moves, OSC titles and raw control characters', () => {
    const evil = '\u001b[2J\u001b[H\u001b]0;pwned\u0007\u001b[32mdone\u001b[0m 8/8\r\u0008\u0000ok\u009b1m';
    expect(stripControl(evil)).toBe('done 8/8ok');
    expect(stripControl('line one\nline two\ttab')).toBe('line one\nline two\ttab');
  });

  it('secretsFromEnv takes credential-named variables only', () => {
    const env = {
      OPENAI_API_KEY: KEY,
      REPLICATE_API_TOKEN: OTHER,
      FAL_KEY: 'fal-key-123456',
      SHOTLIST_WEBHOOK_SECRET: 'whsec_abcdefgh',
      HOME: '/home/someone',
      SHORT_KEY: 'x',
    };
    expect(secretsFromEnv(env).sort()).toEqual([KEY, OTHER, 'fal-key-123456', 'whsec_abcdefgh'].sort());
  });

  it('cleanDeep cleans strings at any depth and leaves other values', () => {
    expect(cleanDeep({ kind: 'failed', message: `\u001b[2Jkey ${KEY}`, n: 3, list: [`${OTHER}`] }, [KEY, OTHER])).toEqual({
      kind: 'failed',
      message: 'key [redacted]',
      n: 3,
      list: ['[redacted]'],
    });
  });
});

describe('at ingestion: a provider echoing the key and escapes in its error', () => {
  it('nothing written to the run directory or emitted holds a secret or an escape', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const jobs = makeJobs(2);
    const evil = `\u001b[2J\u001b[Hdone: all 2 downloaded. Invalid header Authorization: Bearer ${KEY}; other account ${OTHER}`;
    const p = new FakeProvider(systemClock, { script: [{ kind: 'rejected', code: 'bad_request', message: evil }] });
    const { events, sink } = collect();
    const binding = bindingFor(p, clipFetch(clip));
    binding.env.apiKey = KEY;
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 10,
      bind: () => binding,
      clock: systemClock,
      signal: new AbortController().signal,
      events: sink,
      secrets: [OTHER],
    });
    expect(out.counts).toEqual({ rejected: 1, downloaded: 1 });
    const rec = Object.values((await readRunState(runDir))!.records).find((r) => r.state === 'rejected')!;
    expect(rec.error?.message).toBe('done: all 2 downloaded. Invalid header Authorization: Bearer [redacted]; other account [redacted]');
    const printed = JSON.stringify(events);
    for (const text of [
      printed,
      ...(await Promise.all(
        (await readdir(runDir)).filter((f) => !f.endsWith('.lock')).map((f) => readFile(join(runDir, f), 'utf8').catch(() => '')),
      )),
    ]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(OTHER);
      expect(text).not.toContain('\u001b');
      expect(text).not.toContain('\\u001b');
    }
  });
});
