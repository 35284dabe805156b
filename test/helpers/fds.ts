/** Files this process still holds open under a directory (Linux /proc): a leaked handle shows up here. */
import { readdir, readlink } from 'node:fs/promises';

export async function openFilesUnder(dir: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd').catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(`${dir}/`));
}
