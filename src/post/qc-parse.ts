/**
 * Pure half of clip QC: the ffmpeg arguments for one analysis pass (blackdetect, freezedetect,
 * silencedetect, volumedetect, decoding every frame) and the verdict from its stderr, the probe
 * and the request. No I/O, so every threshold is tested with plain strings.
 */
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { ClipQc, QcIssue } from '../report/types.ts';

export interface QcThresholds {
  /** Flag a clip with at least this many seconds of black picture (capped at half the clip). */
  blackS: number;
  /** Flag a clip frozen for at least this many seconds in total (capped at half the clip). */
  frozenS: number;
  /** Audio quieter than this everywhere (max volume, dBFS) is silent. */
  silenceDb: number;
  /** Allowed |duration − requested seconds|. */
  durationToleranceS: number;
  /**
   * `required`: every clip must have an audible track; `optional`: never checked; `auto`: required
   * for a model whose other clips in this run have audio (the model makes audio).
   */
  audio: 'auto' | 'required' | 'optional';
}

export const DEFAULT_QC: QcThresholds = {
  blackS: 1,
  frozenS: 2,
  silenceDb: -50,
  durationToleranceS: 0.25,
  audio: 'auto',
};

/** One decode of the whole clip with every detector attached; all results land on stderr. */
export function qcArgs(file: string, t: QcThresholds, hasAudio: boolean): string[] {
  const args = ['-v', 'info', '-threads', '1', '-i', file];
  args.push('-vf', `blackdetect=d=0.2:pix_th=0.10,freezedetect=n=-60dB:d=0.5`);
  if (hasAudio) args.push('-af', `silencedetect=n=${t.silenceDb}dB:d=0.5,volumedetect`);
  else args.push('-an');
  args.push('-f', 'null', '-');
  return args;
}

export interface QcMeasures {
  blackS: number;
  frozenS: number;
  silenceS: number;
  maxVolumeDb: number | null;
  decodeErrors: string[];
}

const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));

/** Totals from an analysis pass's stderr; an interval still open at the end runs to `durationS`. */
export function parseQcLog(stderr: string, durationS: number): QcMeasures {
  let blackS = 0;
  let frozenS = 0;
  let silenceS = 0;
  let maxVolumeDb: number | null = null;
  let freezeOpen: number | null = null;
  let silenceOpen: number | null = null;
  const decodeErrors: string[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/black_duration:\s*([\d.]+)/))) blackS += num(m[1]);
    else if ((m = line.match(/freezedetect\.freeze_start:\s*([\d.]+)/))) freezeOpen = num(m[1]);
    else if ((m = line.match(/freezedetect\.freeze_duration:\s*([\d.]+)/))) {
      frozenS += num(m[1]);
      freezeOpen = null;
    } else if ((m = line.match(/silence_start:\s*(-?[\d.]+)/))) silenceOpen = Math.max(0, num(m[1]));
    else if ((m = line.match(/silence_duration:\s*([\d.]+)/))) {
      silenceS += num(m[1]);
      silenceOpen = null;
    } else if ((m = line.match(/max_volume:\s*(-?[\d.]+|-inf) dB/))) maxVolumeDb = m[1] === '-inf' ? -Infinity : num(m[1]);
    else if (
      /error|corrupt|invalid data|non-existing|concealing|missing picture/i.test(line) &&
      !/freezedetect|blackdetect|silencedetect/.test(line)
    ) {
      decodeErrors.push(line.trim().slice(0, 200));
    }
  }
  if (freezeOpen !== null) frozenS += Math.max(0, durationS - freezeOpen);
  if (silenceOpen !== null) silenceS += Math.max(0, durationS - silenceOpen);
  return { blackS, frozenS, silenceS, maxVolumeDb, decodeErrors };
}

export interface QcSubject {
  seconds: number;
  width: number;
  height: number;
  /** Whether audio is expected (resolved from `audio: auto` by the caller). */
  audioExpected: boolean;
}

const s1 = (n: number): string => `${n.toFixed(1)} s`;

/** The verdict: every issue found, in a fixed order. */
export function qcVerdict(m: QcMeasures, probe: ProbeResult, want: QcSubject, t: QcThresholds): ClipQc {
  const issues: QcIssue[] = [];
  const d = probe.durationS;
  const black = Math.min(t.blackS, d / 2);
  const frozen = Math.min(t.frozenS, d / 2);
  if (m.blackS >= black && m.blackS > 0) issues.push({ kind: 'black', message: `black picture for ${s1(m.blackS)} of ${s1(d)}` });
  // A black picture is also a still one: only freezes black does not explain count as frozen.
  const stillS = m.frozenS - m.blackS;
  if (stillS >= frozen && stillS > 0) issues.push({ kind: 'frozen', message: `frozen picture for ${s1(m.frozenS)} of ${s1(d)}` });
  if (want.audioExpected && !probe.audio) issues.push({ kind: 'no_audio', message: 'no audio track' });
  else if (probe.audio && want.audioExpected) {
    const silent = (m.maxVolumeDb !== null && m.maxVolumeDb <= t.silenceDb) || m.silenceS >= d * 0.9;
    if (silent) issues.push({ kind: 'silent', message: `silent audio (max ${m.maxVolumeDb === null ? '?' : m.maxVolumeDb} dB)` });
  }
  if (Math.abs(d - want.seconds) > t.durationToleranceS) {
    issues.push({ kind: 'duration', message: `${d.toFixed(2)} s, requested ${want.seconds} s` });
  }
  const v = probe.video;
  if (!v || v.width !== want.width || v.height !== want.height) {
    issues.push({ kind: 'size', message: `${v ? `${v.width}x${v.height}` : 'no video'}, requested ${want.width}x${want.height}` });
  }
  if (m.decodeErrors.length > 0) {
    issues.push({ kind: 'decode', message: `${m.decodeErrors.length} decode error(s): ${m.decodeErrors[0]}` });
  }
  return { ok: issues.length === 0, issues };
}
