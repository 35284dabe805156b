/** Callback mode against the emulator: signed (SorAPI) and unsigned (APIDot) callbacks wake an immediate status fetch. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { executeRun, startCallbackReceiver } from '../../src/run/index.ts';
import { getProvider } from '../../src/providers/index.ts';
import { jobOwnsTask } from '../../src/run/callbacks.ts';
import { tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

let emu: EmulatorHandle;
beforeAll(async () => {
  emu = await startEmulator({
    render: 'shared',
    webhookDuplicates: 1,
    faults: { apidot: { renderMs: 300 }, sorapi: { renderMs: 300 } },
  });
});
afterAll(async () => {
  await emu?.stop();
});

describe('callback mode', () => {
  it('finishes on callbacks (not the slow safety-net polls), ignoring duplicate deliveries', async () => {
    const port = await freePort();
    const jobs = [...Array.from({ length: 5 }, (_, i) => emuJob('apidot', i)), ...Array.from({ length: 5 }, (_, i) => emuJob('sorapi', i))];
    const out = await executeRun({
      runDir: await tmpRunDir(),
      jobs,
      approvedUsd: 100,
      bind: (n) => emuBinding(n as ProviderName, emu.baseUrls[n as ProviderName], fetch, {}, 0.3),
      clock: systemClock,
      signal: new AbortController().signal,
      events: () => {},
      callbacks: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}/`, secrets: { sorapi: emu.webhookSecrets?.sorapi } },
    });
    expect(out.counts).toEqual({ downloaded: 10 });
    // One status fetch per callback, duplicates ignored: about one per job.
    expect(emu.counts('apidot').statusGets).toBeLessThanOrEqual(5 + 2);
    expect(emu.counts('sorapi').statusGets).toBeLessThanOrEqual(5 + 2);
  });

  it('refuses bad signatures and ignores task ids it does not know', async () => {
    const woke: string[] = [];
    const r = await startCallbackReceiver({
      listen: '127.0.0.1:0',
      providers: new Map([
        ['sorapi', getProvider('sorapi')!],
        ['apidot', getProvider('apidot')!],
      ]),
      secrets: { sorapi: 'secret' },
      now: () => Date.now(),
      onTask: (p, id) => {
        woke.push(`${p}:${id}`);
        return id === 'mine';
      },
    });
    try {
      const bad = await fetch(`${r.url}/callbacks/sorapi`, {
        method: 'POST',
        headers: { 'x-signature': 'deadbeef', 'content-type': 'application/json' },
        body: JSON.stringify({ task_id: 'mine', status: 'succeeded' }),
      });
      expect(bad.status).toBe(401);
      const body = JSON.stringify({ code: 200, data: { task_id: 'other', status: 'finished' } });
      const unknown = await fetch(`${r.url}/callbacks/apidot`, { method: 'POST', body });
      expect(unknown.status).toBe(202);
      const mine = JSON.stringify({ code: 200, data: { task_id: 'mine', status: 'finished' } });
      expect((await fetch(`${r.url}/callbacks/apidot`, { method: 'POST', body: mine })).status).toBe(200);
      expect((await fetch(`${r.url}/callbacks/nope`, { method: 'POST', body: mine })).status).toBe(404);
      expect(woke).toEqual(['apidot:other', 'apidot:mine']);
      expect(r.stats.invalid).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('a late callback for a job whose task id changed is ignored; the task the job holds now wakes', async () => {
    // job1 was resubmitted: its checkpoint record now holds task "new"; "old" was its first attempt.
    const records = new Map([['job1', { task: { id: 'new' } }]]);
    const woke: string[] = [];
    const r = await startCallbackReceiver({
      listen: '127.0.0.1:0',
      providers: new Map([['apidot', getProvider('apidot')!]]),
      secrets: {},
      now: () => Date.now(),
      onTask: (_p, id) => (woke.push(id), true),
      ownsTask: jobOwnsTask(
        (id) => records.get(id),
        (id) => (records.has(id) ? 'apidot' : undefined),
      ),
    });
    const post = (query: string, taskId: string) =>
      fetch(`${r.url}/callbacks/apidot${query}`, {
        method: 'POST',
        body: JSON.stringify({ code: 200, data: { task_id: taskId, status: 'finished' } }),
      });
    try {
      expect((await post('?job=job1', 'old')).status).toBe(202);
      expect((await post('?job=nojob', 'new')).status).toBe(202);
      expect(woke).toEqual([]);
      expect(r.stats.mismatched).toBe(2);
      expect((await post('?job=job1', 'new')).status).toBe(200);
      expect(woke).toEqual(['new']);
    } finally {
      await r.close();
    }
  });
});
