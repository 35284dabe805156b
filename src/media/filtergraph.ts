/** Escaping for values placed inside an ffmpeg filtergraph (two levels: option value, then graph). */

/** Escape a filter option value (e.g. a path for `fontfile=`/`textfile=`). */
export function filterValue(s: string): string {
  const optionLevel = s.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** Quote a path for a concat demuxer list file. */
export function concatListPath(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

/** Even number >= 2 (libx264 with yuv420p needs even dimensions). */
export function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/** Seconds with millisecond precision, as ffmpeg options want them. */
export function secs(n: number): string {
  return Math.max(0, n).toFixed(3);
}
