/**
 * report.html: one static, self-contained page (inline CSS and JS, relative links to clips,
 * thumbnails and post outputs, nothing fetched from the network) for reviewing a run and
 * signing off picks. Every piece of user text goes through `esc`.
 */
import { join } from 'node:path';
import { formatUsd } from '../money.ts';
import { REPORT_CSS, REPORT_JS } from './assets.ts';
import { comparisonGroups, type Comparison } from './compare.ts';
import { groupLabels } from './labels.ts';
import { referenceThumbs } from './refs.ts';
import { buildResults, writeAtomic, type ResultJob, type Results, type ResultsOptions } from './results.ts';
import type { PostOutput } from './types.ts';
import type { ReportItem } from './types.ts';

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A run-relative path as a URL-encoded relative href (no scheme can sneak in). */
export function href(rel: string): string {
  return rel.split('/').map(encodeURIComponent).join('/');
}

const money = (n: number | null): string => (n === null ? 'unpriced' : formatUsd(n));
const when = (iso: string | null): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

function options(values: string[]): string {
  return [...new Set(values)]
    .sort()
    .map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)
    .join('');
}

function kv(rows: Array<[string, unknown]>): string {
  return `<dl class="kv">${rows
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>`;
}

function stat(key: string, label: string, shown: string, value: number | string): string {
  return `<div class="stat" data-total="${esc(key)}" data-value="${esc(value)}"><b>${esc(shown)}</b><span>${esc(label)}</span></div>`;
}

