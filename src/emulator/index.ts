/**
 * The provider emulator: one HTTP server on 127.0.0.1 speaking every provider's wire contract,
 * each under its own prefix, rendering real MP4s for finished tasks.
 */
import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { baseUrlEnv } from '../providers/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import { CallbackSender, createFalSigner, DEFAULT_WEBHOOK_SECRETS } from './callbacks.ts';
import { EmuCore, type ProviderModule } from './core.ts';
import { ProviderFaults } from './faults.ts';
import { ClipRenderer, FileStore } from './files.ts';
import { sendJson } from './http.ts';
import { ADMIN_PREFIX, adminTask } from './admin.ts';
import { PROVIDER_MODULES } from './providers/index.ts';
import { createRng, deriveSeed } from './rng.ts';
import { handleRequest } from './server.ts';
import type { EmulatorHandle, EmulatorOptions, RenderMode } from './types.ts';

/** The render mode when the caller names none: unique clips, unless the environment asks for shared renders. */
export function defaultRenderMode(env: Record<string, string | undefined>): RenderMode {
  return env.SHOTLIST_EMULATOR_RENDER === 'shared' ? 'shared' : 'unique';
}

export type { EmulatorHandle, EmulatorOptions, FaultConfig, EmulatorCounts } from './types.ts';
export { DEFAULT_WEBHOOK_SECRETS, standardWebhookSignature, hexHmacSignature, falSignature } from './callbacks.ts';
export { DEFAULT_RENDER_MS, DEFAULT_URL_TTL_MS } from './faults.ts';

/** fal's webhook `X-Fal-Webhook-User-Id` for every emulated delivery. */
export const EMULATOR_FAL_USER_ID = 'emulator-user';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'shotlist-emu-')));
  await mkdir(dataDir, { recursive: true });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every pending task timer and callback delivery listens to it

  const faults = Object.fromEntries(PROVIDER_NAMES.map((p) => [p, new ProviderFaults(p, opts.faults?.[p], seed, clock)])) as Record<
    ProviderName,
    ProviderFaults
  >;
  const secrets: Partial<Record<ProviderName, string>> = { ...DEFAULT_WEBHOOK_SECRETS, ...opts.webhookSecrets };
  const falSigner = createFalSigner();
  // Ids and URL tokens are fresh per instance (fault draws stay seeded): a restarted emulator must never
  // hand out an id a previous instance gave to another task, or a resumed run could adopt a stranger's task.
  const nonce = randomInt(2 ** 31);
  const ids = createRng(deriveSeed(nonce, 'ids'));
  const tokens = createRng(deriveSeed(nonce, 'tokens'));
  const core = new EmuCore(
    clock,
    faults,
    new ClipRenderer(dataDir, opts.render ?? defaultRenderMode(process.env), opts.renderConcurrency ?? 2, stop.signal),
    new FileStore(() => tokens.alnum(24)),
    ids,
    new CallbackSender({ clock, signal: stop.signal, duplicates: opts.webhookDuplicates ?? 0 }),
    falSigner,
    secrets,
    {
      openaiWebhookUrl: opts.openaiWebhookUrl,
      outOfOrder: opts.webhookOutOfOrder ?? false,
      falUserId: EMULATOR_FAL_USER_ID,
      dataDir,
      mounts: opts.mounts,
    },
    stop.signal,
  );
  for (const m of PROVIDER_MODULES) core.modules.set(m.name, m);

  const server: Server = createServer((req, res) => {
    handleRequest(core, req, res).catch((err: unknown) => {
      // A bug in a handler: answer 500 rather than hang the client.
      if (!res.headersSent) sendJson(res, 500, { error: `emulator error: ${(err as Error)?.message ?? String(err)}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  core.baseUrl = url;

  const baseUrls = Object.fromEntries(PROVIDER_MODULES.map((m: ProviderModule) => [m.name, `${url}${m.prefix}`])) as Record<
    ProviderName,
    string
  >;

  return {
    url,
    baseUrls,
    webhookSecrets: secrets,
    falJwksUrl: `${url}/fal/.well-known/jwks.json`,
    counts(provider) {
      if (provider) return { ...core.counts[provider] };
      const sum = { creates: 0, statusGets: 0, downloads: 0, lists: 0, rejected429: 0, total: 0 };
      for (const c of Object.values(core.counts)) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += c[k];
      return sum;
    },
    tasks(provider) {
      const now = clock.now();
      return core.store.all(provider).map((t) => adminTask(t, now));
    },
    setFaults(provider, f) {
      faults[provider].set(f);
    },
    async stop() {
      // Let deliveries already on the wire land, but don't wait out retry backoffs.
      await core.callbacks.drain(300);
      stop.abort();
      await core.callbacks.drain(300);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // A render killed by the abort above may still be writing its output as it exits: retry ENOTEMPTY.
      if (ownDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
}

/** Lines for `shotlist emulate`: each provider's base URL and the env var that points an adapter at it. */
export function describeEmulator(handle: EmulatorHandle): string[] {
  const lines = [`shotlist emulator listening on ${handle.url}`];
  for (const p of PROVIDER_NAMES) lines.push(`  ${p.padEnd(10)} ${handle.baseUrls[p]}   (${baseUrlEnv(p)})`);
  if (handle.falJwksUrl) lines.push(`  fal JWKS   ${handle.falJwksUrl}`);
  lines.push(`  received   ${handle.url}${ADMIN_PREFIX}/tasks  ${handle.url}${ADMIN_PREFIX}/counts`);
  lines.push('  any non-empty API key is accepted');
  return lines;
}
