/**
 * Reads the pixel format out of an H.264 sequence parameter set, the way ffmpeg's decoder names
 * it (`yuv420p`, `yuvj420p` for full range, `yuv444p10le`, `gbrp` for the identity matrix …).
 * Needed because avcC alone does not say whether a clip is full range.
 */

class Bits {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}
  bit(): number {
    const byte = this.data[this.pos >> 3];
    if (byte === undefined) throw new RangeError('SPS ended early');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new RangeError('bad exp-Golomb code');
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** Drop emulation-prevention bytes (00 00 03 → 00 00). */
function unescape(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i]!);
  }
  return Uint8Array.from(out);
}

const HIGH = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: Bits, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Pixel format of an SPS NAL unit (starting with its NAL header byte); throws on malformed input. */
export function spsPixFmt(nal: Uint8Array): string {
  const r = new Bits(unescape(nal.subarray(1)));
  const profile = r.bits(8);
  r.bits(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  let depth = 8;
  if (HIGH.has(profile)) {
    chroma = r.ue();
    if (chroma === 3) r.bit(); // separate_colour_plane_flag
    depth = r.ue() + 8;
    r.ue(); // bit_depth_chroma_minus8
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  r.ue(); // pic_width_in_mbs_minus1
  r.ue(); // pic_height_in_map_units_minus1
  if (!r.bit()) r.bit(); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  if (r.bit()) for (let i = 0; i < 4; i++) r.ue(); // frame cropping
  let fullRange = false;
  let matrix = 2; // unspecified
  if (r.bit()) {
    // VUI
    if (r.bit() && r.bits(8) === 255) r.bits(32); // aspect_ratio_info: idc, extended SAR
    if (r.bit()) r.bit(); // overscan
    if (r.bit()) {
      r.bits(3); // video_format
      fullRange = r.bit() === 1;
      if (r.bit()) {
        r.bits(16); // colour_primaries, transfer_characteristics
        matrix = r.bits(8);
      }
    }
  }
  if (chroma === 0) return depth > 8 ? `gray${depth}le` : 'gray';
  if (chroma === 3 && matrix === 0) return depth > 8 ? `gbrp${depth}le` : 'gbrp';
  const sub = chroma === 2 ? '422' : chroma === 3 ? '444' : '420';
  if (depth > 8) return `yuv${sub}p${depth}le`;
  return fullRange ? `yuvj${sub}p` : `yuv${sub}p`;
}
