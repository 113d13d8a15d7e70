/* render.js: turns one log line into safe DOM nodes, as a terminal would
 * show it (ANSI SGR colours and styles, carriage returns overwriting the
 * line, erase-in-line, tabs, OSC 8 links), and recognises the group
 * markers of GitHub Actions, GitLab and Buildkite. Pure functions, no
 * state: used by viewer.js. Log text only ever reaches the page as text
 * nodes (textContent), never as HTML; links only for http(s) URLs. */
'use strict';
(function (global) {
  const EMPTY = Object.freeze({ fg: null, bg: null, b: false, d: false,
    i: false, u: false, inv: false, s: false, link: null, key: '' });

  function keyOf(st) {
    return [st.fg, st.bg, st.b, st.d, st.i, st.u, st.inv, st.s, st.link]
      .join('|');
  }

  function make(st) {
    st.key = keyOf(st);
    return Object.freeze(st);
  }

  /* xterm's 256-colour palette: 16..231 a 6x6x6 cube, 232..255 greys. */
  function color256(n) {
    if (n < 16) return n;
    if (n < 232) {
      const v = [0, 95, 135, 175, 215, 255];
      const k = n - 16;
      return 'rgb(' + v[Math.floor(k / 36)] + ',' + v[Math.floor(k / 6) % 6] +
        ',' + v[k % 6] + ')';
    }
    const g = 8 + (n - 232) * 10;
    return 'rgb(' + g + ',' + g + ',' + g + ')';
  }

  /* Applies the SGR parameters (the text between ESC[ and m). */
  function sgr(st, params) {
    const p = params === '' ? [0] : params.split(/[;:]/).map(
      (x) => (x === '' ? 0 : parseInt(x, 10)));
    const n = Object.assign({}, st);
    for (let k = 0; k < p.length; k++) {
      const c = p[k];
      if (c === 0 || Number.isNaN(c)) {
        Object.assign(n, EMPTY);
      } else if (c === 1) n.b = true;
      else if (c === 2) n.d = true;
      else if (c === 3) n.i = true;
      else if (c === 4) n.u = true;
      else if (c === 7) n.inv = true;
      else if (c === 9) n.s = true;
      else if (c === 21 || c === 22) { n.b = false; n.d = false; }
      else if (c === 23) n.i = false;
      else if (c === 24) n.u = false;
      else if (c === 27) n.inv = false;
      else if (c === 29) n.s = false;
      else if (c >= 30 && c <= 37) n.fg = c - 30;
      else if (c >= 90 && c <= 97) n.fg = c - 90 + 8;
      else if (c === 39) n.fg = null;
      else if (c >= 40 && c <= 47) n.bg = c - 40;
      else if (c >= 100 && c <= 107) n.bg = c - 100 + 8;
      else if (c === 49) n.bg = null;
      else if (c === 38 || c === 48) {
        let v = null;
        if (p[k + 1] === 5 && k + 2 < p.length) {
          v = color256(Math.max(0, Math.min(255, p[k + 2] | 0)));
          k += 2;
        } else if (p[k + 1] === 2 && k + 4 < p.length) {
          const ch = (x) => Math.max(0, Math.min(255, x | 0));
          v = 'rgb(' + ch(p[k + 2]) + ',' + ch(p[k + 3]) + ',' + ch(p[k + 4]) +
            ')';
          k += 4;
        } else {
          break;
        }
        if (c === 38) n.fg = v; else n.bg = v;
      }
    }
    n.link = st.link;
    return make(n);
  }

  // eslint-disable-next-line no-control-regex
  const SPECIAL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

  /* The line as runs of [text, style]: what a terminal leaves on screen. */
  function parse(s) {
    if (!SPECIAL.test(s)) return [[s, EMPTY]];
    const chars = [];
    const styles = [];
    let col = 0;
    let st = EMPTY;
    const put = (ch) => {
      while (chars.length < col) { chars.push(' '); styles.push(EMPTY); }
      chars[col] = ch;
      styles[col] = st;
      col++;
    };
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x1b || c === 0x9b) {
        const csi = c === 0x9b || s[i + 1] === '[';
        if (csi) {
          let j = i + (c === 0x9b ? 1 : 2);
          const from = j;
          while (j < s.length) {
            const f = s.charCodeAt(j);
            if (f >= 0x40 && f <= 0x7e) break;
            j++;
          }
          const params = s.slice(from, j);
          const fin = s[j];
          i = j;
          const num = parseInt(params, 10);
          if (fin === 'm') st = sgr(st, params);
          else if (fin === 'K') {
            if (params === '' || params === '0') {
              chars.length = Math.min(chars.length, col);
              styles.length = chars.length;
            } else if (params === '1') {
              for (let k = 0; k < col && k < chars.length; k++) chars[k] = ' ';
            } else if (params === '2') {
              chars.length = 0;
              styles.length = 0;
            }
          } else if (fin === 'G') col = Math.max(0, (num || 1) - 1);
          else if (fin === 'C') col += num || 1;
          else if (fin === 'D') col = Math.max(0, col - (num || 1));
          continue;
        }
        if (s[i + 1] === ']') {
          let j = i + 2;
          let end = -1;
          let len = 0;
          while (j < s.length) {
            if (s.charCodeAt(j) === 7) { end = j; len = 1; break; }
            if (s.charCodeAt(j) === 0x1b && s[j + 1] === '\\') {
              end = j; len = 2; break;
            }
            j++;
          }
          if (end < 0) break; /* unterminated: the rest is the OSC */
          const body = s.slice(i + 2, end);
          i = end + len - 1;
          if (body.startsWith('8;')) {
            const k = body.indexOf(';', 2);
            const uri = k < 0 ? '' : body.slice(k + 1);
            const n = Object.assign({}, st);
            n.link = uri === '' ? null : uri;
            st = make(n);
          }
          continue;
        }
        i++; /* a two-byte escape: ignored */
        continue;
      }
      if (c === 13) { col = 0; continue; }
      if (c === 8) { if (col > 0) col--; continue; }
      if (c === 9) {
        const next = (Math.floor(col / 8) + 1) * 8;
        while (col < next) put(' ');
        continue;
      }
      let ch = s[i];
      if (c < 0x20) ch = String.fromCharCode(0x2400 + c);
      else if (c === 0x7f) ch = '\u2421';
      else if (c >= 0x80 && c < 0xa0) ch = '\ufffd';
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        ch = s.slice(i, i + 2);
        i++;
      }
      put(ch);
    }
    const runs = [];
    let text = '';
    let cur = null;
    for (let k = 0; k < chars.length; k++) {
      const sk = styles[k] || EMPTY;
      if (cur !== null && sk.key !== cur.key) {
        runs.push([text, cur]);
        text = '';
      }
      cur = sk;
      text += chars[k];
    }
    if (cur !== null) runs.push([text, cur]);
    return runs;
  }

  /* Characters a terminal would show (for searching and group names). */
  function plain(s) {
    return parse(s).map((r) => r[0]).join('');
  }

  function safeLink(uri) {
    return /^https?:\/\/[^\s]+$/i.test(uri) ? uri : null;
  }

  /* Appends the text to el, each match of re (global RegExp or null)
   * wrapped in <mark>. */
  function addText(el, text, re) {
    if (re === null || text === '') {
      el.appendChild(document.createTextNode(text));
      return;
    }
    re.lastIndex = 0;
    let last = 0;
    let m;
    let guard = 0;
    while ((m = re.exec(text)) !== null && guard++ < 1000) {
      if (m[0] === '') { re.lastIndex++; continue; }
      if (m.index > last) {
        el.appendChild(document.createTextNode(text.slice(last, m.index)));
      }
      const mark = document.createElement('mark');
      mark.textContent = m[0];
      el.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (last < text.length) {
      el.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  /* Renders line s into el (emptied first); re highlights matches. */
  function render(el, s, re) {
    el.textContent = '';
    const runs = parse(s);
    for (const [text, st] of runs) {
      if (st === EMPTY || st.key === EMPTY.key) {
        addText(el, text, re);
        continue;
      }
      const href = st.link === null ? null : safeLink(st.link);
      const span = document.createElement(href !== null ? 'a' : 'span');
      if (href !== null) {
        span.href = href;
        span.rel = 'noopener noreferrer nofollow';
        span.target = '_blank';
      }
      let fg = st.fg;
      let bg = st.bg;
      if (st.inv) {
        fg = st.bg === null ? 'bg' : st.bg;
        bg = st.fg === null ? 'fg' : st.fg;
      }
      if (fg === 'bg') span.classList.add('fdbg');
      else if (typeof fg === 'number') span.classList.add('f' + fg);
      else if (typeof fg === 'string') span.style.color = fg;
      if (bg === 'fg') span.classList.add('bdfg');
      else if (typeof bg === 'number') span.classList.add('b' + bg);
      else if (typeof bg === 'string') span.style.backgroundColor = bg;
      if (st.b) span.classList.add('bo');
      if (st.d) span.classList.add('dm');
      if (st.i) span.classList.add('it');
      if (st.u) span.classList.add('un');
      if (st.s) span.classList.add('st');
      addText(span, text, re);
      el.appendChild(span);
    }
  }

  const GH_START = /^(?:\S+Z )?(?:::group::|##\[group\])(.*)$/;
  const GH_END = /^(?:\S+Z )?(?:::endgroup::|##\[endgroup\])/;
  const GL_START = /section_start:(\d+):([A-Za-z0-9_.-]+)(\[[^\]]*\])?\r?(.*)$/;
  const GL_END = /section_end:(\d+):([A-Za-z0-9_.-]+)/;
  const BK = /^(---|\+\+\+|~~~) (.*)$/;
  const BK_EXPAND = /^\^\^\^ \+\+\+\s*$/;

  /* Cheap test before marker(): false means surely no marker. */
  function maybeMarker(s) {
    return s.indexOf('group') >= 0 || s.indexOf('section_') >= 0 ||
      s.startsWith('---') || s.startsWith('+++') || s.startsWith('~~~') ||
      s.startsWith('^^^') || s.indexOf('\x1b') >= 0;
  }

  /* The group marker on line s, or null:
   * {kind: 'start'|'end'|'expand-prev', syntax, id, name, collapsed}. */
  function marker(s) {
    if (!maybeMarker(s)) return null;
    /* escapes removed, carriage returns kept (GitLab's header follows
     * one) */
    const t = s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '');
    let m = GH_START.exec(t);
    if (m) {
      return { kind: 'start', syntax: 'github', id: null,
        name: plain(m[1]).trim() || 'group', collapsed: true };
    }
    if (GH_END.test(t)) return { kind: 'end', syntax: 'github', id: null };
    m = GL_START.exec(t);
    if (m) {
      const opts = m[3] || '';
      const name = plain(m[4] || '').trim() || m[2];
      return { kind: 'start', syntax: 'gitlab', id: m[2], name,
        collapsed: /collapsed=true/.test(opts) };
    }
    m = GL_END.exec(t);
    if (m) return { kind: 'end', syntax: 'gitlab', id: m[2] };
    if (BK_EXPAND.test(t)) return { kind: 'expand-prev', syntax: 'buildkite' };
    m = BK.exec(t);
    if (m) {
      return { kind: 'start', syntax: 'buildkite', id: null,
        name: plain(m[2]).trim() || 'group', collapsed: m[1] !== '+++' };
    }
    return null;
  }

  /* The server-side pattern (POSIX ERE) that finds every marker line. */
  const MARKER_ERE = '(::group::|::endgroup::|##\\[group\\]|##\\[endgroup\\]|' +
    'section_start:[0-9]+:|section_end:[0-9]+:|^(---|\\+\\+\\+|~~~) |' +
    '^\\^\\^\\^ \\+\\+\\+)';

  global.LivelogRender = { parse, plain, render, marker, maybeMarker,
    color256, MARKER_ERE };
})(typeof window !== 'undefined' ? window : globalThis);
