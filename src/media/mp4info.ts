/**
 * A minimal in-process reader for MP4/MOV headers: enough to answer what ffprobe answers for the
 * post-steps (duration, video codec/size/fps/pixel format, audio codec/rate/channels) without a
 * process per clip. Spawning ffprobe costs ~5–10 ms per clip, which dominated a stream-copy
 * stitch. Returns null for anything it does not fully understand; the caller then asks ffprobe.
 * It also checks structure: top-level boxes must tile the file exactly (catches truncation).
 */
import { open } from 'node:fs/promises';
import type { ProbeResult } from './ffmpeg.ts';
import { spsPixFmt } from './h264sps.ts';

interface Box {
  type: string;
  start: number; // offset of the payload within the buffer
  end: number;
}

const MAX_MOOV = 64 * 1024 * 1024;

function boxes(buf: Buffer, from: number, to: number): Box[] | null {
  const out: Box[] = [];
  let p = from;
  while (p + 8 <= to) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > to) return null;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = to - p;
    if (size < header || p + size > to) return null;
    out.push({ type, start: p + header, end: p + size });
    p += size;
  }
  return p === to ? out : null;
}

function child(buf: Buffer, parent: Box | undefined, type: string, skip = 0): Box | undefined {
  if (!parent) return undefined;
  return boxes(buf, parent.start + skip, parent.end)?.find((b) => b.type === type);
}

function path(buf: Buffer, root: Box | undefined, ...types: string[]): Box | undefined {
  let b = root;
  for (const t of types) b = child(buf, b, t);
  return b;
}

/** Full-box version-dependent (timescale, duration) of mvhd/mdhd. */
function timing(buf: Buffer, b: Box | undefined): { timescale: number; duration: number } | null {
  if (!b) return null;
  const v = buf[b.start];
  if (v === 1) return { timescale: buf.readUInt32BE(b.start + 20), duration: Number(buf.readBigUInt64BE(b.start + 24)) };
  return { timescale: buf.readUInt32BE(b.start + 12), duration: buf.readUInt32BE(b.start + 16) };
}

/** Only H.264 is read in-process: its pixel format can be derived from the SPS (HEVC's VUI is deeper). */
const VIDEO_CODECS: Record<string, string> = { avc1: 'h264', avc3: 'h264' };

/** Pixel format from the first SPS in avcC, as ffprobe names it. */
function videoPixFmt(buf: Buffer, entry: Box): string | null {
  const c = boxes(buf, entry.start + 78, entry.end)?.find((b) => b.type === 'avcC');
  if (!c) return null;
  const nSps = buf[c.start + 5]! & 0x1f;
  if (nSps < 1) return null;
  const len = buf.readUInt16BE(c.start + 6);
  if (c.start + 8 + len > c.end) return null;
  return spsPixFmt(buf.subarray(c.start + 8, c.start + 8 + len));
}

/** Channel count from the esds AudioSpecificConfig (the sample entry's count is often just 2). */
function aacChannels(buf: Buffer, entry: Box): number | null {
  const esds = boxes(buf, entry.start + 28, entry.end)?.find((b) => b.type === 'esds');
  if (!esds) return null;
  let p = esds.start + 4;
  const descriptor = (): { tag: number; len: number } | null => {
    if (p >= esds.end) return null;
    const tag = buf[p++]!;
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = buf[p++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, len };
  };
  const es = descriptor();
  if (es?.tag !== 0x03) return null;
  const flags = buf[p + 2]!;
  p += 3; // ES_ID, flags
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + buf[p]!; // URL
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const dc = descriptor();
  if (dc?.tag !== 0x04 || buf[p] !== 0x40) return null; // 0x40: MPEG-4 audio (AAC)
  p += 13; // objectType, streamType, bufferSizeDB, maxBitrate, avgBitrate
  const dsi = descriptor();
  if (dsi?.tag !== 0x05 || dsi.len < 2) return null;
  const bits = buf.readUInt16BE(p);
  const objectType = bits >> 11;
  const freqIndex = (bits >> 7) & 0x0f;
  // Escaped object types and explicit 24-bit frequencies shift the fields: rare, let ffprobe answer.
  if (objectType === 31 || freqIndex === 15) return null;
  return (bits >> 3) & 0x0f || null;
}

/** Sum of an elst's segment durations, in seconds; null without an edit list. */
function editedDuration(buf: Buffer, elst: Box | undefined, movieTimescale: number): number | null {
  if (!elst) return null;
  const v1 = buf[elst.start] === 1;
  const n = buf.readUInt32BE(elst.start + 4);
  let total = 0;
  for (let i = 0, p = elst.start + 8; i < n; i++, p += v1 ? 20 : 12) {
    total += v1 ? Number(buf.readBigUInt64BE(p)) : buf.readUInt32BE(p);
  }
  return total / movieTimescale;
}

const LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo', 6: '5.1' };

/** Parse an in-memory moov box. Exported for tests. */
export function parseMoov(buf: Buffer, moov: Box): ProbeResult | null {
  const mv = timing(buf, child(buf, moov, 'mvhd'));
  if (!mv || !mv.timescale || !mv.duration) return null;
  const result: ProbeResult = { durationS: 0, formatName: 'mov,mp4,m4a,3gp,3g2,mj2' };
  for (const trak of boxes(buf, moov.start, moov.end)?.filter((b) => b.type === 'trak') ?? []) {
    const mdia = child(buf, trak, 'mdia');
    const hdlr = child(buf, mdia, 'hdlr');
    const handler = hdlr ? buf.toString('latin1', hdlr.start + 8, hdlr.start + 12) : '';
    const md = timing(buf, child(buf, mdia, 'mdhd'));
    const stbl = path(buf, mdia, 'minf', 'stbl');
    const stsd = child(buf, stbl, 'stsd');
    if (!md || !stsd) continue;
    // Like ffprobe: a track lasts as long as its edit list presents (AAC priming is edited out).
    const edits = editedDuration(buf, path(buf, trak, 'edts', 'elst'), mv.timescale);
    result.durationS = Math.max(result.durationS, edits ?? (md.timescale ? md.duration / md.timescale : 0));
    const entry = boxes(buf, stsd.start + 8, stsd.end)?.[0];
    if (!entry) continue;
    if (handler === 'vide' && !result.video) {
      const codec = VIDEO_CODECS[entry.type];
      const fmt = codec ? videoPixFmt(buf, entry) : null;
      const stts = child(buf, stbl, 'stts');
      if (!codec || !fmt || !stts || !md.duration) return null;
      let frames = 0;
      const n = buf.readUInt32BE(stts.start + 4);
      for (let i = 0; i < n; i++) frames += buf.readUInt32BE(stts.start + 8 + i * 8);
      const fps = (frames * md.timescale) / md.duration;
      const width = buf.readUInt16BE(entry.start + 24);
      const height = buf.readUInt16BE(entry.start + 26);
      result.video = { codec, width, height, fps, pixFmt: fmt };
    } else if (handler === 'soun' && !result.audio) {
      if (entry.type !== 'mp4a') return null;
      const channels = aacChannels(buf, entry);
      if (!channels) return null;
      result.audio = { codec: 'aac', sampleRate: md.timescale, channels, layout: LAYOUTS[channels] ?? `${channels} channels` };
    }
  }
  return result.durationS > 0 ? result : null;
}

/**
 * Probe an MP4/MOV file from its headers. null when the file is not a plain (non-fragmented)
 * ISO-BMFF file with H.264/HEVC video and AAC audio, or when its boxes do not tile the file.
 */
export async function probeMp4(file: string): Promise<ProbeResult | null> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(16);
    let p = 0;
    let moovAt: { start: number; size: number } | undefined;
    let sawMdat = false;
    let sawFtyp = false;
    while (p < size) {
      const { bytesRead } = await fh.read(head, 0, 16, p);
      if (bytesRead < 8) return null;
      let boxSize = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (boxSize === 1) {
        if (bytesRead < 16) return null;
        boxSize = Number(head.readBigUInt64BE(8));
      } else if (boxSize === 0) boxSize = size - p;
      if (boxSize < 8 || p + boxSize > size) return null; // truncated or garbage
      if (p === 0 && type !== 'ftyp') return null;
      if (type === 'ftyp') sawFtyp = true;
      if (type === 'mdat') sawMdat = true;
      if (type === 'moof') return null; // fragmented: let ffprobe answer
      if (type === 'moov') moovAt = { start: p, size: boxSize };
      p += boxSize;
    }
    if (!sawFtyp || !sawMdat || !moovAt || moovAt.size > MAX_MOOV) return null;
    const buf = Buffer.alloc(moovAt.size);
    await fh.read(buf, 0, moovAt.size, moovAt.start);
    const moov = boxes(buf, 0, buf.length)?.[0];
    if (!moov || moov.type !== 'moov') return null;
    try {
      return parseMoov(buf, moov);
    } catch {
      return null; // an out-of-range read means a box we misjudged: never guess
    }
  } finally {
    await fh.close();
  }
}
