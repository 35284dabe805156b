/** The report's inline stylesheet and script. Kept apart from the markup so each stays readable. */

export const REPORT_CSS = `
:root{--bg:#0f1115;--panel:#171a21;--panel2:#1e222b;--line:#2a2f3a;--text:#e6e8ee;--muted:#9aa3b2;
--accent:#6ea8fe;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--pick:#a371f7;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font-size:14px;line-height:1.45}
header{padding:20px 28px 12px;border-bottom:1px solid var(--line);background:linear-gradient(180deg,#161a22,#0f1115)}
h1{margin:0 0 2px;font-size:22px;font-weight:650;letter-spacing:.2px}
h2{font-size:16px;margin:28px 0 12px;font-weight:600;color:#cfd6e4}
.sub{color:var(--muted);font-size:12.5px}
main{padding:0 28px 40px}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.stat{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:8px 14px;min-width:110px}
.stat b{display:block;font-size:20px;font-weight:650}
.stat span{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.6px}
.toolbar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;align-items:center;gap:10px;padding:10px 28px;
background:rgba(15,17,21,.94);backdrop-filter:blur(6px);border-bottom:1px solid var(--line)}
.toolbar label{color:var(--muted);font-size:12px;display:flex;gap:6px;align-items:center}
select,button{background:var(--panel2);color:var(--text);border:1px solid var(--line);border-radius:7px;padding:5px 9px;font:inherit;font-size:13px}
button{cursor:pointer}button:hover{border-color:var(--accent)}
button.primary{background:#1f3a63;border-color:#2f5a96}
.spacer{flex:1}
.badge{display:inline-block;white-space:nowrap;flex:none;padding:1px 8px;border-radius:999px;font-size:11.5px;font-weight:600;border:1px solid transparent}
.s-downloaded,.s-succeeded{background:rgba(63,185,80,.14);color:#56d364;border-color:rgba(63,185,80,.35)}
.s-failed,.s-rejected,.s-expired,.s-unknown{background:rgba(248,81,73,.13);color:#ff7b72;border-color:rgba(248,81,73,.35)}
.s-planned,.s-submitting,.s-submitted,.s-running{background:rgba(210,153,34,.14);color:#e3b341;border-color:rgba(210,153,34,.35)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:12px;overflow:hidden;display:flex;flex-direction:column}
.card.hidden,.hidden{display:none!important}
.media{background:#000;aspect-ratio:16/9;display:flex;align-items:center;justify-content:center}
.media video,.media img{width:100%;height:100%;object-fit:contain;display:block}
.media .nomedia{color:var(--muted);font-size:12.5px;padding:16px;text-align:center}
.body{padding:10px 12px 12px;display:flex;flex-direction:column;gap:6px}
.title{display:flex;justify-content:space-between;gap:8px;align-items:flex-start}
.title .who{min-width:0;overflow-wrap:break-word}
.title .who{font-weight:600}
.title .who small{color:var(--muted);font-weight:500}
.prompt{color:#d5dae4;font-size:13px;max-height:5.8em;overflow:auto}
.kv{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;font-size:12px;color:var(--muted)}
.kv dt{color:#7d8796}.kv dd{margin:0;color:#c4cad6;min-width:0;overflow-wrap:break-word}
.badges{display:flex;gap:6px;flex-wrap:wrap;justify-content:flex-end}
.qc-ok{background:rgba(63,185,80,.10);color:#56d364;border-color:rgba(63,185,80,.3)}
.qc-bad{background:rgba(210,153,34,.16);color:#e3b341;border-color:rgba(210,153,34,.45)}
.card{content-visibility:auto;contain-intrinsic-size:auto 460px}
kbd{font:11px ui-monospace,monospace;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 4px}
.compare.current{border-color:var(--accent)}
.failures .prompt{color:var(--muted);font-size:12.5px}
.err{background:rgba(248,81,73,.09);border:1px solid rgba(248,81,73,.35);color:#ffa198;border-radius:8px;padding:6px 9px;font-size:12.5px}
.cost{font-variant-numeric:tabular-nums}
.compare{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:12px;margin-bottom:14px}
.compare header{all:unset;display:flex;gap:10px;align-items:center;margin-bottom:10px}
.compare header h3{margin:0;font-size:14.5px;font-weight:600}
.compare .gridvid{width:100%;max-height:420px;background:#000;border-radius:8px;display:block;margin-bottom:10px}
.strip{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px}
.tile{background:var(--panel2);border:1px solid var(--line);border-radius:9px;overflow:hidden}
.tile video{width:100%;aspect-ratio:16/9;background:#000;display:block;object-fit:contain}
.tile .cap{padding:6px 8px;font-size:12px;display:flex;justify-content:space-between;gap:6px;align-items:flex-start;flex-wrap:wrap}
.tile .label{overflow-wrap:break-word}
.tile label{display:flex;gap:6px;align-items:flex-start;cursor:pointer;min-width:0}
.tile.picked{border-color:var(--pick);box-shadow:0 0 0 1px var(--pick) inset}
input[type=radio]{accent-color:var(--pick)}
.outputs{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}
.ref{display:flex;gap:8px;align-items:center;margin:0}
.ref img{max-width:96px;max-height:72px;border-radius:6px;border:1px solid var(--line);background:#000;flex:none}
.ref figcaption{font-size:12px;color:var(--muted);min-width:0;overflow-wrap:anywhere}
.more{grid-column:1/-1;height:1px}
.failures{margin:0;padding-left:18px}.failures li{margin:3px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:#b7c3d6}
footer{color:var(--muted);font-size:12px;padding:18px 28px;border-top:1px solid var(--line)}
`;

