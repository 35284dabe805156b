/** Small manifests written to temp dirs for CLI tests. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(prefix = 'shotlist-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** An OpenAI sora-2 manifest with `n` distinct prompts (4 s, 16:9), so the emulator's task list maps to jobs. */
export async function writeOpenaiManifest(dir: string, n: number, extra = ''): Promise<string> {
  const shots = Array.from({ length: n }, (_, i) => `  - id: s${i}\n    prompt: "Test shot number ${i}, a red ball bouncing"`);
  const text = [
    'name: resume-test',
    'provider: openai',
    'model: sora-2',
    'defaults: { seconds: 4, aspect: "16:9", resolution: 720p }',
    'shots:',
    ...shots,
    extra,
  ].join('\n');
  const file = join(dir, 'manifest.yaml');
  await writeFile(file, `${text}\n`);
  return file;
}
