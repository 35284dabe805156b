/**
 * Provider text is untrusted: it may echo our key back (an error quoting the Authorization header),
 * or carry terminal escapes (clear the screen, print a fake "done" line). These pure helpers clean it
 * where it enters (provider outcomes) and where it leaves (printing, files).
 */

const REDACTED = '[redacted]';
/** Shorter values are not treated as secrets: redacting "1" or "true" everywhere would garble text. */
const MIN_SECRET_LENGTH = 8;

/** Every occurrence of every secret replaced by `[redacted]` (longest first, so overlapping keys go whole). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const live = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  for (const s of live) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

// ANSI CSI/OSC sequences first (so their parameters go too), then any other C0/C1 control character.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Escapes and control characters removed; newlines and tabs kept as plain spaces-safe text. */
export function stripControl(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}

/** Provider text made safe to store and print: no escapes, no secrets. */
export function cleanText(text: string, secrets: readonly string[]): string {
  return redact(stripControl(text), secrets);
}

/** Environment variables that hold credentials by their name (…_KEY, …_TOKEN, …_SECRET). */
const SECRET_NAME = /(^|_)(API_KEY|KEY|TOKEN|SECRET|PASSWORD)$/;

/** Does this environment variable's name say it holds a credential? */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The values of every credential-named variable in the environment: keys of all providers, webhook secrets. */
export function secretsFromEnv(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) if (value && isSecretName(name) && value.length >= MIN_SECRET_LENGTH) out.push(value);
  return out;
}

/** Every string inside a JSON-like value cleaned (for outcomes and records built from provider answers). */
export function cleanDeep<T>(value: T, secrets: readonly string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return cleanText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
