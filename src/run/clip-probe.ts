/**
 * Each clip is probed once: when its download is verified (recorded in ClipInfo.probe). Post-steps
 * and the report reuse that result while the file is the one that was verified (same size, mtime and
 * inode); a file changed since is probed again.
 */
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { ClipInfo } from './types.ts';

export function recordedProbe(clip: ClipInfo, st: { size: number; mtimeMs: number; ino: number }): ProbeResult | undefined {
  if (!clip.probe || !clip.stamp) return undefined;
  const same = st.size === clip.bytes && st.mtimeMs === clip.stamp.mtimeMs && st.ino === clip.stamp.ino;
  return same ? clip.probe : undefined;
}
