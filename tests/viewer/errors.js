// errors.js: e/E over more error lines than /v1/logs/NAME/stats lists
// (its first 1,000): a live 20,000-line log with 1,500 ERROR lines and
// one FATAL line after them. The server's severity=error scan lists all
// 1,501 (FATAL counts as an error); in the page, E from the end reaches
// the FATAL line and the 1,500th error even when the page's first scan
// is cut while E waits for it (the page tries again; the key waits),
// E from the start wraps to the last error, e from the 1,000th error
// reaches the 1,001st, the page knows every error line and marks them;
// an error appended to the live log is counted, found by a scan of the
// new lines only (from=K past the old end), marked and reached by E,
// also while following with it on screen (E counts from the log's end).
'use strict';
const L = require('./lib');

const LINES = 20000;
const ERRORS = []; // the ERROR lines: every 13th, 1,500 of them
for (let k = 1; k <= 1500; k++) ERRORS.push(13 * k);
const FATAL = 19800; // after the last ERROR (19,500), before 200 fillers
const DECOYS = [19810, 19820]; // mention errors without being ones

L.run(async () => {
  const srv = await new L.Server('errors').start();
  const name = 'public/errors.log';
  let body = '';
  const errIndex = new Map(ERRORS.map((n, i) => [n, i + 1]));
  for (let i = 1; i <= LINES; i++) {
    if (errIndex.has(i)) body += 'ERROR: failure ' + errIndex.get(i) + ' at line ' + i + '\n';
    else if (i === FATAL) body += 'FATAL: out of memory at line ' + i + '\n';
    else if (i === DECOYS[0]) body += 'no errors at line ' + i + '\n';
    else if (i === DECOYS[1]) body += 'Error handling at line ' + i + '\n';
    else body += 'step ' + i + ' compiling\n';
  }
  await srv.put(name, body, false); // live: the stats are refreshed

  // the premise: the stats list only the first 1,000 of them
  const st = JSON.parse((await L.request('GET', srv.r + '/v1/logs/' + name + '/stats')).body);
  L.check(st.first.length === 1000 && st.first_complete === false &&
    st.first[999].line === ERRORS[999] && st.severity.error === 1500 && st.severity.fatal === 1,
    'the stats count 1,500 errors and 1 fatal and list the first 1,000 (first_complete false)');
  // the server's scan lists every one, FATAL included, and no decoy
  const scan = (await L.request('GET', srv.r + '/v1/search/' + name + '?severity=error'))
    .body.toString().split('\n').filter((x) => x !== '').map((x) => JSON.parse(x));
  const hits = scan.filter((r) => r.line !== undefined).map((r) => r.line);
  const want = ERRORS.concat([FATAL]);
  L.check(hits.length === want.length && hits.every((n, i) => n === want[i]),
    'severity=error lists the 1,501 ERROR and FATAL lines, in order (' + hits.length + ')');
  L.check(scan.length > 0 && scan[scan.length - 1].done === true &&
    scan[scan.length - 1].matches === 1501, 'the scan ends with done, 1501 matches');

  const { page } = await L.launch();
  const scans = []; // the page's severity=error requests
  page.on('request', (r) => {
    if (r.url().includes('severity=error')) scans.push(new URL(r.url()).searchParams.get('from'));
  });
  // the page's first severity=error scan is cut (as a dropped connection
  // or a server too slow to answer would): held 1.5 s, so that the E
  // below waits for it, then aborted. The page must try again and keep
  // the key waiting, not act on the partial (here empty) list.
  let cut = 0;
  await page.route(/[?&]severity=error/, async (route) => {
    if (cut++ > 0) return route.continue();
    await L.sleep(1500);
    return route.abort('connectionreset');
  });
  await page.goto(srv.r + '/view/' + name);
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.firstPaint > 0), 'first paint', 20000);
  L.check(await page.evaluate(() => window.livelogViewer.tailStart === 18000),
    'the page holds only the last 2,000 lines');
  await L.expect(async () => (await page.textContent('#summary')) === '1501 errors, 0 warnings',
    'summary: 1501 errors (the FATAL line counted), 0 warnings', 20000);

  const cur = () => page.evaluate(() => window.livelogViewer.cur);
  // the page's state when a jump did not land (what it went to, from where)
  const state = () => page.evaluate(() => {
    const S = window.livelogViewer;
    const sc = document.getElementById('scroller');
    return JSON.stringify({ cur: S.cur, curKind: S.curKind, navFrom: S.navFrom,
      following: S.following, anchorLine: S.anchorLine, total: S.tailStart + S.tail.length,
      scrollTop: sc.scrollTop, scrollHeight: sc.scrollHeight, clientHeight: sc.clientHeight,
      statsLoaded: S.statsLoaded, err: { scan: S.err.scan, scanning: S.err.scanning,
        scanned: S.err.scanned, size: S.err.set.size, from: S.err.from, seen: S.err.seen,
        stats: S.err.stats, failures: S.err.failures, max: Math.max(0, ...S.err.set) } });
  });
  const at = async (n, prefix, what) => {
    try {
      await L.expect(async () => (await cur()) === n &&
        ((await L.rowText(page, n)) || '').startsWith(prefix), what, 20000);
    } catch (e) {
      L.note('state:', await state().catch((x) => String(x)));
      throw e;
    }
  };
  const marked = (n) => page.evaluate((k) => {
    const r = document.querySelector('.row[data-line="' + k + '"]');
    return r !== null && r.classList.contains('sev-error');
  }, n);

  // E from the end (following), maybe before the scan has answered (the
  // key then waits for it): the stats' list of 1,000 ends at line 13,000
  await page.keyboard.press('E');
  await at(FATAL, 'FATAL: out of memory', 'E from the end goes to the FATAL line ' + FATAL +
    ', though the first scan was cut');
  L.check(cut >= 2 && await page.evaluate(() => window.livelogViewer.err.failures === 0),
    'the cut scan was tried again (' + cut + ' scans) and ended done');
  L.check(await marked(FATAL), 'the FATAL line is marked as an error');
  await page.keyboard.press('E');
  await at(ERRORS[1499], 'ERROR: failure 1500 ', 'E again: the 1,500th error (line ' + ERRORS[1499] + ')');
  L.check(await marked(ERRORS[1499]), 'the 1,500th error is marked');
  L.check(!(await marked(FATAL - 1)), 'a line that is no error is not marked');
  L.check(await page.evaluate((w) => {
    const S = window.livelogViewer;
    return S.err.set.size === w.length && w.every((n) => S.err.set.has(n));
  }, want), 'the page knows all 1,501 error lines and only them (not the decoys)');

  // from the start: E wraps to the last error
  await page.keyboard.press('g');
  await L.frame(page);
  await page.keyboard.press('E');
  await at(FATAL, 'FATAL', 'E from the top wraps to the last error (' + FATAL + ')');
  // e from the 1,000th error (permalink) goes on to the 1,001st
  await page.evaluate((n) => { location.hash = '#L' + n; }, ERRORS[999]);
  await L.waitFor(() => page.evaluate((n) => window.livelogViewer.navFrom === n, ERRORS[999]),
    'the permalink to the 1,000th error');
  await page.keyboard.press('e');
  await at(ERRORS[1000], 'ERROR: failure 1001 ', 'e from the 1,000th error goes to the 1,001st (line ' +
    ERRORS[1000] + ')');
  L.check(await marked(ERRORS[1000]), 'the 1,001st error is marked');
  await page.keyboard.press('e');
  await at(ERRORS[1001], 'ERROR: failure 1002 ', 'e again: the 1,002nd');

  // live: a new error is counted, scanned from the old end on, marked
  await L.waitFor(() => page.evaluate(() => !window.livelogViewer.err.scanning), 'the scans settle');
  const before = scans.length;
  await srv.append(name, 'step 20001\nFATAL: late crash at line 20002\n');
  await L.expect(async () => (await page.textContent('#summary')) === '1502 errors, 0 warnings',
    'summary: 1502 errors after the append', 15000);
  // following, the appended error on screen at the bottom: E counts from
  // the end of the log, not from the top of the screen (which would skip
  // it and go to line 19,800)
  await L.waitFor(() => page.evaluate((n) => window.livelogViewer.err.set.has(n) &&
    !window.livelogViewer.err.scanning, LINES + 2), 'the appended error scanned', 15000);
  await page.keyboard.press('f');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.following), 'following');
  await L.frame(page);
  await page.keyboard.press('E');
  await at(LINES + 2, 'FATAL: late crash', 'E while following goes to the last error, on screen (line ' +
    (LINES + 2) + ')');
  await page.evaluate(() => { location.hash = '#L1'; });
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.navFrom === 1), 'the permalink to line 1');
  await page.keyboard.press('E');
  await at(LINES + 2, 'FATAL: late crash', 'E from line 1 wraps to the appended error (line ' +
    (LINES + 2) + ')');
  await L.expect(() => marked(LINES + 2), 'the appended error is marked');
  const later = scans.slice(before).map(Number);
  L.check(later.length > 0 && later.every((f) => f >= LINES),
    'the new lines are scanned from the old end on (from=' + later.join(',') + '), not from line 1');
  L.check(scans.length > 0 && Number(scans[0]) === 1, 'the first scan covered the whole log (from=' +
    scans[0] + ')');
  await L.shot(page, 'errors.png');

  await srv.append(name, 'done\n', true);
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.state === 'complete'), 'complete');
  await srv.stop();
  srv.checkLogs();
});
