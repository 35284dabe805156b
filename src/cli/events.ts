/** Composes event sinks: the ndjson log always, the progress view for humans. */
import type { EventSink, RunEvent } from '../run/events.ts';

export function fanOut(...sinks: EventSink[]): EventSink {
  return (event: RunEvent) => {
    for (const sink of sinks) sink(event);
  };
}
