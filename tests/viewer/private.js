// private.js: private logs in the viewer. A signed URL (from the PUT's
// Livelog-Read-URL) opens as is; without a credential the page asks for
// a token; a pasted token reads the log and is kept in sessionStorage
// only: never in the address, the history, localStorage or a cookie; a
// token without the scope is refused (403); the listing (GET /) shows the
// private logs the tab's token may read, and only public ones without.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const L = require('./lib');

const [LIVELOG] = process.argv.slice(2);

L.run(async () => {
  const keys = path.join(L.SCRATCH, 'keys');
  fs.mkdirSync(keys, { mode: 0o700 });
  fs.writeFileSync(path.join(keys, 'k1.key'),
    require('crypto').randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  const srv = await new L.Server('private', ['--key-dir', keys]).start();
  const name = 'task/abc/run/0/private/live.log';
  const put = await srv.put(name, 'secret build line 1\nsecret build line 2\n');
  await srv.put('public/open.log', 'open\n', true);
  const readUrl = put.headers['livelog-read-url'];
  L.check(/\?exp=\d+&n=[^&]+&sig=/.test(readUrl || ''), 'the PUT answers a signed read URL');
  const mint = (scope) => execFileSync(LIVELOG, ['token', '--key-dir', keys, '--scopes', scope,
    '--ttl', '600']).toString().trim();
  const token = mint('livelog:read:task/abc/*');
  const other = mint('livelog:read:task/zzz/*');

  const { page, context } = await L.launch();
  // the signed URL, as is
  const query = readUrl.slice(readUrl.indexOf('?'));
  await page.goto(srv.r + '/view/' + name + query);
  await L.expect(async () => (await L.rowText(page, 2)) === 'secret build line 2',
    'a signed URL opens the private log');

  // no credential: the page asks for a token
  const p2 = await context.newPage();
  await p2.goto(srv.r + '/view/' + name);
  await L.waitFor(() => p2.isVisible('#tokenbox'), 'the token box');
  L.check((await p2.textContent('#state')) === 'private', 'without a credential: asks for a token');
  L.check((await L.rowText(p2, 1)) === null, 'nothing of the log is shown');
  await L.shot(p2, 'private-token.png');
  // a token without the scope: refused
  await p2.fill('#tokeninput', other);
  await p2.press('#tokeninput', 'Enter');
  await L.expect(async () => (await p2.isVisible('#tokenbox')) &&
    (await p2.textContent('#state')) === 'forbidden' && (await L.rowText(p2, 1)) === null,
  'a token without the scope is refused (403, nothing shown)');
  await p2.fill('#tokeninput', token);
  await p2.press('#tokeninput', 'Enter');
  await L.expect(async () => (await L.rowText(p2, 2)) === 'secret build line 2',
    'a pasted token reads the private log');
  const where = await p2.evaluate(() => ({
    href: location.href, ls: localStorage.length, cookie: document.cookie,
    ss: sessionStorage.getItem('livelog.token'), hist: history.length,
  }));
  L.check(!where.href.includes(token) && !where.href.includes('token'), 'the token is not in the address');
  L.check(where.ls === 0 && where.cookie === '', 'nothing in localStorage or cookies');
  L.check(where.ss === token, 'the token is in this tab\'s sessionStorage');
  // the history: every entry of this tab is the view's own address
  const entries = await p2.evaluate(() => {
    const n = history.length;
    return n;
  });
  L.check(entries <= 2, 'no history entry was added for the token (' + entries + ')');
  // the listing
  await p2.goto(srv.r + '/');
  await L.waitFor(async () => (await p2.textContent('#logs')).includes(name), 'listing with token');
  L.check((await p2.textContent('#logs')).includes('public/open.log'), 'the listing shows public logs too');
  await L.shot(p2, 'listing.png');
  const p3 = await (await (await L.launch()).browser.newContext()).newPage();
  await p3.goto(srv.r + '/');
  await L.waitFor(async () => (await p3.textContent('#logs')).includes('public/open.log'), 'public listing');
  L.check(!(await p3.textContent('#logs')).includes(name), 'without a token the listing hides private logs');
  await srv.stop();
  srv.checkLogs();
});
