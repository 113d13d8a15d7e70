// lib.js: what the viewer tests share. Starts the real `livelog serve` on
// 127.0.0.1 port 0 (ports read from its "listening" log lines, readiness
// from /healthz), writes logs through the write listener (PUT, PATCH with
// Upload-Offset), launches Debian's chromium headless through
// playwright-core, saves screenshots under the artefact directory, and
// checks each server log with scripts/check-server-log at the end. Every
// wait is bounded. Usage of a test: node TEST.js LIVELOG CHECK_SERVER_LOG
// ARTIFACT_DIR.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');

const [LIVELOG, CHECK, ARTIFACTS] = process.argv.slice(2);
if (!LIVELOG || !CHECK || !ARTIFACTS) {
  console.error('usage: node TEST.js LIVELOG CHECK_SERVER_LOG ARTIFACT_DIR');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), 'livelog-viewer-'));
const CHROMIUM = process.env.LIVELOG_CHROMIUM || '/usr/bin/chromium';
const servers = [];
const browsers = [];
let failures = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function note(...a) { console.error('[' + path.basename(process.argv[1]) + ']', ...a); }

function check(cond, what) {
  if (cond) {
    note('ok:', what);
  } else {
    failures++;
    note('FAIL:', what);
  }
  return cond;
}

// Polls fn until it returns a truthy value (returned). An exception of fn
// counts as "not yet" (a page evaluated while it reloads has no context
// for a moment); the last one is reported if fn never holds.
async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error('timed out waiting for ' + what +
        (last !== null ? ' (last error: ' + (last.message || last) + ')' : ''));
    }
    await sleep(20);
  }
}

// A waitFor that is itself the assertion: notes "ok: what" once fn
// holds, fails the test (throws) when it does not within ms.
async function expect(fn, what, ms = 10000) {
  let v;
  try {
    v = await waitFor(fn, what, ms);
  } catch (e) {
    failures++;
    note('FAIL:', what, '(not within ' + ms + ' ms)');
    throw new Error('gave up after: ' + what);
  }
  note('ok:', what);
  return v;
}

// Returns once every render the page had scheduled has run: a callback
// of the next animation frame runs after the ones queued before it.
function frame(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(true))));
}

function request(method, url, { headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks) }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout ' + url)));
    req.on('error', reject);
    if (body !== null) req.end(body); else req.end();
  });
}

class Server {
  constructor(tag, args = [], env = {}) {
    this.tag = tag;
    this.args = args;
    this.env = env;
    this.data = path.join(SCRATCH, tag + '.data');
    this.logFile = path.join(SCRATCH, tag + '.log');
    this.offsets = new Map();
    this.starts = 0;
  }