function jobCard(j: ResultJob): string {
  const media = j.clip
    ? `<video controls preload="none" playsinline data-src="${href(j.clip.path)}"${j.thumbnail ? ` data-poster="${href(j.thumbnail)}"` : ''}></video>`
    : j.thumbnail
      ? `<img alt="" loading="lazy" src="${href(j.thumbnail)}">`
      : `<div class="nomedia">${esc(j.error ? 'no clip' : `no clip yet (${j.state})`)}</div>`;
  const p = j.parameters;
  const params = Object.entries(p.params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return `<article class="card" data-job="${esc(j.id)}" data-provider="${esc(j.provider)}" data-model="${esc(j.model)}" data-state="${esc(j.state)}" data-qc="${j.qc ? (j.qc.ok ? 'ok' : 'flagged') : 'none'}">
<div class="media">${media}</div>
<div class="body">
<div class="title"><span class="who">${esc(j.provider)} · ${esc(j.model)} <small>${esc(j.shot)}${j.take > 1 ? ` · take ${j.take}` : ''}</small></span><span class="badges">${qcBadge(j)}<span class="badge s-${esc(j.state)}">${esc(j.state)}</span></span></div>
${j.error ? `<div class="err"><b>${esc(j.error.code)}</b>: ${esc(j.error.message)}</div>` : ''}
<div class="prompt">${esc(j.prompt)}</div>
${refFigure(j)}
${kv([
  ['params', `${p.seconds}s · ${p.aspect} · ${p.resolution} · ${p.size}${p.seed !== null ? ` · seed ${p.seed}` : ''} · ${j.tier}`],
  ['negative', p.negative_prompt],
  ['guidance', p.guidance],
  ['image', p.image],
  ['extra', params],
  ['cost', `${money(j.cost.plannedUsd)} planned · ${money(j.cost.spentUsd)} spent`],
  ['task', j.taskId],
  ['job', j.id],
  ['submitted', when(j.timings.submittedAt)],
  ['generation', j.timings.generationS === null ? null : `${j.timings.generationS}s`],
  ['total', j.timings.totalS === null ? null : `${j.timings.totalS}s (${j.attempts} attempt${j.attempts === 1 ? '' : 's'})`],
  ['clip', j.clip ? `${j.clip.width}x${j.clip.height} · ${j.clip.durationS}s · ${(j.clip.bytes / 1e6).toFixed(2)} MB` : null],
])}
</div></article>`;
}

/** The reference image a job started from: its thumbnail (inside the run dir) and its name. */
function refFigure(j: ResultJob): string {
  const image = j.parameters.image;
  if (!image || !j.imageThumbnail) return '';
  const name = image.split(/[\\/]/).pop() ?? image;
  return `<figure class="ref"><img alt="reference image" loading="lazy" src="${href(j.imageThumbnail)}"><figcaption title="${esc(image)}">reference: ${esc(name)}</figcaption></figure>`;
}

/** A results row's field as the label builder reads it (same names as the manifest's fields). */
function resultField(j: ResultJob, f: string): string {
  switch (f) {
    case 'provider':
      return j.provider;
    case 'model':
      return j.model;
    case 'resolution':
      return j.parameters.resolution;
    case 'seed':
      return j.parameters.seed === null ? '' : String(j.parameters.seed);
    case 'take':
      return String(j.take);
    case 'cost':
      return j.cost.plannedUsd === null ? 'unpriced' : money(j.cost.plannedUsd);
    case 'aspect':
      return j.parameters.aspect;
    case 'size':
      return j.parameters.size;
    case 'seconds':
      return String(j.parameters.seconds);
    case 'tier':
      return j.tier;
    case 'prompt':
      return j.prompt;
    case 'id':
    case 'job':
      return j.id;
    default:
      return j.fields[f] ?? '';
  }
}

function qcBadge(j: ResultJob): string {
  if (!j.qc) return '';
  if (j.qc.ok) return `<span class="badge qc-ok" title="clip QC passed">QC ok</span>`;
  const kinds = [...new Set(j.qc.issues.map((i) => i.kind.replace('_', ' ')))].join(', ');
  return `<span class="badge qc-bad" title="${esc(j.qc.issues.map((i) => i.message).join('; '))}">QC: ${esc(kinds)}</span>`;
}

function comparisonRow(c: Comparison, byId: Map<string, ResultJob>, n: number): string {
  const shown = c.jobs.map((id) => byId.get(id)).filter((j): j is ResultJob => !!j?.clip);
  const labels = groupLabels(shown, resultField, undefined, Object.keys(shown[0]?.fields ?? {}));
  const tiles = shown
    .map((j, i) => {
      const clip = j.clip?.path ?? '';
      return `<div class="tile" data-job="${esc(j.id)}" data-qc="${j.qc ? (j.qc.ok ? 'ok' : 'flagged') : ''}">
<video muted preload="metadata" playsinline controls data-src="${href(clip)}"${j.thumbnail ? ` data-poster="${href(j.thumbnail)}"` : ''}></video>
<div class="cap"><label><input type="radio" name="pick-${n}" value="${esc(j.id)}" data-group="${esc(c.key)}" data-shot="${esc(j.shot)}" data-provider="${esc(j.provider)}" data-model="${esc(j.model)}" data-clip="${esc(clip)}"><kbd>${i < 9 ? i + 1 : ''}</kbd> <span class="label">${esc(labels[i] ?? '')}</span></label>${qcBadge(j)}</div>
</div>`;
    })
    .join('');
  const grid = c.grid ? `<video class="gridvid" muted preload="metadata" playsinline controls data-src="${href(c.grid)}"></video>` : '';
  return `<section class="compare" data-group="${esc(c.key)}" tabindex="-1">
<header><h3>${esc(c.title)}</h3><button type="button" data-action="playall">▶ play / pause all</button><span class="sub">${esc(c.note ?? '')}</span></header>
${grid}<div class="strip">${tiles}</div></section>`;
}

function outputCard(o: PostOutput): string {
  const isVideo = o.output.endsWith('.mp4');
  const media =
    o.kind === 'failed'
      ? `<div class="nomedia">not made</div>`
      : isVideo
        ? `<video controls preload="metadata" playsinline data-src="${href(o.output)}#t=0.1"></video>`
        : `<img alt="" loading="lazy" src="${href(o.output)}">`;
  return `<article class="card output" data-output="${esc(o.output)}"><div class="media">${media}</div><div class="body">
<div class="title"><span class="who">${esc(o.step)}${o.group ? ` <small>${esc(o.group)}</small>` : ''}</span><span class="badge ${o.kind === 'failed' ? 's-failed' : 's-downloaded'}">${esc(o.kind)}</span></div>
${kv([
  ['file', o.output],
  ['clips', o.inputs.length],
  ['method', o.method],
  ['note', o.message],
])}
</div></article>`;
}

/** Rows rendered up front, and per chunk as the reader scrolls (see REPORT_JS): enough to fill a tall screen. */
export const CARDS_PER_CHUNK = 48;
export const GROUPS_PER_CHUNK = 8;

/** The first chunk as markup, the rest in inert <template>s (parsed, not laid out, no media fetched). */
export function chunked(parts: readonly string[], size: number): string {
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += size) {
    const html = parts.slice(i, i + size).join('\n');
    out.push(i === 0 ? html : `<template data-chunk>${html}</template>`);
  }
  return out.join('\n');
}

