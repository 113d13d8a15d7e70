// times.js: receive times per line, from the server's line index. A log
// written in two batches 2.5 s apart, then a line appended while the page
// is open: /v1/lines?times=1 answers the index's runs; the page's time
// toggle (t) shows each line's receive time (checked on the computed
// text, in UTC), the same for the lines of one batch, different between
// batches, close to when the test wrote them; the toggle is remembered
// across a reload (sessionStorage, not localStorage) and turns off.
'use strict';
const L = require('./lib');

const DAY = 86400000;
// "HH:MM:SS.mmm" (UTC) -> ms of the day, or NaN.
function dayMs(s) {
  const m = /^(\d\d):(\d\d):(\d\d)\.(\d{3})$/.exec(s || '');
  return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]) : NaN;
}
// Whether the shown time of day falls in [from - slack, to + slack].
function within(shown, from, to, slack = 1000) {
  const t = dayMs(shown);
  if (Number.isNaN(t)) return false;
  const lo = (from - slack) % DAY;
  const span = to - from + 2 * slack;
  return ((t - lo) % DAY + DAY) % DAY <= span;
}

L.run(async () => {
  const srv = await new L.Server('times').start();
  const name = 'public/ci/times.log';
  const t1 = Date.now();
  await srv.put(name, 'first 1\nfirst 2\nfirst 3\n');
  const t1b = Date.now();
  await L.sleep(2500);
  const t2 = Date.now();
  await srv.append(name, 'second 4\nsecond 5\n');
  const t2b = Date.now();

  // the route: runs of [line, ms] over the lines asked for
  const r = await L.request('GET', srv.r + '/v1/lines/' + name + '?line=1&count=5&times=1');
  const j = JSON.parse(r.body.toString());
  L.note('times:', JSON.stringify(j.times));
  L.check(r.status === 200 && j.times_end === 6 && Array.isArray(j.times) && j.times.length === 2 &&
    j.times[0][0] === 1 && j.times[1][0] === 4, '/v1/lines?times=1: one run per batch, from lines 1 and 4');
  L.check(j.times.length === 2 && j.times[0][1] >= t1 - 1000 && j.times[0][1] <= t1b + 1000 &&
    j.times[1][1] >= t2 - 1000 && j.times[1][1] <= t2b + 1000,
  'the runs\' times are when the batches were written (' + (t1b - t1) + ' and ' + (t2b - t2) + ' ms windows)');
  const r2 = await L.request('GET', srv.r + '/v1/lines/' + name + '?line=2&count=1&times=1');
  L.check(JSON.stringify(JSON.parse(r2.body.toString()).times) === JSON.stringify([[2, j.times[0][1]]]),
    'a range starting inside a run starts with that run\'s time');
  const big = await L.request('GET', srv.r + '/v1/lines/' + name + '?line=1&count=10001&times=1');
  L.check(big.status === 400, 'times for more than 10,000 lines: 400');

  const { page } = await L.launch({ timezoneId: 'UTC' });
  await page.goto(srv.r + '/view/' + name);
  await L.waitFor(async () => (await L.rowText(page, 5)) === 'second 5', 'line 5');
  // the shown time of line n: the text of its .ts when displayed, else null
  const shown = (n) => page.evaluate((k) => {
    const e = document.querySelector('.row[data-line="' + k + '"] .ts');
    return e !== null && getComputedStyle(e).display !== 'none' ? e.textContent : null;
  }, n);
  L.check((await shown(1)) === null, 'no times until the toggle');
  await page.keyboard.press('t');
  await L.expect(async () => {
    for (let n = 1; n <= 5; n++) if (Number.isNaN(dayMs(await shown(n)))) return false;
    return true;
  }, 'the toggle shows a receive time on each line');
  const s = [];
  for (let n = 1; n <= 5; n++) s.push(await shown(n));
  L.note('shown:', s.join(' '), 'written at', new Date(t1).toISOString(), new Date(t2).toISOString());
  L.check(within(s[0], t1, t1b) && within(s[3], t2, t2b),
    'each batch\'s time is within a second of when it was written: ' + s[0] + ', ' + s[3]);
  L.check(s[0] === s[1] && s[1] === s[2] && s[3] === s[4], 'the lines of one batch share its time');
  L.check(s[0] !== s[3] && ((dayMs(s[3]) - dayMs(s[0]) + DAY) % DAY) >= 2000,
    'the two batches, 2.5 s apart, have different times (' + s[0] + ' / ' + s[3] + ')');
  L.check(await page.evaluate(() => {
    const t = document.querySelector('.row[data-line="1"] .ts');
    const x = document.querySelector('.row[data-line="1"] .t');
    return t.getBoundingClientRect().right <= x.getBoundingClientRect().left;
  }), 'the time sits before the text, not over it');

  // a line appended while the page shows the times
  const t3 = Date.now();
  await srv.append(name, 'live 6\n');
  const t3b = Date.now();
  await L.expect(async () => within(await shown(6), t3, t3b), 'a line appended while open gets its time');
  await L.shot(page, 'times.png');

  // remembered for the tab, not beyond it
  await page.reload();
  await L.expect(async () => (await shown(1)) === s[0], 'the toggle is remembered across a reload');
  L.check(await page.evaluate(() => sessionStorage.getItem('livelog.times') === '1' &&
    localStorage.length === 0), 'kept in sessionStorage, nothing in localStorage');
  await page.keyboard.press('t');
  await L.expect(async () => (await shown(1)) === null, 't turns the times off');
  await srv.stop();
  srv.checkLogs();
});
