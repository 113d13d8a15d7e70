/* list.js: the listing page (GET /): fetches GET /v1/logs?prefix=P with
 * the tab's token if one was pasted (sessionStorage only) and shows each
 * log the visitor may read, linked to /view/NAME. Names reach the page as
 * text only. */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'livelog.token';

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) {
      return '';
    }
  }

  function size(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB';
    return (n / 1073741824).toFixed(2) + ' GiB';
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text;
    tr.appendChild(td);
  }

  async function load() {
    const p = $('prefix').value;
    const headers = {};
    if (token() !== '') headers.Authorization = 'Bearer ' + token();
    $('status').textContent = 'loading';
    let j;
    try {
      const r = await fetch('/v1/logs?prefix=' + encodeURIComponent(p),
        { headers, cache: 'no-store', credentials: 'omit' });
      if (!r.ok) {
        $('status').textContent = r.status === 401
          ? 'the token was refused' : 'listing failed: ' + r.status;
        $('status').className = 'small err';
        return;
      }
      j = await r.json();
    } catch (e) {
      $('status').textContent = 'the server cannot be reached';
      return;
    }
    const body = $('logs');
    body.textContent = '';
    for (const l of j.logs) {
      const tr = document.createElement('tr');
      const a = document.createElement('a');
      a.href = '/view/' + l.name.split('/').map(encodeURIComponent).join('/');
      a.textContent = l.name;
      cell(tr, a, 'n');
      cell(tr, l.state + (l.archived ? ', archived' : ''));
      cell(tr, size(l.length));
      cell(tr, l.created || '');
      cell(tr, l.public ? 'public' : 'private');
      body.appendChild(tr);
    }
    $('status').className = 'small';
    $('status').textContent = j.logs.length + ' logs' +
      (j.truncated ? ' (more: narrow the prefix)' : '') +
      (token() !== '' ? ', with a token' : ', public only');
  }

  let timer = 0;
  $('prefix').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  $('token').addEventListener('click', () => {
    $('tokenbox').hidden = false;
    $('tokeninput').focus();
  });
  $('tokenform').addEventListener('submit', (e) => {
    e.preventDefault();
    try { sessionStorage.setItem(TOKEN_KEY, $('tokeninput').value.trim()); } catch (err) {
      /* none */
    }
    $('tokeninput').value = '';
    $('tokenbox').hidden = true;
    load();
  });
  $('tokenclear').addEventListener('click', () => {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (err) { /* none */ }
    $('tokenbox').hidden = true;
    load();
  });
  $('tokencancel').addEventListener('click', () => { $('tokenbox').hidden = true; });
  load();
})();