export function renderReport(results: Results): string {
  const { totals, jobs } = results;
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const comparisons = comparisonGroups(results);
  const failed = jobs.filter((j) => j.error || ['failed', 'rejected', 'expired', 'unknown'].includes(j.state));
  // Posters already show on the job cards; outputs with nothing to make (no usable clip) are noise.
  const outputs = results.post.filter(
    (o) => !(o.step === 'thumbnails' && o.output === `thumbs/${o.inputs[0]}.jpg`) && !(o.kind === 'skipped' && o.inputs.length === 0),
  );
  const stateStats = Object.entries(totals.states)
    .map(([s, n]) => stat(`state:${s}`, s, String(n), n ?? 0))
    .join('');
  const title = results.name ? `${results.name} — shotlist report` : 'shotlist report';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src file: data: blob: 'self'; media-src file: blob: 'self'; connect-src 'none'">
<title>${esc(title)}</title><style>${REPORT_CSS}</style></head>
<body data-run="${esc(results.name ?? '')}">
<header><h1>${esc(results.name ?? 'shotlist run')}</h1>
<div class="sub">Generated ${esc(when(results.generatedAt))} · ${totals.clips} clips · ${totals.clipSeconds}s of video</div>
<div class="totals">${stat('jobs', 'jobs', String(totals.jobs), totals.jobs)}${stateStats}
${stat('plannedUsd', 'planned', money(totals.plannedUsd), totals.plannedUsd)}${stat('spentUsd', 'spent', money(totals.spentUsd), totals.spentUsd)}
${totals.unpricedJobs ? stat('unpriced', 'unpriced jobs', String(totals.unpricedJobs), totals.unpricedJobs) : ''}</div></header>
<div class="toolbar">
<label>provider <select data-filter="provider"><option value="">all</option>${options(jobs.map((j) => j.provider))}</select></label>
<label>model <select data-filter="model"><option value="">all</option>${options(jobs.map((j) => j.model))}</select></label>
<label>state <select data-filter="state"><option value="">all</option>${options(jobs.map((j) => j.state))}</select></label>
<label>QC <select data-filter="qc"><option value="">all</option><option value="flagged">flagged (${results.qc.flagged.length})</option><option value="ok">ok</option><option value="none">not checked</option></select></label>
<span class="sub" id="shown"></span><span class="spacer"></span>
${comparisons.length ? `<span class="sub" id="pickcount"></span><button type="button" class="primary" id="export-picks">Export picks (CSV)</button>` : ''}
</div>
<main>
${
  comparisons.length
    ? `<h2>Compare &amp; pick</h2><div class="groups" data-chunks>${chunked(
        comparisons.map((c, i) => comparisonRow(c, byId, i)),
        GROUPS_PER_CHUNK,
      )}</div>`
    : ''
}
${
  failed.length
    ? `<h2>Failures (${failed.length})</h2><ul class="failures">${failed
        .map(
          (j) =>
            `<li><div><code>${esc(j.id)}</code> ${esc(j.shot)} · ${esc(j.provider)} · ${esc(j.model)} <span class="badge s-${esc(j.state)}">${esc(j.state)}</span> <span class="reason">${esc(j.error ? `${j.error.code}: ${j.error.message}` : '')}</span></div><div class="prompt">${esc(j.prompt)}</div></li>`,
        )
        .join('')}</ul>`
    : ''
}
${outputs.length ? `<h2>Post outputs</h2><div class="outputs">${outputs.map(outputCard).join('')}</div>` : ''}
<h2>Jobs</h2>
<div class="cards" data-chunks>${chunked(jobs.map(jobCard), CARDS_PER_CHUNK)}</div>
</main>
<footer>Static report: files are linked relatively from this run directory. Data: <a href="results.json" style="color:var(--accent)">results.json</a> · <a href="results.csv" style="color:var(--accent)">results.csv</a></footer>
<script>${REPORT_JS}</script>
</body></html>
`;
}

/** Writes `report.html` into the run directory; returns the results it was rendered from. */
export async function writeReport(
  runDir: string,
  items: readonly ReportItem[],
  post: readonly PostOutput[],
  opts: ResultsOptions = {},
): Promise<Results> {
  const refs = opts.refs ?? (await referenceThumbs(runDir, items));
  const results = buildResults(items, post, { ...opts, refs });
  await writeReportOf(runDir, results);
  return results;
}

/** Write report.html from results already built (by writeResults), so clips are probed once. */
export async function writeReportOf(runDir: string, results: Results): Promise<void> {
  await writeAtomic(join(runDir, 'report.html'), renderReport(results));
}
