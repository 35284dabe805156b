/**
 * Finding Unicode format characters (category Cf) in prompt text. The one allowed case is the
 * zero-width joiner between two emoji (👨‍👩‍👧 is one picture, not hidden text).
 */

/** Names of the Cf characters users actually paste, so the message says what was found. */
const NAMES: Record<number, string> = {
  0x00ad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION',
  0x2062: 'INVISIBLE TIMES',
  0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

const FORMAT = /\p{Cf}/gu;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]/u;

/** The first Cf character in `text` (1-based position in code points), or undefined. */
export function invisibleFormatChar(text: string): { label: string; at: number } | undefined {
  FORMAT.lastIndex = 0;
  for (let m = FORMAT.exec(text); m; m = FORMAT.exec(text)) {
    const cp = m[0].codePointAt(0) ?? 0;
    if (cp === 0x200d && joinsEmoji(text, m.index)) continue;
    const hex = cp.toString(16).toUpperCase().padStart(4, '0');
    const at = Array.from(text.slice(0, m.index)).length + 1;
    return { label: `U+${hex}${NAMES[cp] ? ` ${NAMES[cp]}` : ''}`, at };
  }
  return undefined;
}

/** True when the ZWJ at `i` sits between two emoji (a variation selector may follow the first). */
function joinsEmoji(text: string, i: number): boolean {
  let before = Array.from(text.slice(Math.max(0, i - 4), i));
  if (before.at(-1) === '\ufe0f') before = before.slice(0, -1);
  const prev = before.at(-1);
  const next = String.fromCodePoint(text.codePointAt(i + 1) ?? 0x20);
  return prev !== undefined && PICTOGRAPH.test(prev) && PICTOGRAPH.test(next);
}
