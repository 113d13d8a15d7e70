// render.js: what a log line looks like in the viewer, checked through
// computed styles in a real Chromium: ANSI SGR (16, 256 and 24-bit
// colours, bold, dim, italic, underline, inverse, reset), carriage-return
// progress lines and erase-in-line, control characters made visible,
// injection attempts (<script>, <img onerror>, OSC 8 javascript: links)
// inert, permalinks (#L120, #L120-L140, click to copy), the wrap toggle,
// the page's security headers, light and dark themes (screenshots).
'use strict';
const L = require('./lib');

const E = '\x1b';
const LOG = [
  E + '[31mred' + E + '[0m plain',                                  // 1
  E + '[1;3;4mbold-italic-underline' + E + '[0m',                   // 2
  E + '[2mdim' + E + '[22m normal',                                 // 3
  E + '[38;5;208morange256' + E + '[0m',                            // 4
  E + '[38;2;10;20;30mtruecolor' + E + '[48;2;200;100;50mbg' + E + '[0m', // 5
  E + '[7minverse' + E + '[27m',                                    // 6
  E + '[92mbright' + E + '[39mdefault',                             // 7
  'progress 10%\rprogress 55%\rprogress 100%',                      // 8
  'abcdef\rXY',                                                     // 9
  'downloading...\r' + E + '[Kdone',                                // 10
  'bell\x07nul\x00del\x7f',                                         // 11
  '<script>window.pwned=1</script>',                                // 12
  '<img src=x onerror="window.pwned=2">',                           // 13
  E + ']8;;javascript:window.pwned=3' + E + '\\click me' + E + ']8;;' + E + '\\', // 14
  E + ']8;;https://example.com/docs' + E + '\\a real link' + E + ']8;;' + E + '\\', // 15
  '"><svg onload=window.pwned=4>&amp;',                             // 16
  'tab\tseparated',                                                 // 17
  'long ' + 'word '.repeat(600),                                    // 18
];

