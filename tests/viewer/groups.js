// groups.js: collapsible groups of the three syntaxes (GitHub Actions
// ::group::/::endgroup::, GitLab section_start/section_end with nesting
// and [collapsed=true], Buildkite ---/+++/~~~), toggled by a click; a
// group whose start is far before the tail the page loaded (found by the
// server-side scan); a group still open on a live log shows its lines and
// folds when it ends. Saves the showcase screenshot (viewer.png).
'use strict';
const L = require('./lib');

const E = '\x1b';
const SMALL = [
  'before',                                                   // 1
  '::group::Build step',                                      // 2
  'compiling a',                                              // 3
  'compiling b',                                              // 4
  '::endgroup::',                                             // 5
  'section_start:1700000000:tests[collapsed=true]\r' + E + '[0KRunning tests', // 6
  'test 1 ok',                                                // 7
  'section_start:1700000001:inner\r' + E + '[0KInner section', // 8
  'inner 1',                                                  // 9
  'section_end:1700000002:inner\r' + E + '[0K',               // 10
  'section_end:1700000003:tests\r' + E + '[0K',               // 11
  '--- Buildkite collapsed',                                  // 12
  'bk line 1',                                                // 13
  '+++ Buildkite expanded',                                   // 14
  'bk line 2',                                                // 15
  '~~~ Buildkite tilde',                                      // 16
  'bk line 3',                                                // 17
];

const shown = (page, n) => page.evaluate((k) =>
  document.querySelector('.row[data-line="' + k + '"]') !== null, n);
const order = (page) => page.evaluate(() =>
  Array.from(document.querySelectorAll('.row')).map((r) => Number(r.dataset.line)));

L.run(async () => {
  const srv = await new L.Server('groups').start();
  await srv.put('public/groups.log', SMALL.join('\n') + '\n', true);
  const { page } = await L.launch();
  await page.goto(srv.r + '/view/public/groups.log');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.state === 'complete'), 'complete');
  await L.waitFor(() => shown(page, 16), 'line 16');
  await L.frame(page); // the render after "complete" (which ends the last group) has run
  const o = await order(page);
  L.note('rows:', o.join(','));
  L.check((await L.rowText(page, 2)).includes('Build step') &&
    await page.evaluate(() => document.querySelector('.row[data-line="2"]').classList.contains('group')),
  'GitHub ::group:: is a group header named "Build step"');
  L.check(!(await shown(page, 3)) && !(await shown(page, 5)) && (await shown(page, 6)),
    'GitHub group folded by default');
  await page.click('.row[data-line="2"]');
  await L.expect(async () => (await shown(page, 3)) && (await shown(page, 4)),
    'GitHub group opens on click');
  L.check((await L.rowText(page, 6)).includes('Running tests') && !(await shown(page, 7)),
    'GitLab section with [collapsed=true] folded, header "Running tests"');
  await page.click('.row[data-line="6"]');
  await L.waitFor(() => shown(page, 7), 'GitLab section opens');
  L.check((await L.rowText(page, 8)).includes('Inner section') && (await shown(page, 9)),
    'nested GitLab section, open by default');
  await page.click('.row[data-line="8"]');
  await L.waitFor(async () => !(await shown(page, 9)), 'nested section folds');
  L.check(await shown(page, 11), 'the outer section stays open');
  L.check(!(await shown(page, 13)), 'Buildkite --- folded');
  L.check(await shown(page, 15), 'Buildkite +++ open');
  L.check(!(await shown(page, 17)) && (await L.rowText(page, 16)).includes('Buildkite tilde'),
    'Buildkite ~~~ folded, to the end of the log');

  // a group far before the tail the page loads first
  let big = 'start\n::group::Huge group\n';
  for (let i = 3; i < 15000; i++) big += 'inside ' + i + '\n';
  big += '::endgroup::\n';
  for (let i = 15001; i <= 20000; i++) big += 'outside ' + i + '\n';
  await srv.put('public/big-group.log', big, true);
  await page.goto(srv.r + '/view/public/big-group.log');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.state === 'complete' &&
    window.livelogViewer.groups.length === 1), 'the scanned group');
  L.check(await page.evaluate(() => window.livelogViewer.tailStart > 10000),
    'the page loaded only the tail');
  await page.keyboard.press('g');
  await L.waitFor(async () => (await L.rowText(page, 2)) !== null &&
    (await L.rowText(page, 1)) === 'start', 'the top');
  const o2 = await order(page);
  L.check(o2[0] === 1 && o2[1] === 2 && o2[2] === 15001,
    'a 14,998-line group before the tail folds: rows ' + o2.slice(0, 4).join(','));
  await page.click('.row[data-line="2"]');
  await L.expect(async () => (await L.rowText(page, 3)) === 'inside 3',
    'the big group opens and its lines load on demand');

  // live: an open group shows its lines, folds when it ends
  await srv.put('public/live-group.log', 'x\n::group::Live step\nworking 1\n');
  await page.goto(srv.r + '/view/public/live-group.log');
  await L.expect(async () => (await shown(page, 3)) &&
    (await page.evaluate(() => window.livelogViewer.groups.length === 1 &&
      window.livelogViewer.groups[0].end === null)), 'an open group on a live log shows its lines');
  await srv.append('public/live-group.log', 'working 2\n::endgroup::\nnext\n');
  await L.expect(async () => (await shown(page, 6)) && !(await shown(page, 3)),
    'the group folds when ::endgroup:: arrives');

  // the showcase screenshot
  const demo = [
    E + '[1m$ ./ci/build.sh' + E + '[0m',
    '::group::Install dependencies',
    'npm ci', 'added 312 packages in 4s',
    '::endgroup::',
    '::group::Build',
    E + '[36m[build]' + E + '[0m compiling src/http/http_view.c',
    E + '[36m[build]' + E + '[0m compiling src/http/http_search.c',
    E + '[33mwarning:' + E + '[0m unused variable \u2018x\u2019 [-Wunused-variable]',
    E + '[36m[build]' + E + '[0m linking livelog',
    '::endgroup::',
    'section_start:1700000000:tests\r' + E + '[0KRunning the tests',
    E + '[32m\u2714' + E + '[0m unit_range (12 tests)',
    E + '[32m\u2714' + E + '[0m unit_search (9 tests)',
    E + '[31m\u2718' + E + '[0m integration.serve_protocol',
    E + '[1;31mERROR:' + E + '[0m expected 206, got 200 (serve_protocol.sh:88)',
    'downloading artifacts 100% [' + E + '[42m                    ' + E + '[0m] 12.3 MB',
    E + '[38;5;244m# 256 colours,' + E + '[0m ' + E + '[38;2;255;105;180m24-bit colours' + E + '[0m, ' +
      E + '[4munderline' + E + '[0m, ' + E + '[3mitalic' + E + '[0m, ' + E + '[7minverse' + E + '[0m',
    'section_end:1700000001:tests\r' + E + '[0K',
    'Finished: FAILURE',
  ];
  await srv.put('public/task/demo/live.log', demo.join('\n') + '\n');
  await page.goto(srv.r + '/view/public/task/demo/live.log');
  await L.waitFor(() => shown(page, 20), 'the demo log');
  await page.fill('#q', 'compiling');
  await page.press('#q', 'Enter');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.search !== null &&
    window.livelogViewer.search.done), 'search done');
  await L.sleep(300);
  await L.shot(page, 'viewer.png');
  await srv.stop();
  srv.checkLogs();
});