  // Starts (or restarts, on the same data dir and read port) the server.
  async start(readAddr = '127.0.0.1:0') {
    fs.mkdirSync(this.data, { recursive: true });
    const log = this.logFile + (this.starts > 0 ? '.' + this.starts : '');
    this.starts++;
    this.logs = (this.logs || []).concat([log]);
    const out = fs.openSync(log, 'w');
    this.proc = spawn(LIVELOG, ['serve', '--data-dir', this.data,
      '--write-addr', '127.0.0.1:0', '--read-addr', readAddr, '--fsync', 'never',
      ...this.args], { stdio: ['ignore', 'ignore', out],
      env: Object.assign({ PATH: process.env.PATH }, this.env) });
    fs.closeSync(out);
    servers.push(this);
    const addrs = await waitFor(() => {
      const a = {};
      for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
        try {
          const o = JSON.parse(line);
          if (o.msg === 'listening') a[o.listener] = o.addr;
        } catch (e) { /* partial line */ }
      }
      if (this.proc.exitCode !== null) throw new Error(this.tag + ' exited at start');
      return a.write && a.read ? a : null;
    }, 'listening lines', 20000);
    this.w = 'http://' + addrs.write;
    this.r = 'http://' + addrs.read;
    this.readAddr = addrs.read;
    await waitFor(async () => {
      try { return (await request('GET', this.r + '/healthz')).status === 200; } catch (e) {
        return false;
      }
    }, '/healthz');
    note(this.tag, 'ready: write', addrs.write, 'read', addrs.read);
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const p = this.proc;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
    check(p.exitCode === 0, this.tag + ' exits 0 on SIGTERM');
  }

  // PUT: creates NAME with body; live (more to come) unless complete.
  async put(name, body, complete = false) {
    const buf = Buffer.from(body);
    const r = await request('PUT', this.w + '/v1/logs/' + name, {
      headers: { 'Upload-Complete': complete ? '?1' : '?0',
        'Content-Length': buf.length }, body: buf });
    if (r.status !== 201) throw new Error('PUT ' + name + ': ' + r.status);
    this.offsets.set(name, buf.length);
    return r;
  }

  // PATCH: appends body at the committed length.
  async append(name, body, complete = false) {
    const buf = Buffer.from(body);
    const off = this.offsets.get(name) || 0;
    const r = await request('PATCH', this.w + '/v1/logs/' + name, {
      headers: { 'Upload-Offset': String(off), 'Upload-Complete': complete ? '?1' : '?0',
        'Content-Length': buf.length }, body: buf });
    if (r.status !== 204) throw new Error('PATCH ' + name + ': ' + r.status);
    this.offsets.set(name, off + buf.length);
  }

  // Streams a big body from a generator of Buffers into a new complete log.
  putStream(name, gen) {
    return new Promise((resolve, reject) => {
      const req = http.request(this.w + '/v1/logs/' + name, { method: 'PUT',
        headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve()
          : reject(new Error('PUT ' + res.statusCode))));
      });
      req.on('error', reject);
      const it = gen();
      const pump = () => {
        for (;;) {
          const n = it.next();
          if (n.done) { req.end(); return; }
          if (!req.write(n.value)) { req.once('drain', pump); return; }
        }
      };
      pump();
    });
  }

  // livelog_bytes_sent_total from /metrics: log bytes served to readers.
  async bytesSent() {
    const r = await request('GET', this.w + '/metrics');
    const m = /^livelog_bytes_sent_total(?:\{[^}]*\})? (\d+)/m.exec(r.body.toString());
    return m ? Number(m[1]) : NaN;
  }

  checkLogs(expect = []) {
    for (const log of this.logs || []) {
      try {
        execFileSync(CHECK, [...expect.flatMap((e) => ['--expect', e]), log],
          { stdio: ['ignore', 'inherit', 'inherit'] });
        note('ok: server log', path.basename(log), 'passes check-server-log');
      } catch (e) {
        check(false, 'server log ' + log + ' passes check-server-log');
      }
    }
  }
}

async function launch(opts = {}) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  browsers.push(browser);
  const context = await browser.newContext(Object.assign(
    { viewport: { width: 1280, height: 800 } }, opts));
  const page = await context.newPage();
  page.on('pageerror', (e) => { failures++; note('FAIL: page error:', e.message); });
  page.on('console', (m) => { if (m.type() === 'error') note('console:', m.text()); });
  return { browser, context, page };
}

async function shot(page, file) {
  const p = path.join(ARTIFACTS, file);
  await page.screenshot({ path: p });
  note('screenshot', p);
}

// The text of the rendered row of line n (1-based), or null.
function rowText(page, n) {
  return page.evaluate((k) => {
    const r = document.querySelector('.row[data-line="' + k + '"] .t');
    return r ? r.textContent : null;
  }, n);
}

async function run(main) {
  const killer = setTimeout(() => {
    note('FAIL: the test did not finish within its time limit');
    for (const s of servers) if (s.proc) s.proc.kill('SIGKILL');
    process.exit(1);
  }, Number(process.env.VIEWER_TEST_TIMEOUT_MS || 240000));
  try {
    await main();
  } catch (e) {
    failures++;
    note('FAIL:', e.stack || e);
  }
  for (const b of browsers) await b.close().catch(() => {});
  for (const s of servers) await s.stop().catch(() => {});
  clearTimeout(killer);
  if (failures > 0) {
    note(failures + ' failure(s); scratch kept at ' + SCRATCH);
    process.exit(1);
  }
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  note('all passed');
}

function percentile(xs, p) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
}

module.exports = { Server, launch, shot, check, expect, frame, waitFor, sleep, note, run,
  request, rowText, percentile, ARTIFACTS, SCRATCH };