/**
 * Rows on demand, lazy media, filters, synced playback, keyboard review and picks. No network.
 * Large reports arrive as chunks in <template> elements (parsed, never laid out, no media loaded):
 * a chunk is put into the page when the end of the one before scrolls near, and a video gets its
 * src and poster only when it comes near the viewport. Filters, picks and counts read and mark the
 * chunks still in templates too, so they cover every job, not only the rendered ones.
 */
export const REPORT_JS = `
(function(){
  var $ = function(s, r){ return Array.prototype.slice.call((r || document).querySelectorAll(s)); };
  // Every match: in the page and in chunks not rendered yet.
  function all(s){ var out = $(s); $('template[data-chunk]').forEach(function(t){ out = out.concat($(s, t.content)); }); return out; }

  function load(m){
    var p = m.getAttribute('data-poster'), s = m.getAttribute('data-src');
    if (p !== null) { m.setAttribute('poster', p); m.removeAttribute('data-poster'); }
    if (s !== null) { m.setAttribute('src', s); m.removeAttribute('data-src'); }
  }
  var near = 'IntersectionObserver' in window ? new IntersectionObserver(function(es){
    es.forEach(function(e){ if (e.isIntersecting) { near.unobserve(e.target); load(e.target); } });
  }, { rootMargin: '600px 0px' }) : null;
  function lazy(root){ $('[data-src],[data-poster]', root).forEach(function(m){ if (near) near.observe(m); else load(m); }); }

  function realize(t){
    var nodes = Array.prototype.slice.call(t.content.children);
    t.replaceWith(t.content);
    nodes.forEach(function(n){ lazy(n); });
  }
  var more = 'IntersectionObserver' in window ? new IntersectionObserver(function(es){
    es.forEach(function(e){
      if (!e.isIntersecting) return;
      var box = e.target.parentNode; more.unobserve(e.target); e.target.remove();
      var t = box.querySelector(':scope > template[data-chunk]');
      if (t) realize(t);
      watch(box);
    });
  }, { rootMargin: '1200px 0px' }) : null;
  function watch(box){
    var t = box.querySelector(':scope > template[data-chunk]');
    if (!t) return;
    if (!more) { while (t) { realize(t); t = box.querySelector(':scope > template[data-chunk]'); } return; }
    var s = document.createElement('div'); s.className = 'more'; box.insertBefore(s, t); more.observe(s);
  }
  function realizeAll(){
    $('.more').forEach(function(s){ if (more) more.unobserve(s); s.remove(); });
    $('template[data-chunk]').forEach(realize);
  }
  // Puts the chunks up to (and including) the one holding el into the page.
  function reveal(el){
    while (!document.body.contains(el)) {
      var t = $('template[data-chunk]').filter(function(t){ return t.content.contains(el); })[0];
      if (!t) return;
      var box = t.parentNode, first;
      while ((first = box.querySelector(':scope > template[data-chunk]'))) { var last = first === t; realize(first); if (last) break; }
      $(':scope > .more', box).forEach(function(s){ if (more) more.unobserve(s); s.remove(); });
      watch(box);
    }
  }
  lazy(document);
  $('[data-chunks]').forEach(watch);
  // For screenshots and tests: every row in the page, every video's source and metadata loading.
  window.shotlistReport = { realizeAll: realizeAll, loadAll: function(){
    realizeAll(); $('[data-src],[data-poster]').forEach(load);
    $('video[preload=none]').forEach(function(v){ v.preload = 'metadata'; });
  } };

  // Elements keep their identity when a chunk moves into the page: collect each kind once.
  var cards = all('.card[data-job]'), tiles = all('.tile[data-job]'), radios = all('input[type=radio][data-group]'), groups = all('.compare[data-group]');
  var filters = $('select[data-filter]');
  function applyFilters(){
    var want = {};
    filters.forEach(function(f){ want[f.getAttribute('data-filter')] = f.value; });
    var shown = 0;
    cards.forEach(function(c){
      var ok = Object.keys(want).every(function(k){ return !want[k] || c.getAttribute('data-' + k) === want[k]; });
      c.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    var n = document.getElementById('shown');
    if (n) n.textContent = shown + ' of ' + cards.length + ' jobs';
  }
  filters.forEach(function(f){ f.addEventListener('change', applyFilters); });
  applyFilters();

  // Synced playback: play, pause, seek or rate change on one video of a row applies to all of it.
  var busy = false;
  function sync(type, fn){
    document.addEventListener(type, function(e){
      var v = e.target, row = v && v.closest ? v.closest('.compare') : null;
      if (!row || v.tagName !== 'VIDEO' || busy) return;
      busy = true;
      try { $('video', row).forEach(function(o){ if (o !== v) { load(o); fn(v, o); } }); } finally { busy = false; }
    }, true);
  }
  function align(v, o){ if (Math.abs(o.currentTime - v.currentTime) > 0.05) o.currentTime = Math.min(v.currentTime, o.duration || v.currentTime); }
  sync('play', function(v, o){ align(v, o); var p = o.play(); if (p && p.catch) p.catch(function(){}); });
  sync('pause', function(v, o){ o.pause(); });
  sync('seeked', align);
  sync('ratechange', function(v, o){ o.playbackRate = v.playbackRate; });
  document.addEventListener('click', function(e){
    var btn = e.target && e.target.closest ? e.target.closest('[data-action=playall]') : null;
    if (!btn) return;
    var vids = $('video', btn.closest('.compare')), first = vids[0];
    if (!first) return;
    vids.forEach(load);
    if (first.paused) { vids.forEach(function(v){ v.currentTime = 0; }); var p = first.play(); if (p && p.catch) p.catch(function(){}); } else first.pause();
  });

  // Picks: one radio per group; remembered in localStorage; exported as CSV.
  var key = 'shotlist-picks:' + (document.body.getAttribute('data-run') || '');
  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(key) || '{}') || {}; } catch (e) { saved = {}; }
  function markPicked(){
    tiles.forEach(function(t){ var r = t.querySelector('input[type=radio]'); t.classList.toggle('picked', !!(r && r.checked)); });
    var n = radios.filter(function(r){ return r.checked; }).length, el = document.getElementById('pickcount');
    if (el) el.textContent = n + ' of ' + groups.length + ' groups picked';
  }
  radios.forEach(function(r){ if (saved[r.getAttribute('data-group')] === r.value) r.checked = true; });
  document.addEventListener('change', function(e){
    var r = e.target;
    if (!r || r.tagName !== 'INPUT' || r.type !== 'radio' || !r.hasAttribute('data-group')) return;
    saved[r.getAttribute('data-group')] = r.value;
    try { localStorage.setItem(key, JSON.stringify(saved)); } catch (err) {}
    markPicked();
  });
  markPicked();

  // Keyboard review: j/k or arrows move between groups, space plays/pauses the group, 1-9 pick.
  var current = -1;
  function focusGroup(i){
    if (!groups.length) return;
    current = Math.max(0, Math.min(groups.length - 1, i));
    var was = document.querySelector('.compare.current');
    if (was) was.classList.remove('current');
    groups[current].classList.add('current');
    reveal(groups[current]);
    groups[current].scrollIntoView({ block: 'start' });
  }
  document.addEventListener('keydown', function(e){
    var t = e.target, g = current >= 0 ? groups[current] : null;
    if (e.ctrlKey || e.metaKey || e.altKey || (t && /^(SELECT|TEXTAREA)$/.test(t.tagName)) || (t && t.tagName === 'INPUT' && t.type === 'text')) return;
    if (e.key === 'j' || e.key === 'ArrowDown') { focusGroup(current + 1); e.preventDefault(); }
    else if (e.key === 'k' || e.key === 'ArrowUp') { focusGroup(current - 1); e.preventDefault(); }
    else if (e.key === ' ' && g) { var b = g.querySelector('[data-action=playall]'); if (b) b.click(); e.preventDefault(); }
    else if (/^[1-9]$/.test(e.key) && g) {
      var r = $('input[type=radio][data-group]', g)[Number(e.key) - 1];
      if (r) { r.checked = true; r.dispatchEvent(new Event('change', { bubbles: true })); e.preventDefault(); }
    }
  });
  function csvField(v){ v = v == null ? '' : String(v); return /[",\\r\\n]|^\\s|\\s$/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }
  window.shotlistPicksCsv = function(){
    var lines = [['group','job_id','shot','provider','model','clip'].join(',')];
    radios.filter(function(r){ return r.checked; }).forEach(function(r){
      lines.push([r.getAttribute('data-group'), r.value, r.getAttribute('data-shot'), r.getAttribute('data-provider'), r.getAttribute('data-model'), r.getAttribute('data-clip')].map(csvField).join(','));
    });
    return lines.join('\\r\\n') + '\\r\\n';
  };
  var exp = document.getElementById('export-picks');
  if (exp) exp.addEventListener('click', function(){
    var blob = new Blob([window.shotlistPicksCsv()], { type: 'text/csv' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = (document.body.getAttribute('data-run') || 'shotlist') + '-picks.csv';
    document.body.appendChild(a); a.click();
    setTimeout(function(){ URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
})();
`;
