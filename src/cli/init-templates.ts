/**
 * The manifests `shotlist init --use …` writes: one per use the product is for. Each is commented for
 * a first-time reader, validates and plans as written, and runs on the emulator (`--emulate`).
 */

export const USES = ['campaign', 'bakeoff', 'overnight'] as const;
export type Use = (typeof USES)[number];

export interface ScaffoldFile {
  name: string;
  content: string | Buffer;
}

const HEAD = (what: string) =>
  `# ${what}
# Try it offline and free:   npx shotlist run <this file> --emulate --yes
# Check and price it:        npx shotlist plan <this file>
# Every field: README "A manifest"; editor completion: schemas/manifest.schema.json in the package.
`;

const CAMPAIGN = `${HEAD('Campaign variants: one brief and a product image, in every aspect ratio, stitched into one reel per ratio.')}
name: campaign
provider: fal                    # Veo 3.1 on fal takes a reference image (uploaded once per run)
model: veo-3.1
defaults:
  seconds: 4
  resolution: 720p
  image: product.png             # the reference image: a local file (replace it with your packshot) or a URL
matrix:                          # every shot in both aspect ratios
  aspect: ["16:9", "9:16"]
shots:
  - id: hero
    prompt: "The {product} from the reference image on a rain-soaked neon street at night, slow dolly-in"
    vars: { product: "compact electric car" }
  - id: detail
    prompt: "Macro shot of the {product}'s charging port lighting up in soft blue"
    vars: { product: "compact electric car" }
    takes: 2                     # two independent generations to choose from
budget: { max_usd: 15 }          # the plan is refused above this; spend never passes it
post:
  - thumbnails: { at: 1.0 }
  - stitch: { group_by: aspect } # one reel per aspect ratio
`;

const BAKEOFF = `${HEAD('Bake-off: the same prompts on four providers, side by side in a grid per prompt and aspect.')}
name: bakeoff
defaults:
  seconds: 4
  resolution: 720p
matrix:
  engine:                        # a paired axis: each entry sets provider and model together
    - { provider: fal, model: veo-3.1 }
    - { provider: replicate, model: kling-v3 }
    - { provider: apidot, model: seedance-2-fast }
    # OpenAI retired Sora 2 upstream on 2026-09-24 (plan warns); the emulator still serves it.
    # Swap this line for a provider and model you have access to.
    - { provider: openai, model: sora-2-pro }
  aspect: ["16:9", "9:16"]       # crossed with the pairs: 8 jobs per shot
shots:
  - id: lighthouse
    prompt: "A lighthouse at dawn, waves rolling in, slow aerial orbit"
  - id: market
    prompt: "A busy night market in the rain, handheld tracking shot, warm lanterns"
# Replicate publishes no price for kling-v3 in our sources: a third-party figure, put your own here.
pricing:
  - { provider: replicate, model: kling-v3, usd_per_second: 0.168 }
budget: { max_usd: 25 }
post:
  - thumbnails: { at: 1.0 }
  - grid: { group_by: [shot, aspect], label: [provider, model] }   # one synced grid per prompt and aspect
`;

const OVERNIGHT = `${HEAD('Overnight batch: 200 CSV rows fill one prompt template; cheap short clips under a hard cap.')}
# Kill it any time (Ctrl-C, even kill -9) and continue with: npx shotlist resume runs/overnight
name: overnight
provider: fal
model: wan-2.7                   # Wan 2.7 on fal: 0.10 USD/s at 720p
defaults: { resolution: 720p }
shots:
  - from: overnight.csv          # columns aspect and seconds are shot fields; subject, setting, style fill the template
    prompt: "A {subject} in a {setting}, {style}"
budget: { max_usd: 80 }
post:
  - thumbnails: { at: 0.5 }
  - contact_sheet: { group_by: aspect, cols: 8, rows: 5 }   # 40 clips per sheet, more sheets as needed
`;

