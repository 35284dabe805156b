/**
 * Post-steps in the live view: which step of how many, and how much of it is done, so a long post
 * (thumbnails and sheets of 200 clips) is never a silent "200/200". On a TTY one line is redrawn at
 * most 10×/s; otherwise a line when a step starts, when it ends, and at most every `intervalMs` between.
 */
import type { Clock } from '../clock.ts';
import type { EventSink, RunEvent } from '../run/events.ts';

export interface PostViewOptions {
  tty: boolean;
  write: (s: string) => void;
  clock: Pick<Clock, 'now'>;
  /** Non-TTY: least time between two lines about the same step. Default 10 s. */
  intervalMs?: number;
}

interface StepView {
  step: string;
  index: number;
  steps: number;
  done: number;
  total: number;
  startedAt: number;
  /** ffmpeg's progress through the output being encoded, when it reports one. */
  fraction?: number;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)}s` : `${Math.round(s)}s`;
}

export function postLine(v: StepView, now: number, ended = false): string {
  const head = `post-steps [${v.index}/${v.steps}] ${v.step}`;
  if (ended) return `${head}: ${v.done}/${v.total} done in ${seconds(now - v.startedAt)}`;
  if (v.total === 0) return `${head}…`;
  const pct = v.fraction !== undefined && v.done < v.total ? ` · ${Math.round(v.fraction * 100)}% of the current output` : '';
  return `${head}: ${v.done}/${v.total}${pct} · ${seconds(now - v.startedAt)}`;
}

export function createPostView(o: PostViewOptions): { sink: EventSink; close(): void } {
  const interval = o.intervalMs ?? 10_000;
  let cur: StepView | undefined;
  let lastWrite = -Infinity;
  let drawn = false;
  let closed = false;

  const write = (line: string, replace: boolean) => {
    // On a TTY the line replaces the previous one (cursor up one line, clear to end).
    o.write(`${o.tty && replace && drawn ? '\x1b[1A\x1b[J' : ''}${line}\n`);
    drawn = true;
    lastWrite = o.clock.now();
  };
  const endStep = () => {
    if (cur) write(postLine(cur, o.clock.now(), true), o.tty);
    drawn = false; // the finished step's line stays on screen
  };
  const onEvent = (e: RunEvent) => {
    if (e.kind === 'post.step') {
      if (!cur || cur.index !== e.index) {
        endStep();
        cur = { step: e.step, index: e.index, steps: e.steps, done: e.done, total: e.total, startedAt: e.at };
        write(postLine(cur, o.clock.now()), false);
        return;
      }
      cur.done = e.done;
      cur.total = e.total;
      cur.fraction = undefined;
    } else if (e.kind === 'post.progress' && cur) {
      cur.fraction = e.fraction;
    } else return;
    const now = o.clock.now();
    if (now - lastWrite >= (o.tty ? 100 : interval)) write(postLine(cur, now), true);
  };
  return {
    sink: (e) => {
      if (!closed) onEvent(e);
    },
    close: () => {
      if (closed) return;
      closed = true;
      endStep();
      cur = undefined;
    },
  };
}
