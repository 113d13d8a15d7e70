// search.js: search over the whole log, not only what the page holds
// (a 30,000-line log of which the page first loads the last 2,000): match
// count, next/previous across unloaded parts, regex and case options, no
// cap on matches; errors and warnings: the summary from
// /v1/logs/NAME/stats and jumps to the next/previous one, warnings as the
// server's classifier finds them (a logcat W/ line is one, a line that
// only mentions the word is not); the raw download link.
'use strict';
const L = require('./lib');

const NEEDLES = [10, 5000, 12345, 29990];
const ERRORS = [50, 7000, 29000];
const WARNINGS = [60, 8000];
const DECOY = 9000; // mentions "warning" without being one

L.run(async () => {
  const srv = await new L.Server('search').start();
  let body = '';
  let fillers = 0;
  for (let i = 1; i <= 30000; i++) {
    if (NEEDLES.includes(i)) body += 'found needle-' + i + '\n';
    else if (ERRORS.includes(i)) body += 'ERROR: failure at ' + i + '\n';
    else if (i === WARNINGS[0]) body += 'warning: deprecated at ' + i + '\n';
    else if (i === WARNINGS[1]) body += 'W/Gradle( 42): slow daemon at ' + i + '\n';
    else if (i === DECOY) body += 'the count of warning lines at ' + i + '\n';
    else { body += 'filler ' + i + '\n'; fillers++; }
  }
  await srv.put('public/search.log', body, true);
  const { page } = await L.launch();
  await page.goto(srv.r + '/view/public/search.log');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.state === 'complete'), 'complete');
  L.check(await page.evaluate(() => window.livelogViewer.tailStart === 28000),
    'the page holds only the last 2,000 lines');

  const count = () => page.textContent('#count');
  const searchDone = () => L.waitFor(() => page.evaluate(() =>
    window.livelogViewer.search !== null && window.livelogViewer.search.done), 'search done');
  await page.fill('#q', 'needle');
  await page.press('#q', 'Enter');
  await searchDone();
  const c = await count();
  L.check(/(^|\/)4$/.test(c), 'four matches over the whole log: ' + c);
  const visited = new Set();
  const isCurrent = (n) => page.evaluate((k) => {
    const r = document.querySelector('.row[data-line="' + k + '"]');
    return r !== null && r.classList.contains('current') &&
      r.querySelector('.t').textContent.includes('needle-' + k);
  }, n);
  for (let k = 0; k < 4; k++) {
    const cur = await page.evaluate(() => window.livelogViewer.cur);
    await L.expect(() => isCurrent(cur), 'match at line ' + cur + ' loaded and shown as current');
    visited.add(cur);
    await page.press('#q', 'Enter');
  }
  L.check(NEEDLES.every((n) => visited.has(n)), 'next visits every match: ' + [...visited].join(','));
  await L.shot(page, 'search.png');
  const before = await page.evaluate(() => window.livelogViewer.cur);
  await page.press('#q', 'Shift+Enter');
  await page.press('#q', 'Shift+Enter');
  const back = await page.evaluate(() => window.livelogViewer.cur);
  const want = NEEDLES[(NEEDLES.indexOf(before) + NEEDLES.length - 2) % NEEDLES.length];
  L.check(back === want, 'previous twice goes back two matches: ' + before + ' -> ' + back);
  await L.expect(() => page.evaluate((n) => {
    const m = document.querySelector('.row[data-line="' + n + '"] mark');
    return m !== null && m.textContent === 'needle';
  }, back), 'the match is highlighted in its line');

  await page.check('#regex');
  await page.fill('#q', 'needle-(5000|12345)$');
  await page.press('#q', 'Enter');
  await searchDone();
  L.check(/(^|\/)2$/.test(await count()), 'regex: 2 matches (' + (await count()) + ')');
  await page.uncheck('#regex');
  await page.check('#case');
  await page.fill('#q', 'NEEDLE');
  await page.press('#q', 'Enter');
  await searchDone();
  L.check((await count()) === '0', 'match case: NEEDLE finds nothing');
  await page.uncheck('#case');
  await searchDone();
  L.check(/(^|\/)4$/.test(await count()), 'ignoring case: NEEDLE finds 4');
  await page.fill('#q', 'filler');
  await page.press('#q', 'Enter');
  await searchDone();
  const all = await count();
  L.check(new RegExp('(^|/)' + fillers + '$').test(all), 'no cap: ' + all + ' of ' + fillers + ' lines');
  await page.fill('#q', '');
  await page.press('#q', 'Escape');
  // Escape settles the emptied box at once (no search left pending to
  // land after the next keys)
  L.check(await page.evaluate(() => window.livelogViewer.search === null &&
    document.activeElement.id !== 'q'), 'Escape in the emptied box ends the search');

  // errors and warnings
  await L.expect(async () => (await page.textContent('#summary')) === '3 errors, 2 warnings',
    'summary: 3 errors, 2 warnings', 20000);
  await page.keyboard.press('g');
  await L.frame(page);
  const seen = [];
  for (let k = 0; k < 3; k++) {
    const prev = await page.evaluate(() => window.livelogViewer.cur);
    await page.keyboard.press('e');
    await L.waitFor(() => page.evaluate((p) => window.livelogViewer.cur !== p, prev), 'e moves');
    const cur = await page.evaluate(() => window.livelogViewer.cur);
    await L.waitFor(async () => ((await L.rowText(page, cur)) || '').startsWith('ERROR'),
      'error line ' + cur);
    seen.push(cur);
  }
  L.check(seen.join(',') === ERRORS.join(','), 'e visits the errors in order: ' + seen.join(','));
  L.check(await page.evaluate((n) => document.querySelector('.row[data-line="' + n + '"]')
    .classList.contains('sev-error'), seen[2]), 'error lines are marked');
  await page.keyboard.press('E');
  await L.expect(async () => (await page.evaluate(() => window.livelogViewer.cur)) === 7000 &&
    ((await L.rowText(page, 7000)) || '').startsWith('ERROR'), 'E goes back to the error at 7000');
  await page.keyboard.press('w');
  await L.expect(async () => (await page.evaluate(() => window.livelogViewer.cur)) === 8000 &&
    ((await L.rowText(page, 8000)) || '').startsWith('W/Gradle'), 'w goes to the next warning (8000, logcat W/)');
  L.check(await page.evaluate((d) => {
    const S = window.livelogViewer;
    return S.warn.set.size === 2 && !S.warn.set.has(d);
  }, DECOY), 'the warnings are the classifier\'s: a line mentioning the word is not one');
  await page.keyboard.press('w');
  await L.expect(async () => (await page.evaluate(() => window.livelogViewer.cur)) === 60 &&
    ((await L.rowText(page, 60)) || '').startsWith('warning'), 'w again skips line ' + DECOY + ', wraps to 60');
  await page.keyboard.press('W');
  await L.expect(async () => (await page.evaluate(() => window.livelogViewer.cur)) === 8000,
    'W goes back to the warning at 8000');

  // download raw
  const [dl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('d')]);
  const p = await dl.path();
  L.check(require('fs').readFileSync(p, 'utf8') === body, 'the raw download is the log, byte for byte');
  await srv.stop();
  srv.checkLogs();
});
