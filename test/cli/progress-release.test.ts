/** Found in tmux (issue 11): the Ctrl-C notice under the live view was erased by the next frame, which redrew over it. */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.ts';
import { FakeClock } from '../../src/clock.ts';

describe('live view after someone else wrote to the terminal', () => {
  it('release(): the next frame is drawn below, not over the last lines', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const p = createProgress({ tty: true, write: (s) => out.push(s), clock });
    p.sink({ kind: 'run.started', at: clock.now(), jobs: 2, approvedUsd: 1, resumed: false, counts: { planned: 2 } });
    p.sink({ kind: 'job.state', at: clock.now(), job: 'a', from: 'planned', to: 'submitting' });
    await clock.advance(100);
    // oxlint-disable-next-line no-control-regex
    expect(out.at(-1)).toMatch(/^\x1b\[\d+A/);
    p.release();
    p.sink({ kind: 'job.state', at: clock.now(), job: 'a', from: 'submitting', to: 'submitted' });
    await clock.advance(100);
    expect(out.at(-1)).toMatch(/^\[/); // a fresh frame, no cursor-up over the notice
    p.close();
  });
});
