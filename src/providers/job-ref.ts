/**
 * A job reference on a callback URL (`?job=<id>`): a late callback then finds its job even when the
 * task id never reached the checkpoint (an ambiguous submit, a kill right after the send).
 */
export function withJobRef(callbackUrl: string, jobId: string): string {
  const u = new URL(callbackUrl);
  u.searchParams.set('job', jobId);
  return u.toString();
}

/** The job id a callback URL carries, if any. */
export function jobRefOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://callback.local').searchParams.get('job') ?? undefined;
  } catch {
    return undefined;
  }
}