L.run(async () => {
  const srv = await new L.Server('render').start();
  let body = LOG.join('\n') + '\n';
  for (let i = LOG.length + 1; i <= 300; i++) body += 'filler line ' + i + '\n';
  await srv.put('public/render.log', body, true);

  // security headers of the page and its assets
  for (const p of ['/view/public/render.log', '/', '/assets/viewer.js']) {
    const r = await L.request('GET', srv.r + p);
    const csp = r.headers['content-security-policy'] || '';
    L.check(r.status === 200 && /default-src 'none'/.test(csp) && /script-src 'self'/.test(csp) &&
      !/unsafe/.test(csp), p + ': strict Content-Security-Policy');
    L.check(r.headers['x-content-type-options'] === 'nosniff', p + ': nosniff');
  }
  const page0 = await L.request('GET', srv.r + '/view/public/render.log');
  L.check(!/<script>[^<]/.test(page0.body.toString()), 'the page has no inline script');

  const { page, context } = await L.launch();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.r });
  await page.goto(srv.r + '/view/public/render.log');
  await L.waitFor(() => page.evaluate(() => window.livelogViewer.state === 'complete'), 'complete');
  await page.keyboard.press('g');
  await L.waitFor(async () => (await L.rowText(page, 1)) !== null, 'line 1');

  const style = (n, sel, props) => page.evaluate(([k, s, ps]) => {
    const el = document.querySelector('.row[data-line="' + k + '"] .t ' + s);
    if (!el) return null;
    const cs = getComputedStyle(el);
    const o = { text: el.textContent };
    for (const p of ps) o[p] = cs[p];
    return o;
  }, [n, sel, props]);

  let s = await style(1, 'span', ['color']);
  L.check(s && s.text === 'red' && s.color === 'rgb(201, 27, 0)', 'SGR 31 is red: ' + JSON.stringify(s));
  L.check((await L.rowText(page, 1)) === 'red plain', 'SGR 0 resets');
  s = await style(2, 'span', ['fontWeight', 'fontStyle', 'textDecorationLine']);
  L.check(s && s.fontWeight === '700' && s.fontStyle === 'italic' &&
    s.textDecorationLine === 'underline', 'bold, italic, underline: ' + JSON.stringify(s));
  s = await style(3, 'span', ['opacity']);
  L.check(s && s.text === 'dim' && s.opacity === '0.6', 'dim: ' + JSON.stringify(s));
  s = await style(4, 'span', ['color']);
  L.check(s && s.color === 'rgb(255, 135, 0)', '256-colour 208: ' + JSON.stringify(s));
  s = await style(5, 'span', ['color']);
  L.check(s && s.text === 'truecolor' && s.color === 'rgb(10, 20, 30)', '24-bit foreground');
  s = await style(5, 'span:nth-of-type(2)', ['color', 'backgroundColor']);
  L.check(s && s.text === 'bg' && s.backgroundColor === 'rgb(200, 100, 50)' &&
    s.color === 'rgb(10, 20, 30)', '24-bit background: ' + JSON.stringify(s));
  s = await style(6, 'span', ['color', 'backgroundColor']);
  L.check(s && s.color === 'rgb(255, 255, 255)' && s.backgroundColor === 'rgb(31, 35, 40)',
    'inverse swaps the default colours: ' + JSON.stringify(s));
  s = await style(7, 'span', ['color']);
  L.check(s && s.text === 'bright' && s.color === 'rgb(31, 182, 31)', 'bright green (92)');
  L.check((await L.rowText(page, 8)) === 'progress 100%', 'CR progress collapsed');
  L.check((await L.rowText(page, 9)) === 'XYcdef', 'CR overwrites like a terminal');
  L.check((await L.rowText(page, 10)) === 'done', 'erase in line');
  L.check((await L.rowText(page, 11)) === 'bell\u2407nul\u2400del\u2421', 'control characters shown as symbols');

  // injection: all inert, shown as text
  L.check((await L.rowText(page, 12)) === LOG[11], '<script> shown as text');
  L.check((await L.rowText(page, 13)) === LOG[12], '<img onerror> shown as text');
  L.check((await L.rowText(page, 16)) === LOG[15], 'markup and entities shown as text');
  L.check((await L.rowText(page, 14)) === 'click me', 'OSC 8 text shown');
  const inert = await page.evaluate(() => ({
    pwned: window.pwned,
    scripts: document.querySelectorAll('#rows script, #rows img, #rows svg, #rows iframe').length,
    js: Array.from(document.querySelectorAll('#rows a')).filter((a) => !/^https?:/.test(a.href)
      && !a.classList.contains('ln')).length,
    link14: document.querySelector('.row[data-line="14"] .t a') !== null,
    link15: (document.querySelector('.row[data-line="15"] .t a') || {}).href,
    rel15: (document.querySelector('.row[data-line="15"] .t a') || {}).rel,
  }));
  L.check(inert.pwned === undefined, 'no injected script ran');
  L.check(inert.scripts === 0, 'no element made from log text');
  L.check(inert.js === 0 && !inert.link14, 'javascript: OSC 8 link not made a link');
  L.check(inert.link15 === 'https://example.com/docs' && /noopener/.test(inert.rel15),
    'https OSC 8 link is a safe link');
  s = await page.evaluate(() => getComputedStyle(document.querySelector('.row[data-line="17"] .t')).tabSize);
  L.check((await L.rowText(page, 17)) === 'tab\tseparated' && s === '8', 'tabs kept, 8 columns wide');
  await L.shot(page, 'render-light.png');

  // wrap toggle
  const h1 = await page.evaluate(() => document.querySelector('.row[data-line="18"]').offsetHeight);
  await page.keyboard.press('z');
  await L.frame(page);
  const h2 = await page.evaluate(() => document.querySelector('.row[data-line="18"]').offsetHeight);
  const wide = await page.evaluate(() => {
    const s = document.getElementById('scroller');
    return s.scrollWidth > s.clientWidth;
  });
  L.check(h1 > 40 && h2 === 20 && wide, 'wrap on: ' + h1 + 'px; off: ' + h2 + 'px, scrolls sideways');
  await page.keyboard.press('z');

  // permalinks
  await page.goto(srv.r + '/view/public/render.log#L120');
  await L.expect(() => page.evaluate(() => {
    const r = document.querySelector('.row.sel[data-line="120"]');
    if (!r) return false;
    const b = r.getBoundingClientRect();
    return b.top >= 0 && b.bottom <= window.innerHeight;
  }), '#L120 highlights and scrolls to line 120');
  await page.goto(srv.r + '/view/public/render.log#L200-L210');
  await page.reload();
  await L.waitFor(() => page.evaluate(() => document.querySelectorAll('.row.sel').length === 11),
    '#L200-L210');
  const sel = await page.evaluate(() => Array.from(document.querySelectorAll('.row.sel'))
    .map((r) => Number(r.dataset.line)));
  L.check(sel[0] === 200 && sel[10] === 210, '#L200-L210 highlights 11 lines');
  await page.click('.row[data-line="205"] .ln');
  await L.waitFor(() => page.evaluate(() => location.hash === '#L205'), 'hash #L205');
  await page.click('.row[data-line="208"] .ln', { modifiers: ['Shift'] });
  await L.waitFor(() => page.evaluate(() => location.hash === '#L205-L208'), 'hash #L205-L208');
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  L.check(clip === srv.r + '/view/public/render.log#L205-L208', 'the permalink is copied: ' + clip);

  // dark theme follows the system
  const dark = await L.launch({ colorScheme: 'dark' });
  await dark.page.goto(srv.r + '/view/public/render.log');
  await L.waitFor(() => dark.page.evaluate(() => window.livelogViewer.state === 'complete'), 'dark');
  await dark.page.keyboard.press('g');
  await L.frame(dark.page);
  const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  L.check(bg === 'rgb(13, 17, 23)', 'dark theme from prefers-color-scheme: ' + bg);
  await L.shot(dark.page, 'render-dark.png');
  await dark.browser.close();
  await srv.stop();
  srv.checkLogs();
});
