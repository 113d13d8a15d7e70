/* viewer.js: the log viewer (GET /view/NAME). Reads the log through the
 * /v1 routes of the same server, with the visitor's credential (a signed
 * URL's query, or a pasted token kept in sessionStorage): the tail first
 * (GET /v1/lines/NAME?tail=N, then Range from there, following while the
 * log is live), earlier lines on demand in blocks, the whole log searched
 * by the server (/v1/search/NAME), the error and warning counts from
 * /v1/logs/NAME/stats and their lines from the server's classifier scans
 * (/v1/search/NAME?severity=...),
 * receive times per line from the line index (/v1/lines/NAME?times=1).
 * Renders only the rows on screen (virtualised), each through render.js.
 * Resumes by Range after a drop, a server restart or a reload (the tail
 * it had is kept in sessionStorage). docs/VIEWER.md describes it. */
'use strict';
(function () {
  const R = window.LivelogRender;
  const $ = (id) => document.getElementById(id);
  const LH = 20;              /* row height (px) without wrapping */
  const TAIL_LINES = 2000;    /* lines of the first paint */
  const BLOCK = 1000;         /* lines fetched at once on demand */
  const BLOCKS_KEPT = 300;    /* blocks held in memory, at most */
  const OVERSCAN = 10;        /* rows rendered beyond the screen */
  const MAX_PX = 16000000;    /* spacer height cap (browsers stop at ~33M) */
  const CACHE_LINES = 5000;   /* lines kept across a reload */
  const CACHE_CHARS = 2000000;
  /* warnings without the server's classifier (a log it cannot scan) */
  const WARN_JS = /(^|[^A-Za-z0-9_])(warn|warning)([^A-Za-z0-9_]|$)/i;

  const name = decodeURIComponent(location.pathname.slice('/view/'.length));
  const encName = name.split('/').map(encodeURIComponent).join('/');
  const params = new URLSearchParams(location.search);
  const signed = new URLSearchParams();
  for (const k of ['exp', 'n', 'sig']) {
    if (params.has(k)) signed.set(k, params.get(k));
  }
  const TOKEN_KEY = 'livelog.token';
  const TIMES_KEY = 'livelog.times'; /* the time toggle, for this tab */
  const CACHE_KEY = 'livelog.view:' + name;

  const S = {
    indexed: false,    /* /v1/lines works: earlier lines load on demand */
    tailStart: 0,      /* 0-based number of the first line of `tail` */
    tail: [],          /* lines from tailStart on, as received */
    partial: false,    /* the last of them has no newline yet */
    endOffset: 0,      /* bytes received (the next Range starts here) */
    pending: null,     /* bytes of an incomplete UTF-8 sequence */
    blocks: new Map(), /* block number -> lines (below tailStart) */
    loading: new Set(),
    state: 'loading',
    following: true,
    expectTop: -1,
    markersScanned: [], /* {line, m} below tailStart, from the server */
    markersTail: [],    /* {line, m} of tail lines */
    groups: [],
    groupAt: new Map(),
    endLines: new Set(),
    userFold: new Map(), /* group start line -> collapsed? */
    hidden: [],          /* sorted disjoint [a, b) ranges of lines */
    hiddenCount: 0,
    sel: null,           /* {a, b}: 1-based line numbers */
    err: sevClass('error', false), /* ERROR and FATAL lines */
    warn: sevClass('warning', true),
    search: null,        /* {re, matches:Set, sorted, done, ctrl} */
    cur: 0,              /* the line last gone to (1-based), 0: none */
    curKind: '',         /* what cur is: 'match', 'error', 'warning' */
    statsLoaded: false,  /* the first /stats answer (or failure) is in */
    markersScanDone: false, /* the server's group marker scan too */
    raf: 0,
    groupsDirty: false,
    firstPaint: 0,
    jumpTo: -1,          /* a permalink's line, once it exists */
    anchorLine: -1,      /* the line last gone to (0-based) */
    navFrom: 0,          /* next/previous start here (1-based); 0: screen */
    renderWorst: 0,      /* the longest render so far (ms) */
    slow: [],            /* [start, ms] of renders over 16 ms */
    rowCache: new Map(), /* line -> {el, ver}: the rows on screen */
    ver: 0,              /* bumped when rows must be rebuilt */
    bytesFetched: 0,
    showTimes: false,    /* receive times shown (toggle t) */
    times: new Map(),    /* block -> {runs: [[line, ms]], end, at, loading} */
    timesTimer: 0,
    timesUnavailable: false,
  };
  window.livelogViewer = S;

  /* The lines of one class of the server's task-log classifier (the one
   * /stats counts with): severity 'warning', or 'error' (ERROR and FATAL
   * lines). Found by scans of the whole log (scanSev) when `scan`;
   * errors are the /stats list of the first 1,000 instead until that
   * list is incomplete. */
  function sevClass(severity, scan) {
    return {
      severity,
      scan,            /* lines from scans (else: the /stats list) */
      set: new Set(),  /* 1-based line numbers */
      sorted: null,    /* set, sorted (built when a jump needs it) */
      from: 1,         /* the next scan starts at this line */
      scanning: false, /* a scan, or the wait before trying it again */
      scanned: false,  /* a whole-log scan has ended (done, or refused) */
      failures: 0,     /* scans cut or refused in a row (for the tests) */
      unscannable: false, /* the server refused to scan: the stats list */
      seen: -1,        /* the stats' count the last scan saw */
      stats: -1,       /* the stats' count now (-1: unknown) */
    };
  }

  /* ---- requests -------------------------------------------------- */

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) {
      return '';
    }
  }

  function withAuth(path, extra) {
    const q = new URLSearchParams(extra || '');
    for (const [k, v] of signed) q.set(k, v);
    const s = q.toString();
    return s === '' ? path : path + (path.includes('?') ? '&' : '?') + s;
  }

  function api(path, opts) {
    const o = Object.assign({ cache: 'no-store', credentials: 'omit' },
      opts || {});
    o.headers = Object.assign({}, o.headers || {});
    const t = token();
    if (t !== '') o.headers.Authorization = 'Bearer ' + t;
    return fetch(withAuth(path), o);
  }

  const logPath = '/v1/logs/' + encName;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /* ---- lines ------------------------------------------------------- */

  function total() { return S.tailStart + S.tail.length; }

  function getLine(i) {
    if (i >= S.tailStart) return S.tail[i - S.tailStart];
    const b = S.blocks.get(Math.floor(i / BLOCK));
    return b === undefined ? undefined : b[i % BLOCK];
  }

  /* Decodes bytes as UTF-8, keeping an incomplete sequence at the end
   * for the next call. Returns the text; counts the bytes consumed. */
  const decoder = new TextDecoder('utf-8');
  function decode(chunk) {
    let buf = chunk;
    if (S.pending !== null) {
      buf = new Uint8Array(S.pending.length + chunk.length);
      buf.set(S.pending);
      buf.set(chunk, S.pending.length);
    }
    let cut = buf.length;
    for (let k = 1; k <= 3 && k <= buf.length; k++) {
      const c = buf[buf.length - k];
      if ((c & 0xc0) === 0x80) continue;          /* continuation */
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (need > k) cut = buf.length - k;
      break;
    }
    S.pending = cut < buf.length ? buf.slice(cut) : null;
    S.endOffset += cut;
    return decoder.decode(buf.subarray(0, cut));
  }

  function onNewLine(i, s) {
    if (R.maybeMarker(s)) {
      const m = R.marker(s);
      if (m !== null) {
        S.markersTail.push({ line: i, m });
        S.groupsDirty = true;
      }
    }
    if (!S.indexed && WARN_JS.test(s)) { S.warn.set.add(i + 1); S.warn.sorted = null; }
    const q = S.search;
    if (q !== null && q.jsRe !== null) {
      q.jsRe.lastIndex = 0;
      if (q.jsRe.test(R.plain(s))) { q.matches.add(i + 1); q.sorted = null; }
    }
  }

  function onChangedLine(i, s) {
    /* the last line grew: re-test it (markers only start lines) */
    onNewLine(i, s);
  }

  function append(text) {
    if (text === '') return;
    const parts = text.split('\n');
    let k = 0;
    if (S.partial) {
      const i = S.tail.length - 1;
      S.tail[i] += parts[0];
      onChangedLine(S.tailStart + i, S.tail[i]);
      k = 1;
      if (parts.length === 1) return;
    }
    for (; k < parts.length; k++) {
      const last = k === parts.length - 1;
      if (last && parts[k] === '') { S.partial = false; break; }
      S.tail.push(parts[k]);
      onNewLine(S.tailStart + S.tail.length - 1, parts[k]);
      if (last) S.partial = true;
    }
    if (parts.length > 1 && parts[parts.length - 1] === '') S.partial = false;
  }

  /* ---- groups -------------------------------------------------------- */

  function rebuildGroups() {
    S.groupsDirty = false;
    const markers = S.markersScanned.filter((x) => x.line < S.tailStart)
      .concat(S.markersTail);
    const groups = [];
    const stack = [];
    let bk = null;
    const endLines = new Set();
    for (const { line, m } of markers) {
      if (m.kind === 'start') {
        if (m.syntax === 'buildkite') {
          if (bk !== null) bk.end = line;
          bk = { start: line, end: null, name: m.name, syntax: m.syntax,
            collapsed: m.collapsed };
          groups.push(bk);
          continue;
        }
        if (m.syntax === 'github') {
          /* GitHub's groups do not nest: a new one closes the last */
          for (let j = stack.length - 1; j >= 0; j--) {
            if (stack[j].syntax === 'github') {
              for (const g of stack.splice(j)) g.end = line;
              break;
            }
          }
        }
        const g = { start: line, end: null, name: m.name, syntax: m.syntax,
          id: m.id, collapsed: m.collapsed };
        stack.push(g);
        groups.push(g);
      } else if (m.kind === 'end') {
        for (let j = stack.length - 1; j >= 0; j--) {
          const g = stack[j];
          if (g.syntax === m.syntax && (m.syntax === 'github' || g.id === m.id)) {
            for (const h of stack.splice(j)) h.end = line + 1;
            endLines.add(line);
            break;
          }
        }
      } else if (m.kind === 'expand-prev' && bk !== null) {
        bk.collapsed = false;
      }
    }
    const done = S.state === 'complete';
    if (bk !== null && bk.end === null && done) bk.end = total();
    for (const g of stack) if (done && g.end === null) g.end = total();
    S.groups = groups;
    S.groupAt = new Map(groups.map((g) => [g.start, g]));
    S.endLines = endLines;
    recomputeHidden();
    /* a line the user went to stays in view when groups appear */
    if (S.anchorLine >= 0 && !S.following) {
      if (S.sel !== null) reveal(S.sel.b - 1);
      scrollToLine(S.anchorLine);
    }
  }

  function isCollapsed(g) {
    if (g.end === null) return false; /* open groups show their lines */
    return S.userFold.has(g.start) ? S.userFold.get(g.start) : g.collapsed;
  }

  function recomputeHidden() {
    const ranges = [];
    for (const g of S.groups) {
      if (isCollapsed(g) && g.end > g.start + 1) ranges.push([g.start + 1, g.end]);
    }
    ranges.sort((x, y) => x[0] - y[0]);
    const merged = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    S.hidden = merged;
    S.hiddenCount = merged.reduce((n, r) => n + (r[1] - r[0]), 0);
  }

  function rowCount() { return total() - S.hiddenCount; }

  function rowToLine(r) {
    let l = r;
    for (const [a, b] of S.hidden) {
      if (l >= a) l += b - a; else break;
    }
    return l;
  }

  function lineToRow(l) {
    let r = l;
    for (const [a, b] of S.hidden) {
      if (l >= b) r -= b - a;
      else if (l >= a) return lineToRow(a - 1);
      else break;
    }
    return r;
  }

  /* Expands every group that hides line l (0-based). */
  function reveal(l) {
    let changed = false;
    for (const g of S.groups) {
      if (isCollapsed(g) && g.start < l && l < g.end) {
        S.userFold.set(g.start, false);
        changed = true;
      }
    }
    if (changed) recomputeHidden();
  }

  function toggleGroup(line) {
    const g = S.groupAt.get(line);
    if (g === undefined) return;
    S.userFold.set(g.start, !isCollapsed(g));
    recomputeHidden();
    schedule();
  }

  /* ---- on-demand blocks ---------------------------------------------- */

  async function loadBlock(b) {
    if (!S.indexed || S.blocks.has(b) || S.loading.has(b)) return;
    const from = b * BLOCK;
    const to = Math.min(from + BLOCK, S.tailStart);
    if (from >= to) return;
    S.loading.add(b);
    try {
      const r = await api('/v1/lines/' + encName + '?line=' + (from + 1) +
        '&count=' + (to - from));
      if (!r.ok) throw new Error('lines ' + r.status);
      const j = await r.json();
      if (j.line !== from + 1 || j.end <= j.offset) throw new Error('lines moved');
      const res = await api(logPath + '?follow=0', {
        headers: { Range: 'bytes=' + j.offset + '-' + (j.end - 1) } });
      if (res.status !== 206 && res.status !== 200) throw new Error('range ' + res.status);
      const text = await res.text();
      S.bytesFetched += j.end - j.offset;
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      S.blocks.set(b, lines);
      if (S.blocks.size > BLOCKS_KEPT) {
        for (const k of S.blocks.keys()) {
          if (S.blocks.size <= BLOCKS_KEPT) break;
          if (k !== b) S.blocks.delete(k);
        }
      }
    } catch (e) {
      await sleep(1000);
    } finally {
      S.loading.delete(b);
      schedule();
    }
  }

  /* ---- receive times ------------------------------------------------- */

  /* The receive time (ms) of line l (0-based), or undefined when it is
   * not known yet. A block's runs say: from line L on, time T. */
  function timeOf(l) {
    const e = S.times.get(Math.floor(l / BLOCK));
    if (e === undefined || l >= e.end || e.runs.length === 0) return undefined;
    const runs = e.runs;
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid][0] <= l) lo = mid + 1; else hi = mid;
    }
    return lo > 0 ? runs[lo - 1][1] : undefined;
  }

  /* Asks the server for the receive times of block b's lines, unless it
   * has them all. The last block of a live log grows: asked again at
   * most every 500 ms while lines without a time are on screen. */
  async function loadTimes(b) {
    if (!S.indexed || S.timesUnavailable) return;
    const from = b * BLOCK;
    const to = Math.min(from + BLOCK, total());
    const e = S.times.get(b);
    if (from >= to || (e !== undefined && (e.end >= to || e.loading))) return;
    if (e !== undefined && performance.now() - e.at < 500) {
      if (S.timesTimer === 0) {
        S.timesTimer = setTimeout(() => { S.timesTimer = 0; schedule(); }, 500);
      }
      return;
    }
    const entry = e || { runs: [], end: from, at: 0, loading: false };
    entry.loading = true;
    entry.at = performance.now();
    S.times.set(b, entry);
    try {
      const r = await api('/v1/lines/' + encName + '?line=' + (from + 1) +
        '&count=' + (to - from) + '&times=1');
      if (r.status === 409) {
        S.timesUnavailable = true;
        toast('Receive times are not available for this log');
        return;
      }
      if (!r.ok) throw new Error('lines ' + r.status);
      const j = await r.json();
      if (j.line !== from + 1 || !Array.isArray(j.times)) throw new Error('no times');
      entry.runs = j.times.map(([line, ms]) => [line - 1, ms]);
      entry.end = j.times_end - 1;
      if (S.times.size > BLOCKS_KEPT) {
        for (const k of S.times.keys()) {
          if (S.times.size <= BLOCKS_KEPT) break;
          if (k !== b) S.times.delete(k);
        }
      }
    } catch (err) {
      entry.at = performance.now() + 1000; /* retry later */
    } finally {
      entry.loading = false;
      schedule();
    }
  }

  const pad = (n, w) => String(n).padStart(w, '0');
  function fmtTime(ms) {
    const d = new Date(ms);
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' +
      pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
  }

  function setTimes(on) {
    S.showTimes = on;
    $('times').checked = on;
    scroller.classList.toggle('times', on);
    try { sessionStorage.setItem(TIMES_KEY, on ? '1' : '0'); } catch (e) { /* memory only */ }
    schedule();
  }

  /* ---- rendering ------------------------------------------------------- */

  const scroller = $('scroller');
  const spacer = $('spacer');
  const rowsEl = $('rows');

  /* A render at the next frame, rows rebuilt (their content or look may
   * have changed). */
  function schedule() {
    S.ver++;
    scheduleScroll();
  }

  /* A render at the next frame that reuses the rows it can (scrolling). */
  function scheduleScroll() {
    if (S.raf === 0) S.raf = requestAnimationFrame(render);
  }

  function highlightRe() {
    return S.search !== null && S.search.jsRe !== null ? S.search.jsRe : null;
  }

  function buildRow(l, re) {
    const div = document.createElement('div');
    div.className = 'row';
    const n = l + 1;
    div.dataset.line = String(n);
    const a = document.createElement('a');
    a.className = 'ln';
    a.href = '#L' + n;
    a.textContent = String(n);
    div.appendChild(a);
    if (S.showTimes) {
      const ts = document.createElement('span');
      ts.className = 'ts';
      const ms = timeOf(l);
      if (ms !== undefined) {
        ts.textContent = fmtTime(ms);
        ts.title = 'received ' + new Date(ms).toISOString();
      } else {
        loadTimes(Math.floor(l / BLOCK));
      }
      div.appendChild(ts);
    }
    const t = document.createElement('span');
    t.className = 't';
    const s = getLine(l);
    const g = S.groupAt.get(l);
    if (s === undefined) {
      div.classList.add('pending');
      t.textContent = '\u2026';
      loadBlock(Math.floor(l / BLOCK));
    } else if (g !== undefined) {
      div.classList.add('group');
      const tw = document.createElement('span');
      tw.className = 'tw';
      tw.textContent = isCollapsed(g) ? '\u25b8' : '\u25be';
      t.appendChild(tw);
      const gn = document.createElement('span');
      gn.className = 'gn';
      t.appendChild(gn);
      R.render(gn, g.name, re);
      if (isCollapsed(g)) {
        const c = document.createElement('span');
        c.className = 'count';
        c.textContent = ' ' + (g.end - g.start - 1) + ' lines';
        t.appendChild(c);
      }
    } else {
      R.render(t, s, re);
      if (S.endLines.has(l)) div.classList.add('groupend');
    }
    div.appendChild(t);
    if (S.sel !== null && n >= S.sel.a && n <= S.sel.b) div.classList.add('sel');
    if (S.err.set.has(n)) div.classList.add('sev-error');
    else if (S.warn.set.has(n)) div.classList.add('sev-warning');
    if (S.search !== null && S.search.matches.has(n)) div.classList.add('match');
    if (n === S.cur) div.classList.add('current');
    return div;
  }

  function render() {
    const t0 = performance.now();
    try {
      renderNow();
    } finally {
      const ms = performance.now() - t0;
      if (ms > S.renderWorst) S.renderWorst = ms; /* for the tests */
      if (ms > 16 && S.slow.length < 100) S.slow.push([Math.round(t0), Math.round(ms)]);
    }
  }

  function renderNow() {
    S.raf = 0;
    if (S.groupsDirty) rebuildGroups();
    if (S.jumpTo >= 0 && S.jumpTo < total()) {
      const l = S.jumpTo;
      S.jumpTo = -1;
      scrollToLine(l);
    }
    const rows = rowCount();
    const ch = scroller.clientHeight;
    const full = rows * LH;
    const H = Math.min(full, MAX_PX);
    const re = highlightRe();
    const digits = String(total()).length;
    if (digits !== S.digits) {
      S.digits = digits;
      scroller.style.setProperty('--lnw', Math.max(4, digits + 1) + 'ch');
    }
    const frag = document.createDocumentFragment();
    const maxTop = Math.max(0, H - ch);
    const scrollTop = scroller.scrollTop; /* read before any DOM write */
    const bottom = S.following || (scrollTop >= maxTop - 2 && scrollTop > 0);
    const old = S.rowCache;
    const cache = new Map();
    const row = (l) => {
      /* rows kept from the last frame unless something changed them */
      const c = old.get(l);
      const last = l === total() - 1;
      const el = c !== undefined && c.ver === S.ver && !last ? c.el : buildRow(l, re);
      cache.set(l, { el, ver: S.ver });
      return el;
    };
    let els = [];
    let top = 0;
    if (bottom) {
      const n = Math.min(rows, Math.ceil(ch / LH) + OVERSCAN);
      for (let r = rows - n; r < rows; r++) els.push(row(rowToLine(r)));
    } else {
      const ratio = H > ch ? Math.max(1, (full - ch) / (H - ch)) : 1;
      const virt = scrollTop * ratio;
      const first = Math.max(0, Math.floor(virt / LH) - OVERSCAN);
      const n = Math.ceil(ch / LH) + 2 * OVERSCAN;
      for (let r = first; r < rows && r < first + n; r++) els.push(row(rowToLine(r)));
      top = Math.max(0, scrollTop - (virt - first * LH));
    }
    S.rowCache = cache;
    /* move only what changed: kept rows stay in the DOM */
    const same = els.length === rowsEl.childElementCount &&
      els.every((e, i) => rowsEl.children[i] === e);
    if (!same) {
      for (const e of els) frag.appendChild(e);
      rowsEl.replaceChildren(frag);
    }
    els = null;
    if (bottom) {
      const h = rowsEl.offsetHeight;
      const sh = Math.max(H, h);
      spacer.style.height = sh + 'px';
      rowsEl.style.top = Math.max(0, sh - h) + 'px';
      if (S.following) {
        scroller.scrollTop = scroller.scrollHeight;
        S.expectTop = scroller.scrollTop;
      }
    } else {
      spacer.style.height = H + 'px';
      rowsEl.style.top = top + 'px';
    }
    $('follow').hidden = S.following || S.state === 'complete' && bottom;
    if (S.firstPaint === 0 && total() > 0 && getLine(total() - 1) !== undefined) {
      S.firstPaint = performance.now();
    }
  }

  /* Scrolls so that line l (0-based) is a third down the screen. */
  function scrollToLine(l) {
    S.following = false;
    S.anchorLine = l;
    reveal(l);
    const r = lineToRow(l);
    const rows = rowCount();
    const ch = scroller.clientHeight;
    const full = rows * LH;
    const H = Math.min(full, MAX_PX);
    spacer.style.height = H + 'px';
    const ratio = H > ch ? Math.max(1, (full - ch) / (H - ch)) : 1;
    const top = Math.max(0, (r * LH - ch / 3) / ratio);
    scroller.scrollTop = top;
    S.expectTop = scroller.scrollTop;
    schedule();
  }

  function topLine() {
    const ch = scroller.clientHeight;
    const full = rowCount() * LH;
    const H = Math.min(full, MAX_PX);
    const ratio = H > ch ? Math.max(1, (full - ch) / (H - ch)) : 1;
    return rowToLine(Math.floor(scroller.scrollTop * ratio / LH));
  }

  function setFollowing(on) {
    S.following = on;
    if (on) {
      S.navFrom = 0; /* next/previous count from the end again */
      scroller.scrollTop = scroller.scrollHeight;
      S.expectTop = scroller.scrollTop;
    }
    schedule();
  }

  scroller.addEventListener('scroll', () => {
    const top = scroller.scrollTop;
    if (Math.abs(top - S.expectTop) > 2) {
      /* the user scrolled: follow again only at the very bottom */
      S.following = top + scroller.clientHeight >= scroller.scrollHeight - 4;
      S.anchorLine = -1;
      S.navFrom = 0;
      S.expectTop = -1;
    }
    scheduleScroll();
  }, { passive: true });
  scroller.addEventListener('wheel', (e) => {
    if (e.deltaY < 0) S.following = false;
  }, { passive: true });
  window.addEventListener('resize', scheduleScroll);

  /* ---- the live stream ------------------------------------------------- */

  function setState(st) {
    if (st === null || st === undefined) return;
    S.state = st;
    const b = $('state');
    b.textContent = st;
    b.className = 'badge ' + st;
    if (st === 'complete') S.groupsDirty = true;
    schedule();
  }

  async function head() {
    try {
      const r = await api(logPath, { method: 'HEAD' });
      if (!r.ok) return null;
      return { state: r.headers.get('Livelog-State'),
        offset: Number(r.headers.get('Upload-Offset')) };
    } catch (e) {
      return null;
    }
  }

  async function follow() {
    let delay = 200;
    const h0 = S.restoredHead;
    if (h0 !== undefined && h0.state === 'complete' && h0.offset === S.endOffset) {
      setState('complete'); /* a reload of a complete log: nothing to fetch */
      return;
    }
    for (;;) {
      let ended = false;
      try {
        const headers = {};
        if (S.endOffset > 0) headers.Range = 'bytes=' + S.endOffset + '-';
        S.pending = null;
        const res = await api(logPath, { headers });
        if (res.status === 401 || res.status === 403) {
          askToken(res.status);
          return;
        }
        if (res.status === 416) {
          ended = true;
        } else if (res.status === 200 || res.status === 206) {
          setState(res.headers.get('Livelog-State'));
          let skip = res.status === 200 ? S.endOffset : 0;
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            delay = 200;
            let v = value;
            if (skip > 0) {
              const n = Math.min(skip, v.length);
              v = v.subarray(n);
              skip -= n;
            }
            if (v.length === 0) continue;
            S.bytesFetched += v.length;
            append(decode(v));
            schedule();
          }
          ended = true;
        } else if (res.status === 404) {
          setState('waiting');
        } else {
          setState('error ' + res.status);
        }
      } catch (e) {
        S.lastError = String(e); /* connection lost: resume below */
      }
      if (ended) {
        const h = await head();
        if (h !== null && h.state === 'complete' && h.offset <= S.endOffset) {
          if (S.pending !== null) append(decoder.decode(S.pending));
          S.pending = null;
          setState('complete');
          refreshStats();
          return;
        }
      }
      if (S.state !== 'waiting') setState('reconnecting');
      await sleep(delay);
      delay = Math.min(delay * 2, 3000);
    }
  }

  /* ---- stats, errors and warnings ------------------------------------- */

  async function refreshStats() {
    try {
      const r = await api(logPath + '/stats');
      if (!r.ok) return;
      const j = await r.json();
      const e = (j.severity.error || 0) + (j.severity.fatal || 0);
      const w = j.severity.warning || 0;
      const sum = $('summary');
      sum.textContent = '';
      const es = document.createElement('span');
      es.className = e > 0 ? 'e' : '';
      es.textContent = e + (e === 1 ? ' error' : ' errors');
      const ws = document.createElement('span');
      ws.className = w > 0 ? 'w' : '';
      ws.textContent = w + (w === 1 ? ' warning' : ' warnings');
      sum.append(es, ', ', ws);
      S.warn.stats = w;
      S.err.stats = e;
      /* more ERROR/FATAL lines than the list holds: scans from now on
       * (a log the server cannot scan keeps the list) */
      S.errFirst = j.first.map((x) => x.line).filter((x) => x > 0);
      if (j.first_complete === false && S.indexed && !S.err.unscannable) S.err.scan = true;
      if (!S.err.scan) {
        S.err.set = new Set(S.errFirst);
        S.err.sorted = null;
      }
      maybeScan(S.warn);
      maybeScan(S.err);
      schedule();
    } catch (e) {
      /* no summary */
    } finally {
      S.statsLoaded = true;
      runWaiting();
    }
  }

  async function statsLoop() {
    for (;;) {
      await refreshStats();
      if (S.state === 'complete') return;
      await sleep(3000);
    }
  }

  /* Streams /v1/search: calls each(record) per match. Returns the final
   * record, or null when the server cannot search this log. */
  function serverSearch(q, regex, matchCase, each, signal) {
    return streamSearch('?q=' + encodeURIComponent(q) + (regex ? '&regex=1' : '') +
      (matchCase ? '&case=1' : ''), each, signal);
  }

  async function streamSearch(query, each, signal) {
    const r = await api('/v1/search/' + encName + query, { signal });
    if (!r.ok) return { error: r.status, text: await r.text() };
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let last = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const rec = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (rec.line !== undefined) each(rec);
        else if (rec.done || rec.error) last = rec;
        else if (rec.progress !== undefined && S.search !== null) {
          S.search.progress = rec.progress;
        }
      }
    }
    return last;
  }

  async function scanMarkers() {
    if (!S.indexed || S.tailStart === 0) { S.markersScanDone = true; return; }
    const found = [];
    try {
      await serverSearch(R.MARKER_ERE, true, true, (rec) => {
        if (rec.line - 1 < S.tailStart) {
          const m = R.marker(rec.text);
          if (m !== null) found.push({ line: rec.line - 1, m });
        }
      });
    } catch (e) {
      S.markersScanDone = true;
      return;
    }
    S.markersScanned = found;
    S.markersScanDone = true;
    S.groupsDirty = true;
    schedule();
  }

  /* The lines of class c (sevClass) from line c.from on: the whole log
   * first, then, when the stats count other lines of the class than the
   * last scan saw (a live log), the lines since the last scan (its last
   * line again: it may have grown). Linear mode (no line index): nothing
   * to scan. A scan cut short (connection lost, the server busy or
   * failing, a stream without its final record) proves nothing: it is
   * tried again (0.5 s, doubling to 3 s) and the keys waiting for the
   * first whole-log scan keep waiting, so that e/E never act on a partial
   * list. Only a refusal that another try cannot change (400, 401, 403,
   * 404, 409) ends the scans of c: errors go back to the stats list. */
  async function scanSev(c) {
    if (c.scanning) return;
    c.scanning = true;
    let delay = 500;
    let ok = false;
    for (;;) {
      const r = S.indexed ? await scanOnce(c) : 'refused';
      if (r === 'done') { ok = true; c.failures = 0; break; }
      c.failures++;
      if (r === 'refused') {
        c.unscannable = true;
        c.scan = false;
        if (c === S.err && S.errFirst !== undefined) c.set = new Set(S.errFirst);
        break;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 3000);
    }
    c.scanning = false;
    c.scanned = true;
    c.sorted = null;
    runWaiting();
    schedule();
    if (ok) maybeScan(c);
  }

  /* One scan of class c from line c.from on: 'done', 'retry' (cut short
   * or the server could not answer now) or 'refused'. */
  async function scanOnce(c) {
    const count = c.stats;
    const from = c.from;
    const found = new Set();
    let last = null;
    try {
      last = await streamSearch('?severity=' + c.severity + '&from=' + from, (rec) => {
        found.add(rec.line);
        c.set.add(rec.line);
        c.sorted = null;
      });
    } catch (e) {
      return 'retry';
    }
    if (last !== null && last.done) {
      /* line `from` was the last one scanned before: as it is now */
      if (!found.has(from)) c.set.delete(from);
      c.from = Math.max(from, last.lines);
      c.seen = count;
      return 'done';
    }
    const st = last !== null && typeof last.error === 'number' ? last.error : 0;
    return [400, 401, 403, 404, 409].includes(st) ? 'refused' : 'retry';
  }

  /* Scans the new lines when the stats count other lines of class c than
   * the last scan saw (or c has never been scanned). */
  function maybeScan(c) {
    if (S.indexed && c.scan && !c.scanning && c.stats >= 0 &&
        (c.stats !== c.seen || !c.scanned)) scanSev(c);
  }

  function sortedOf(set) { return Array.from(set).sort((a, b) => a - b); }

  /* The first entry of sorted (1-based lines) after (dir 1) or before
   * (dir -1) line `from`, wrapping around. */
  function nextIn(sorted, from, dir) {
    if (sorted.length === 0) return 0;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= from) lo = mid + 1; else hi = mid;
    }
    if (dir > 0) return lo < sorted.length ? sorted[lo] : sorted[0];
    let i = lo - 1;
    if (i >= 0 && sorted[i] === from) i--;
    return i >= 0 ? sorted[i] : sorted[sorted.length - 1];
  }

  /* Where next/previous count from: the line last gone to, unless the
   * user scrolled since; then the end of the log while following, else
   * the top of the screen. */
  function anchor() {
    if (S.navFrom > 0) return S.navFrom;
    /* following: from the end of the log, not from the top of the screen
     * (nor from the end of the part of the tail received so far) */
    return S.following ? Number.MAX_SAFE_INTEGER : topLine() + 1;
  }

  function goTo(n, kind) {
    if (n <= 0) return;
    S.cur = n;
    S.curKind = kind;
    S.navFrom = n;
    S.sel = { a: n, b: n };
    if (n - 1 < total()) {
      scrollToLine(n - 1);
    } else {
      /* a line found by the server that has not arrived yet */
      S.following = false;
      S.jumpTo = n - 1;
      schedule();
    }
  }

  /* Runs fn now when ready() holds, else once it does (in the order the
   * keys were pressed): e/w pressed before the first /stats answer or the
   * warning scan are not lost, and never act on a partial list. */
  const waiting = [];
  function whenReady(ready, fn) {
    if (ready() && waiting.length === 0) { fn(); return; }
    waiting.push({ ready, fn });
  }
  function runWaiting() {
    while (waiting.length > 0 && waiting[0].ready()) waiting.shift().fn();
  }

  function jumpTo(c, dir) {
    if (c.sorted === null) c.sorted = sortedOf(c.set);
    goTo(nextIn(c.sorted, anchor(), dir), c.severity);
  }

  /* errors wait for the stats (which say whether their list is whole)
   * and, when it is not, for the first scan */
  function jumpError(dir) {
    whenReady(() => S.statsLoaded && (!S.err.scan || S.err.scanned),
      () => jumpTo(S.err, dir));
  }

  function jumpWarning(dir) {
    whenReady(() => S.warn.scanned, () => jumpTo(S.warn, dir));
  }

  /* ---- search ----------------------------------------------------- */

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

  let searchTimer = 0;
  async function startSearch() {
    if (S.search !== null && S.search.ctrl) S.search.ctrl.abort();
    const q = $('q').value;
    const regex = $('regex').checked;
    const matchCase = $('case').checked;
    /* a new search forgets its current match, not an error or warning
     * the user went to since */
    if (S.curKind === 'match') { S.cur = 0; S.curKind = ''; }
    if (q === '') { S.search = null; updateCount(); schedule(); return; }
    let jsRe = null;
    try {
      jsRe = new RegExp(regex ? q : escapeRe(q), matchCase ? 'g' : 'gi');
    } catch (e) {
      jsRe = null;
    }
    const ctrl = new AbortController();
    const st = { q, jsRe, matches: new Set(), sorted: null, done: false,
      ctrl, progress: 0, error: '' };
    S.search = st;
    /* the lines here are matched at once; the server does the rest */
    if (jsRe !== null) {
      for (let i = 0; i < S.tail.length; i++) {
        jsRe.lastIndex = 0;
        if (jsRe.test(R.plain(S.tail[i]))) st.matches.add(S.tailStart + i + 1);
      }
    }
    updateCount();
    schedule();
    if (!S.indexed) { st.done = true; updateCount(); return; }
    let pendingUpdate = 0;
    try {
      const last = await serverSearch(q, regex, matchCase, (rec) => {
        st.matches.add(rec.line);
        st.sorted = null;
        if (pendingUpdate === 0) {
          pendingUpdate = setTimeout(() => { pendingUpdate = 0; updateCount(); schedule(); }, 50);
        }
      }, ctrl.signal);
      if (last !== null && last.error !== undefined && last.text !== undefined) {
        st.error = last.text.trim();
      }
    } catch (e) {
      if (ctrl.signal.aborted) return;
    }
    st.done = true;
    updateCount();
    schedule();
  }

  function updateCount() {
    const c = $('count');
    const st = S.search;
    if (st === null) { c.textContent = ''; return; }
    if (st.error !== '') { c.textContent = 'bad pattern'; c.title = st.error; return; }
    if (st.sorted === null) st.sorted = sortedOf(st.matches);
    const i = S.cur > 0 ? st.sorted.indexOf(S.cur) : -1;
    c.textContent = (i >= 0 ? (i + 1) + '/' : '') + st.sorted.length +
      (st.done ? '' : '+');
    c.title = st.sorted.length + ' matching lines';
  }

  function jumpMatch(dir) {
    const st = S.search;
    if (st === null) return;
    if (st.sorted === null) st.sorted = sortedOf(st.matches);
    goTo(nextIn(st.sorted, anchor(), dir), 'match');
    updateCount();
  }

  /* ---- permalinks and selection --------------------------------------- */

  function parseHash() {
    const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(location.hash);
    if (m === null) return null;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    return { a: Math.min(a, b), b: Math.max(a, b) };
  }

  function applyHash() {
    const sel = parseHash();
    if (sel === null) return false;
    S.sel = sel;
    S.cur = 0;
    S.curKind = '';
    S.navFrom = sel.a;
    S.following = false;
    if (sel.a - 1 < total()) scrollToLine(sel.a - 1);
    else S.jumpTo = sel.a - 1; /* when that line is there */
    schedule();
    return true;
  }

  function permalink() {
    if (S.sel === null) return location.origin + location.pathname;
    const h = S.sel.a === S.sel.b ? '#L' + S.sel.a : '#L' + S.sel.a + '-L' + S.sel.b;
    return location.origin + location.pathname + h;
  }

  function setHash() {
    const h = S.sel === null ? '' : permalink().slice(
      (location.origin + location.pathname).length);
    history.replaceState(null, '', location.pathname + location.search + h);
  }

  function toast(msg) {
    const t = $('toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 1500);
  }

  async function copyText(s) {
    try {
      await navigator.clipboard.writeText(s);
      return true;
    } catch (e) {
      const ta = document.createElement('textarea');
      ta.value = s;
      document.body.appendChild(ta);
      ta.select();
      const ok = document.execCommand('copy');
      ta.remove();
      return ok;
    }
  }

  async function copyLink() {
    const url = permalink();
    S.lastCopied = url;
    toast((await copyText(url)) ? 'Link copied' : url);
  }

  rowsEl.addEventListener('click', (e) => {
    const row = e.target.closest('.row');
    if (row === null) return;
    const n = Number(row.dataset.line);
    if (e.target.classList.contains('ln')) {
      e.preventDefault();
      if (e.shiftKey && S.sel !== null) {
        S.sel = { a: Math.min(S.sel.a, n), b: Math.max(S.sel.a, n) };
      } else {
        S.sel = { a: n, b: n };
      }
      S.following = false;
      setHash();
      copyLink();
      schedule();
      return;
    }
    if (row.classList.contains('group') && window.getSelection().toString() === '') {
      toggleGroup(n - 1);
    }
  });

  window.addEventListener('hashchange', () => applyHash());

  /* ---- private logs ------------------------------------------------- */

  function askToken(status) {
    setState(status === 403 ? 'forbidden' : 'private');
    $('tokenwhy').textContent = status === 403
      ? 'This credential may not read this log. Paste another token with livelog:read for it.'
      : 'This log is private. Paste a token with livelog:read for it (or open a signed URL).';
    $('tokenbox').hidden = false;
    $('tokeninput').focus();
  }

  $('tokenform').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('tokeninput').value.trim();
    $('tokeninput').value = '';
    try { sessionStorage.setItem(TOKEN_KEY, t); } catch (err) { /* memory only */ }
    $('tokenbox').hidden = true;
    restart();
  });
  $('tokenclear').addEventListener('click', () => {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (err) { /* none */ }
    $('tokeninput').value = '';
    toast('Token forgotten');
  });
  $('tokencancel').addEventListener('click', () => { $('tokenbox').hidden = true; });
  $('token').addEventListener('click', () => askToken(0));

  /* ---- download ----------------------------------------------------- */

  async function download() {
    const base = name.split('/').pop() || 'log';
    if (token() === '') {
      const a = document.createElement('a');
      a.href = withAuth(logPath, 'follow=0');
      a.download = base;
      a.click();
      return;
    }
    const r = await api(logPath + '?follow=0');
    const blob = await r.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = base;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  /* ---- controls ----------------------------------------------------- */

  function setWrap(on) {
    $('wrap').checked = on;
    scroller.classList.toggle('nowrap', !on);
    schedule();
  }

  $('wrap').addEventListener('change', () => setWrap($('wrap').checked));
  $('times').addEventListener('change', () => setTimes($('times').checked));
  $('numbers').addEventListener('change', () => {
    scroller.classList.toggle('nonum', !$('numbers').checked);
  });
  $('follow').addEventListener('click', () => setFollowing(true));
  $('copy').addEventListener('click', copyLink);
  $('download').addEventListener('click', download);
  $('enext').addEventListener('click', () => jumpError(1));
  $('eprev').addEventListener('click', () => jumpError(-1));
  $('wnext').addEventListener('click', () => jumpWarning(1));
  $('next').addEventListener('click', () => jumpMatch(1));
  $('prev').addEventListener('click', () => jumpMatch(-1));
  $('help').addEventListener('click', () => { $('helpbox').hidden = false; });
  $('helpclose').addEventListener('click', () => { $('helpbox').hidden = true; });
  /* Starts the search now, dropping a pending typed one. */
  function searchNow() {
    clearTimeout(searchTimer);
    searchTimer = 0;
    return startSearch();
  }

  $('q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchNow, 300);
  });
  $('regex').addEventListener('change', searchNow);
  $('case').addEventListener('change', searchNow);
  $('q').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (S.search === null || S.search.q !== $('q').value || searchTimer !== 0) {
        const done = searchNow();
        const st = S.search;
        /* to the first match, unless another search replaced this one */
        done.then(() => { if (S.search === st && st !== null) jumpMatch(1); });
        return;
      }
      jumpMatch(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      /* leaving the box settles the search it shows at once: a typed
       * change would otherwise start 300 ms later, after the next keys */
      if (searchTimer !== 0) searchNow();
      $('q').blur();
      scroller.focus();
    }
  });

  document.addEventListener('keydown', (e) => {
    const tag = e.target.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (k === 'Escape') {
      $('helpbox').hidden = true;
      $('tokenbox').hidden = true;
      return;
    }
    const act = {
      '/': () => { $('q').focus(); $('q').select(); },
      n: () => jumpMatch(1), N: () => jumpMatch(-1),
      e: () => jumpError(1), E: () => jumpError(-1),
      w: () => jumpWarning(1), W: () => jumpWarning(-1),
      f: () => setFollowing(true), G: () => setFollowing(true),
      g: () => {
        S.following = false;
        S.navFrom = 0;
        scroller.scrollTop = 0;
        S.expectTop = 0;
        schedule();
      },
      z: () => setWrap(!$('wrap').checked),
      t: () => setTimes(!S.showTimes),
      c: copyLink, d: download,
      '?': () => { $('helpbox').hidden = false; },
    }[k];
    if (act !== undefined) {
      e.preventDefault();
      act();
    } else if (k === 'PageUp' || k === 'ArrowUp' || k === 'Home') {
      S.following = false;
    }
  });

  /* ---- reload: the tail kept in this tab ------------------------------- */

  function saveCache() {
    if (S.pending !== null || S.tail.length === 0) return;
    let n = Math.min(S.tail.length, CACHE_LINES);
    let chars = 0;
    let k = S.tail.length - 1;
    for (; k >= S.tail.length - n; k--) {
      chars += S.tail[k].length + 1;
      if (chars > CACHE_CHARS) break;
    }
    n = S.tail.length - 1 - k;
    if (n === 0) return;
    const c = { v: 1, indexed: S.indexed, start: S.tailStart + S.tail.length - n,
      lines: S.tail.slice(S.tail.length - n), partial: S.partial,
      end: S.endOffset, complete: S.state === 'complete' };
    if (!c.indexed && c.start > 0) return; /* linear mode needs it all */
    try {
      sessionStorage.setItem(CACHE_KEY, JSON.stringify(c));
    } catch (e) {
      /* over quota: the next load starts from the tail */
    }
  }

  async function restoreCache() {
    let c = null;
    try { c = JSON.parse(sessionStorage.getItem(CACHE_KEY) || 'null'); } catch (e) {
      c = null;
    }
    if (c === null || c.v !== 1) return false;
    const h = await head();
    if (h === null || !(h.offset >= c.end)) return false;
    S.indexed = c.indexed;
    S.tailStart = c.start;
    S.tail = c.lines;
    S.partial = c.partial;
    S.endOffset = c.end;
    for (let i = 0; i < S.tail.length; i++) onNewLine(S.tailStart + i, S.tail[i]);
    S.restored = true;
    S.restoredHead = h;
    return true;
  }

  window.addEventListener('pagehide', saveCache);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') saveCache();
  });

  /* ---- start ------------------------------------------------------------ */

  let started = false;
  function restart() {
    if (started) { location.reload(); return; }
    start();
  }

  async function start() {
    started = true;
    let times = false;
    try { times = sessionStorage.getItem(TIMES_KEY) === '1'; } catch (e) { /* off */ }
    if (times) setTimes(true);
    $('name').textContent = name;
    document.title = name + ' \u00b7 livelog';
    if (!(await restoreCache())) {
      try {
        const r = await api('/v1/lines/' + encName + '?tail=' + TAIL_LINES);
        if (r.status === 401 || r.status === 403) { askToken(r.status); return; }
        if (r.ok) {
          const j = await r.json();
          S.indexed = true;
          S.tailStart = j.line - 1;
          S.endOffset = j.offset;
          setState(j.state);
        }
      } catch (e) {
        /* linear mode from byte 0 */
      }
    }
    if (!applyHash()) schedule();
    follow();
    statsLoop();
    scanMarkers();
    scanSev(S.warn);
  }

  start();
})();
