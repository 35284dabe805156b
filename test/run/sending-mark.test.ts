/**
 * The sending mark ("this create may exist at the provider") is written by the transport once the
 * create is on a connected socket, and the create's bytes wait for it (issue 9's leftover): a create
 * that never reached a socket is planned again and sent once, never `unknown` or `submitting`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { createScope, inCreateScope } from '../../src/providers/create-scope.ts';
import { createTransport } from '../../src/providers/transport.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';
import { tmpRunDir } from './helpers.ts';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('the transport reaches a create scope on its socket', () => {
  it('holds the body until the mark is written; a refused origin never reaches the scope', async () => {
    const bodies: string[] = [];
    const srv = createServer((req: IncomingMessage, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        bodies.push(b);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/create`;
    const t = createTransport({ connections: 2 });
    try {
      let release!: () => void;
      let seenAtMark = -1;
      const scope = createScope(
        async () => true,
        () => {
          seenAtMark = bodies.length;
          return new Promise<void>((r) => (release = r));
        },
      );
      const sent = inCreateScope(scope, () => t.fetch(url, { method: 'POST', body: '{"prompt":"x"}' }));
      while (!scope.reached) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      expect(seenAtMark).toBe(0);
      expect(bodies).toEqual([]); // the server has nothing it could act on while the mark is being written
      release();
      expect((await sent).status).toBe(200);
      expect(bodies).toEqual(['{"prompt":"x"}']);

      const refused = createScope(
        async () => true,
        async () => undefined,
      );
      const port = await closedPort();
      await expect(
        inCreateScope(refused, () => t.fetch(`http://127.0.0.1:${port}/create`, { method: 'POST', body: '{}' })),
      ).rejects.toThrow();
      expect(refused.reached).toBe(false);
    } finally {
      await t.close();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});

describe('a create that never reached a socket', () => {
  it('goes back to planned (no mark, nothing held) and is sent exactly once on resume', async () => {
    const runDir = await tmpRunDir();
    const jobs = [0, 1, 2].map((i) => emuJob('apidot', i));
    const dead = `http://127.0.0.1:${await closedPort()}/apidot`;
    const t = createTransport({ connections: 4 });
    const ac = new AbortController();
    const events: RunEvent[] = [];
    try {
      await executeRun({
        runDir,
        jobs,
        approvedUsd: 10,
        bind: () => emuBinding('apidot', dead, t.fetch),
        clock: systemClock,
        signal: ac.signal,
        // Stop at the first retry: every create has been refused at connect by then or waits its turn.
        events: (e) => {
          events.push(e);
          if (e.kind === 'job.retry') ac.abort();
        },
        rng: () => 0,
      });
    } finally {
      await t.close();
    }
    expect(events.some((e) => e.kind === 'job.retry')).toBe(true);
    const after = (await readRunState(runDir))!;
    for (const j of jobs) {
      const r = after.records[j.id]!;
      expect(r.state).toBe('planned');
      expect(r.timings.sendingAt).toBeUndefined();
      expect(r.reservedUsd).toBe(0);
    }

    emu = await startEmulator({ render: 'shared', seed: 3, faults: { apidot: { renderMs: 100 } } });
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 10,
      bind: () => emuBinding('apidot', emu!.baseUrls.apidot, fetch, {}, 0.1),
      clock: systemClock,
      signal: new AbortController().signal,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 3 });
    expect(emu.counts('apidot').creates).toBe(3);
  });
});
