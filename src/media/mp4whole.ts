/**
 * Is this MP4 file whole? Reads only box headers, in-process: the top-level boxes must tile the file
 * exactly (every box, `mdat` included, fits in what is on disk), `ftyp` first, a `moov` (or, for a
 * fragmented file, `moof`s) and media data present. A file cut short by a crash or a full disk fails
 * this even when its header looks fine.
 */
import { open } from 'node:fs/promises';

export type Mp4Verdict = { ok: true } | { ok: false; reason: string };

export async function checkMp4Whole(file: string): Promise<Mp4Verdict> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(16);
    const seen = new Set<string>();
    let p = 0;
    while (p < size) {
      const { bytesRead } = await fh.read(head, 0, 16, p);
      if (bytesRead < 8) return { ok: false, reason: `cut short inside a box header at byte ${p} of ${size}` };
      let boxSize = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (boxSize === 1) {
        if (bytesRead < 16) return { ok: false, reason: `cut short inside a box header at byte ${p} of ${size}` };
        boxSize = Number(head.readBigUInt64BE(8));
      } else if (boxSize === 0) boxSize = size - p; // "to the end of the file"
      if (p === 0 && type !== 'ftyp') return { ok: false, reason: 'not an MP4 file (no ftyp box first)' };
      if (boxSize < 8) return { ok: false, reason: `damaged box '${type}' at byte ${p}` };
      if (p + boxSize > size) return { ok: false, reason: `box '${type}' needs ${p + boxSize} bytes, the file has ${size}: cut short` };
      seen.add(type);
      p += boxSize;
    }
    if (!seen.has('moov')) return { ok: false, reason: 'no moov box (index missing)' };
    if (!seen.has('mdat')) return { ok: false, reason: 'no mdat box (media data missing)' };
    return { ok: true };
  } finally {
    await fh.close();
  }
}
