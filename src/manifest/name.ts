/**
 * The manifest's `name:` names the run directory (runs/<name>/), so it must be a safe single path
 * segment on every filesystem a user may copy the run to (ext4, APFS, NTFS, FAT, SMB shares).
 *
 * Allowed: letters, digits and combining marks of any script, plus "-", "_" and "." — normalized
 * to NFC so an NFD name typed on macOS names the same directory elsewhere. Refused rather than
 * mapped: emoji and other symbols (they render differently across tools and some filesystems
 * and shells mangle them), separators, ".", "..", a leading dot (hidden), a trailing dot or
 * space (Windows drops it), Windows device names (CON, NUL.txt, COM1 …), over 80 characters.
 */

export const MAX_NAME_CHARS = 80;

const ALLOWED = /^[\p{L}\p{N}\p{M}_.-]$/u;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `name` cannot name a run directory, or undefined when it can. `name` must be NFC already. */
export function runNameProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `"${name}" is not a usable directory name`;
  for (const ch of name) {
    if (!ALLOWED.test(ch)) {
      const shown = /[\p{Cc}\p{Cf}\s]/u.test(ch) ? '' : `"${ch}" `;
      return `${shown}(${codePoint(ch)}) is not allowed; use letters or digits of any script, "-", "_" or "." (it names the run directory)`;
    }
  }
  if (name.startsWith('.')) return 'may not start with "." (the run directory would be hidden)';
  if (name.endsWith('.')) return 'may not end with "." or a space (Windows drops it)';
  if (WINDOWS_RESERVED.test(name)) return `"${name}" is reserved on Windows (a device name); pick another name`;
  const n = [...name].length;
  if (n > MAX_NAME_CHARS) return `must be at most ${MAX_NAME_CHARS} characters, got ${n}`;
  return undefined;
}

/** A safe run name derived from a file name (when the manifest gives none): never refused. */
export function runNameFromFile(stem: string): string {
  let s = '';
  for (const ch of stem.normalize('NFC')) s += ALLOWED.test(ch) ? ch : '-';
  s = s
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
  s = [...s].slice(0, MAX_NAME_CHARS).join('').replace(/\.+$/, '');
  if (s === '') return 'run';
  return WINDOWS_RESERVED.test(s) ? `${s}-run` : s;
}
