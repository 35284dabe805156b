/**
 * Input files are UTF-8. Anything else (a UTF-16 export, a Latin-1 CSV from a spreadsheet) would
 * otherwise decode to U+FFFD and reach a provider as a corrupted prompt, or fail later with a
 * confusing message: refuse it here, pointing at the first byte that is not UTF-8.
 */
import type { Diagnostic } from '../errors.ts';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** The file's text, or a diagnostic saying why it is not UTF-8 text. */
export function decodeUtf8(bytes: Uint8Array, file: string, what: string): { text: string } | { diagnostic: Diagnostic } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { diagnostic: { file, line: 1, col: 1, message: `${what} is UTF-16 text; save it as UTF-8` } };
  }
  try {
    return { text: strict.decode(bytes) };
  } catch {
    const bad = firstInvalid(bytes);
    let lineStart = bad;
    while (lineStart > 0 && bytes[lineStart - 1] !== 0x0a) lineStart--;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const col = lenient.decode(bytes.subarray(lineStart, bad)).length + 1;
    const hex = bytes[bad]!.toString(16).padStart(2, '0');
    return { diagnostic: { file, line, col, message: `${what} is not UTF-8 text (byte 0x${hex}); save it as UTF-8` } };
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalid(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  // Overlong or surrogate forms the quick check lets through: point at the start rather than guess.
  return 0;
}
