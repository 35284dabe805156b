/** Appends run events to `events.ndjson`, one JSON object per line. */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EventSink, RunEvent } from './events.ts';

export interface EventLog {
  sink: EventSink;
  /** Flush and close the file. */
  close(): Promise<void>;
}

export async function openEventLog(path: string): Promise<EventLog> {
  await mkdir(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'a' });
  let closed = false;
  return {
    sink: (event: RunEvent) => {
      if (!closed) stream.write(`${JSON.stringify(event)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        stream.end(() => resolve());
      }),
  };
}
