/**
 * Uploaded input files (fal storage, Replicate Files API). Stored under the emulator's data
 * directory and served at `/files/<token>.<ext>` like result clips. fal's flow hands out a signed
 * PUT URL first (`/uploads/<token>`, no auth, as a presigned URL needs none), then serves the file.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderName } from '../providers/types.ts';
import type { FileStore } from './files.ts';

/** What an upload needs from the emulator core (structural, so core.ts can own an UploadStore without a cycle). */
interface UploadHost {
  baseUrl: string;
  readonly files: FileStore;
  readonly opts: { dataDir: string };
  newId(hexLen: number): string;
  now(): number;
}

export interface PendingUpload {
  provider: ProviderName;
  token: string;
  contentType: string;
  fileName: string;
  /** The API key that uploaded it (Replicate lists and serves files per account). */
  owner?: string;
  metadata?: unknown;
}

export interface StoredUpload extends PendingUpload {
  size: number;
  sha256: string;
  createdAt: number;
}

const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
};

export function extFor(contentType: string, fileName: string): string {
  const fromName = /\.([A-Za-z0-9]{1,5})$/.exec(fileName)?.[1];
  return (EXT[(contentType.split(';')[0] ?? '').trim().toLowerCase()] ?? fromName ?? 'bin').toLowerCase();
}

export class UploadStore {
  private readonly pending = new Map<string, PendingUpload>();
  readonly stored = new Map<string, StoredUpload>();

  /** Reserve a token: the file's public URL is known before its bytes arrive. */
  initiate(
    core: UploadHost,
    provider: ProviderName,
    contentType: string,
    fileName: string,
    /** A gateway mount's prefix: the URLs handed out stay under it. */
    under = '',
  ): { token: string; uploadUrl: string; fileUrl: string } {
    const token = core.newId(24);
    this.pending.set(token, { provider, token, contentType, fileName });
    return {
      token,
      uploadUrl: `${core.baseUrl}${under}/uploads/${token}`,
      fileUrl: `${core.baseUrl}${under}/files/${token}.${extFor(contentType, fileName)}`,
    };
  }

  /** Store the bytes of a reserved (or a direct) upload and make its file URL serve them. */
  async store(core: UploadHost, p: PendingUpload, bytes: Buffer): Promise<StoredUpload> {
    const dir = join(core.opts.dataDir, 'uploads');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${p.token}.${extFor(p.contentType, p.fileName)}`);
    await writeFile(path, bytes);
    const now = core.now();
    core.files.set(p.token, { provider: p.provider, taskId: `upload:${p.token}`, path, contentType: p.contentType, completedAt: now });
    const s: StoredUpload = { ...p, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), createdAt: now };
    this.stored.set(p.token, s);
    this.pending.delete(p.token);
    return s;
  }

  /** The PUT to a presigned URL: 200 when reserved, 404 otherwise. */
  async put(core: UploadHost, token: string, bytes: Buffer, contentType: string | undefined): Promise<boolean> {
    const p = this.pending.get(token);
    if (!p) return false;
    await this.store(core, { ...p, contentType: contentType ?? p.contentType }, bytes);
    return true;
  }
}