const SUBJECTS = ['red fox', 'paper boat', 'vintage tram', 'hot-air balloon', 'street cat'];
const SETTINGS = ['misty forest', 'neon alley', 'desert at noon', 'snowy harbour', 'sunflower field'];
const STYLES = [
  'handheld documentary',
  'slow dolly-in',
  'aerial orbit',
  'locked-off wide shot',
  'macro close-up',
  'tracking shot',
  'time-lapse',
  'golden-hour glow',
];

/** 200 distinct rows: every subject × setting × style, alternating aspect ratio and duration. */
export function overnightCsv(rows = 200): string {
  const out = ['aspect,seconds,subject,setting,style'];
  for (let i = 0; out.length <= rows; i++) {
    const subject = SUBJECTS[i % SUBJECTS.length];
    const setting = SETTINGS[Math.floor(i / SUBJECTS.length) % SETTINGS.length];
    const style = STYLES[Math.floor(i / (SUBJECTS.length * SETTINGS.length)) % STYLES.length];
    out.push(`${i % 2 === 0 ? '16:9' : '9:16'},${i % 3 === 0 ? 4 : 2},${subject},${setting},${style}`);
  }
  return `${out.join('\n')}\n`;
}

/** A 320×180 PNG (a packshot stand-in) so the campaign's image reference exists as written. */
const PRODUCT_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAUAAAAC0CAIAAABqhmJGAAAACXBIWXMAAAABAAAAAQBPJcTWAAAEMElEQVR4nO3TwWkYQBAEQeXj' +
  'dBSFcjM4Of0Vw+rhobmCCmBhtj/+fP0Doj7mFwC/JmAIEzCECRjCBAxhAoYwAUOYgCFMwBAmYAgTMIQJGMIEDGEChjABQ5iAIUzA' +
  'ECZgCBMwhAkYwgQMYQKGMAFDmIAhTMAQJmAIEzCECRjCBAxhAoYwAUOYgCFMwBAmYAgTMIQJGMIEDGEChjABQ5iAIUzAECZgCBMw' +
  'hAkYwgQMYQKGMAFDmIAhTMAQJuCD77+f/AfzoUMEfDD/7EfMhw4R8MH8sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcO' +
  'EfDB/LMfMR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHwwfyzHzEfOkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R' +
  '8MH8sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB/LMfMR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHw' +
  'wfyzHzEfOkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R8MH8sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB' +
  '/LMfMR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHwwfyzHzEfOkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R8MH8' +
  'sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB/LMfMR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHwwfyz' +
  'HzEfOkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R8MH8sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB/LMf' +
  'MR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHwwfyzHzEfOkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R8MH8sx8x' +
  'HzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB/LMfMR86RMAH889+xHzoEAEfzD/7EfOhQwR8MP/sR8yHDhHwwfyzHzEf' +
  'OkTAB/PPfsR86BABH8w/+xHzoUMEfDD/7EfMhw4R8MH8sx8xHzpEwAfzz37EfOgQAR/MP/sR86FDBHww/+xHzIcOEfDB/LMfMR86' +
  'RMAH889+xHzoEAFDmIAhTMAQJmAIEzCECRjCBAxhAoYwAUOYgCFMwBAmYAgTMIQJGMIEDGEChjABQ5iAIUzAECZgCBMwhAkYwgQM' +
  'YQKGMAFDmIAhTMAQJmAIEzCECRjCBAxhAoYwAUOYgCFMwBAmYAgTMIQJGMIEDGEChjABQ5iAIUzAECZgCBMwhAkYwgQMYQKGMAFD' +
  'mIAh7AdXpaS6uPJ23QAAAABJRU5ErkJggg==';

export function scaffold(use: Use): ScaffoldFile[] {
  switch (use) {
    case 'campaign':
      return [
        { name: 'campaign.yaml', content: CAMPAIGN },
        { name: 'product.png', content: Buffer.from(PRODUCT_PNG, 'base64') },
      ];
    case 'bakeoff':
      return [{ name: 'bakeoff.yaml', content: BAKEOFF }];
    case 'overnight':
      return [
        { name: 'overnight.yaml', content: OVERNIGHT },
        { name: 'overnight.csv', content: overnightCsv() },
      ];
  }
}
