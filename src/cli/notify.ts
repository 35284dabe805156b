/**
 * `--notify <command|url>`: when a run ends, whatever the outcome, hand its summary JSON to a URL
 * (POST, bounded time) or to a command (on stdin). A notification is a courtesy: a failure is a
 * warning and never changes the exit code; the payload is redacted and the command's environment
 * carries no credentials.
 */
import { spawn } from 'node:child_process';
import { isSecretName, redact, secretsFromEnv } from '../safety/text.ts';

export const NOTIFY_TIMEOUT_MS = 10_000;

export type NotifyTarget = { kind: 'url'; url: string } | { kind: 'command'; command: string };
export type NotifyResult = { ok: true; detail: string } | { ok: false; reason: string };

/** An http(s) URL is POSTed to; anything else is a shell command. */
export function parseNotifyTarget(text: string): NotifyTarget {
  const t = text.trim();
  return /^https?:\/\//i.test(t) ? { kind: 'url', url: t } : { kind: 'command', command: t };
}

/** Credential-named variables removed: a hook script has no business with provider keys. */
export function envWithoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !isSecretName(k)));
}

async function postJson(url: string, body: string, timeoutMs: number): Promise<NotifyResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'shotlist-notify' },
      body,
      redirect: 'manual', // never follow the summary elsewhere
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.ok ? { ok: true, detail: `HTTP ${res.status}` } : { ok: false, reason: `HTTP ${res.status}` };
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, reason: `no answer within ${timeoutMs / 1000} s` };
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
    return { ok: false, reason: cause };
  }
}

function runCommand(command: string, body: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<NotifyResult> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, cwd, env: envWithoutSecrets(env), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-300)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: e.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, detail: 'exit 0' });
      else
        resolve({
          ok: false,
          reason: signal
            ? `killed after ${timeoutMs / 1000} s`
            : `exit ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
        });
    });
    // A command that does not read its stdin closes the pipe early: that is its choice, not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}

/** Sends `summary` to `target`; returns what happened (the caller prints it). */
export async function notify(
  target: string,
  summary: unknown,
  o: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<NotifyResult> {
  const body = redact(JSON.stringify(summary), secretsFromEnv(o.env));
  const t = parseNotifyTarget(target);
  const timeoutMs = o.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  return t.kind === 'url' ? postJson(t.url, body, timeoutMs) : runCommand(t.command, body, o.env, o.cwd, timeoutMs);
}
