/** Appends run events to `events.ndjson`, one JSON object per line. */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EventSink, RunEvent } from './events.ts';
import { asWriteError } from './rundir.ts';

export interface EventLog {
  sink: EventSink;
  /** Flush and close the file. Resolves even when the file refused writes (see `onError`). */
  close(): Promise<void>;
}

/**
 * `onError` receives the first write error (disk full, read-only…), mapped to the run-directory
 * error; later events are dropped. A stream error never goes unhandled.
 */
export async function openEventLog(path: string, onError?: (e: unknown) => void): Promise<EventLog> {
  await mkdir(dirname(path), { recursive: true }).catch((e: unknown) => {
    throw asWriteError(e, path);
  });
  const stream = createWriteStream(path, { flags: 'a' });
  let closed = false;
  let failed = false;
  stream.on('error', (e) => {
    if (failed) return;
    failed = true;
    onError?.(asWriteError(e, path));
  });
  return {
    sink: (event: RunEvent) => {
      if (!closed && !failed) stream.write(`${JSON.stringify(event)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        if (failed || stream.destroyed) return resolve();
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      }),
  };
}
