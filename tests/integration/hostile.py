#!/usr/bin/env python3
"""hostile.py: the hostile clients of serve_hostile.sh, over raw sockets
(Python's standard library only), against one running `livelog serve`
started with --read-timeout 2 --max-connections 16.

Usage: hostile.py WRITE_ADDR READ_ADDR SERVER_PID DATA_DIR SCRATCH_DIR

While every check below runs, a writer appends a line to the public live
stream `public/hostile/live` every 20 ms and three followers read it; at
the end the writer completes it and each follower must have read exactly
the bytes written, its response ended cleanly. The checks (what
libmicrohttpd 0.9.75 really does is pinned; docs/SECURITY.md "Hostile
clients" says where it differs from RFC 9112's advice):

  timeouts   an idle connection and a request line that stops mid-way
             are closed after --read-timeout; a slowloris sending one
             header byte per second is NOT cut by the timeout (each byte
             resets it) but one sending 1 KiB every 0.3 s ends in 431 at
             the 16 KiB connection memory bound; one byte every 3 s is
             cut after the timeout;
  sizes      a 20 KB request line is 414 and 20 KB of headers 431 on the
             read listener; 70 KB on the write listener likewise;
  range      Range: bytes=0-18446744073709551615 on the live stream gets
             its bytes (206), not an empty answer;
  framing    on the write listener: a bad chunk size, chunk data without
             its CRLF, a chunk size past 64 bits (413), a negative, junk
             or list Content-Length are refused and the connection
             closed, keeping only the bytes of complete chunks; both
             Content-Length and Transfer-Encoding, two different
             Content-Length values and whitespace before a colon are 400,
             a Transfer-Encoding other than chunked 501, each before any
             body byte is read, the connection closed and nothing
             created; the same Content-Length twice is accepted; bytes
             after a Content-Length body are never appended to the stream
             (junk closes the connection, a whole request is a pipelined
             request);
  limit      16 connections trickling headers fill the read listener:
             another client gets no answer (it waits in the listen
             backlog), 20,000 more connection attempts in batches of
             1,000 are never served, while the followers keep receiving;
             once the trickling clients go, the listener answers again;
  window     a follower that never reads (4 KiB receive buffer) while
             ~16 MiB are written costs bounded memory and is closed by
             the timeout once its sends stop progressing;
  paths      %2e%2e, raw .., //, %2f, %00, overlong UTF-8 (%c0%ae) and
             double-encoded names are refused on both listeners (400 or
             404, never 2xx); a raw NUL ends the path (the name is what
             precedes it); nothing is created outside the data
             directory, whose layout stays streams/HH/<sha256>/...

Prints FAIL lines and exits 1 when any check failed. Every loop is
bounded in count and time; every socket has a timeout.
"""

import os
import re
import socket
import struct
import sys
import threading
import time

W_ADDR, R_ADDR, PID, DATA, SCRATCH = sys.argv[1:6]
PID = int(PID)
SANITIZED = os.environ.get("LIVELOG_SANITIZED") == "1"
FAILS = []
LIVE = b"public/hostile/live"


def fail(what):
    FAILS.append(what)
    print("FAIL: " + what, file=sys.stderr, flush=True)


def note(what):
    print("[hostile.py] " + what, file=sys.stderr, flush=True)


def expect(cond, what):
    if not cond:
        fail(what)
    return cond


def addr(a):
    host, port = a.rsplit(":", 1)
    return (host, int(port))


def connect(a, timeout=10):
    return socket.create_connection(addr(a), timeout=timeout)


def read_until_close(s, limit_s):
    """Reads until EOF/RST or limit_s. Returns (bytes, how, seconds)."""
    out = b""
    t0 = time.monotonic()
    how = "open"
    while time.monotonic() - t0 < limit_s:
        s.settimeout(max(0.05, limit_s - (time.monotonic() - t0)))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            how = "reset"
            break
        if not d:
            how = "eof"
            break
        out += d
    return out, how, time.monotonic() - t0


def statuses(raw):
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.1 (\d{3}) ", raw)]


def exchange(a, data, limit_s=3, shut=False):
    """Sends data on a new connection (then shuts its sending side down
    when shut), reads until close or limit_s."""
    s = connect(a)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except (ConnectionResetError, BrokenPipeError):
        pass
    raw, how, _ = read_until_close(s, limit_s)
    s.close()
    return statuses(raw), how, raw


def head_state(name):
    """(status, Upload-Offset, Livelog-State) of HEAD on the write side."""
    st, _, raw = exchange(
        W_ADDR,
        b"HEAD /v1/logs/%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        % name, 3)
    off = re.search(rb"(?i)\r\nUpload-Offset: (\d+)", raw)
    state = re.search(rb"(?i)\r\nLivelog-State: (\w+)", raw)
    return (st[0] if st else 0, int(off.group(1)) if off else None,
            state.group(1).decode() if state else None)


def stored(name):
    """The committed bytes of a stream (GET ?follow=0), or None."""
    _, _, raw = exchange(
        R_ADDR,
        b"GET /v1/logs/%s?follow=0 HTTP/1.1\r\nHost: t\r\n"
        b"Connection: close\r\n\r\n" % name, 3)
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return None
    return body


def settled(name, want_state, limit_s=3):
    """Polls HEAD until the stream reaches want_state (bounded)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < limit_s:
        last = head_state(name)
        if last[2] == want_state:
            return last
        time.sleep(0.05)
    return last


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- the live stream, its writer and its followers ------------------------

class Writer:
    """A chunked PUT of LIVE with Upload-Complete: ?0 that appends one
    line every 20 ms (at most 20,000 lines) until stopped, then ends."""

    def __init__(self):
        self.sock = connect(W_ADDR)
        self.sock.sendall(
            b"PUT /v1/logs/%s HTTP/1.1\r\nHost: t\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" % LIVE)
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def append(self, data):
        with self.lock:
            self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            self.sent += data

    def run(self):
        for i in range(20000):
            if self.stop.wait(0.02):
                break
            self.append(b"line %06d of the live stream\n" % i)

    def bulk(self, total, block=65536):
        """Appends total bytes in blocks (the zero-window check)."""
        for i in range(total // block):
            self.append((b"%08d" % i) * (block // 8 - 1) + b"bulkend\n")

    def finish(self):
        self.stop.set()
        self.thread.join(10)
        with self.lock:
            self.sock.sendall(b"0\r\n\r\n")
        raw, _, _ = read_until_close(self.sock, 5)
        self.sock.close()
        return statuses(raw)


class Follower:
    """GET LIVE, following; records the body it decodes (chunked)."""

    def __init__(self, tag):
        self.tag = tag
        self.sock = connect(R_ADDR)
        self.sock.sendall(b"GET /v1/logs/%s HTTP/1.1\r\nHost: t\r\n\r\n"
                          % LIVE)
        self.raw = bytearray()
        self.done = threading.Event()
        self.how = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        t0 = time.monotonic()
        self.sock.settimeout(1)
        while time.monotonic() - t0 < 600:
            try:
                d = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                self.how = "reset"
                break
            if not d:
                self.how = "eof"
                break
            self.raw += d
            if self.raw.endswith(b"\r\n0\r\n\r\n"):
                self.how = "end"
                break
        self.done.set()

    def received(self):
        return len(self.raw)

    def body(self):
        head, _, rest = bytes(self.raw).partition(b"\r\n\r\n")
        out = bytearray()
        pos = 0
        for _ in range(10000000):
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                return None
            n = int(rest[pos:nl].split(b";")[0], 16)
            if n == 0:
                return bytes(out)
            out += rest[nl + 2:nl + 2 + n]
            pos = nl + 2 + n + 2
        return None


# ---- timeouts --------------------------------------------------------------

def check_timeouts():
    s = connect(R_ADDR)
    _, how, secs = read_until_close(s, 8)
    expect(how in ("eof", "reset") and 1.5 <= secs <= 6,
           "idle connection: %s after %.1f s, want closed after ~2 s"
           % (how, secs))
    s.close()

    s = connect(R_ADDR)
    s.sendall(b"GET /heal")
    _, how, secs = read_until_close(s, 8)
    expect(how in ("eof", "reset") and 1.5 <= secs <= 6,
           "request line stopped mid-way: %s after %.1f s" % (how, secs))
    s.close()

    # One header byte a second: each byte resets libmicrohttpd's timer.
    s = connect(R_ADDR)
    req = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 50
    open_after = True
    for i in range(6):
        try:
            s.sendall(req[i:i + 1])
        except OSError:
            open_after = False
            break
        got, how, _ = read_until_close(s, 1.0)
        if got or how != "open":
            open_after = False
            break
    expect(open_after, "1 byte/s slowloris: closed within 6 s (libmicrohttpd "
           "0.9.75 resets its timeout on every byte; update SECURITY.md)")
    # ...and once it stops, the timeout cuts it.
    _, how, secs = read_until_close(s, 8)
    expect(how in ("eof", "reset") and secs <= 6,
           "slowloris that stopped: %s after %.1f s" % (how, secs))
    s.close()

    # A faster trickle reaches the connection memory bound: 431.
    s = connect(R_ADDR)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    raw = b""
    for i in range(40):
        try:
            s.sendall(b"X-T%02d: " % i + b"t" * 1000 + b"\r\n")
        except OSError:
            break
        got, how, _ = read_until_close(s, 0.3)
        raw += got
        if raw or how != "open":
            break
    expect(statuses(raw)[:1] == [431],
           "1 KiB of header every 0.3 s: got %r, want 431 within 16 KiB"
           % raw[:60])
    s.close()

    # One byte every 3 s: slower than the timeout.
    s = connect(R_ADDR)
    cut = None
    t0 = time.monotonic()
    for b in b"GET /healthz HTTP/1.1\r\n":
        try:
            s.sendall(bytes([b]))
        except OSError:
            cut = time.monotonic() - t0
            break
        got, how, _ = read_until_close(s, 3.0)
        if how != "open":
            cut = time.monotonic() - t0
            break
    expect(cut is not None and cut <= 4,
           "1 byte per 3 s: cut after %s s, want ~2" % cut)
    s.close()


# ---- sizes ------------------------------------------------------------------

def check_sizes():
    for a, n, tag in ((R_ADDR, 20000, "read"), (W_ADDR, 70000, "write")):
        st, how, _ = exchange(
            a, b"GET /" + b"a" * n + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        expect(st[:1] == [414] and how in ("eof", "reset"),
               "%d-byte request line on the %s listener: %r %s"
               % (n, tag, st, how))
        st, how, _ = exchange(
            a, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * n
            + b"\r\n\r\n")
        expect(st[:1] == [431] and how in ("eof", "reset"),
               "%d bytes of header on the %s listener: %r %s"
               % (n, tag, st, how))
        st, how, _ = exchange(
            a, b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
            + b"".join(b"X-%05d: v\r\n" % i for i in range(n // 10))
            + b"\r\n")
        expect(st[:1] == [431],
               "%d headers on the %s listener: %r" % (n // 10, tag, st))


def check_huge_range():
    """The largest Range positions on the live stream: the last position
    2^64-1 reads like any far end (the bytes there, then waiting), never an
    empty answer (its last + 1 used to wrap to 0)."""
    s = connect(R_ADDR)
    s.sendall(b"GET /v1/logs/%s?follow=0 HTTP/1.1\r\nHost: t\r\n"
              b"Range: bytes=0-18446744073709551615\r\n\r\n" % LIVE)
    raw, _, _ = read_until_close(s, 1.5)
    s.close()
    expect(statuses(raw)[:1] == [206] and b"first line\n" in raw,
           "Range bytes=0-18446744073709551615 on a live stream: %r"
           % raw[:120])


# ---- request framing --------------------------------------------------------

def put(name, headers, body):
    return (b"PUT /v1/logs/public/hostile/%s HTTP/1.1\r\nHost: t\r\n%s\r\n"
            % (name, headers)) + body


def check_framing():
    te = b"Transfer-Encoding: chunked\r\n"
    cases = [
        # name, request, statuses, closed, state, stored bytes
        (b"f1", put(b"f1", te, b"5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n"),
         [400], True, "interrupted", b"hello"),
        (b"f2", put(b"f2", te, b"5\r\nhelloXX3\r\nabc\r\n0\r\n\r\n"),
         [400], True, "interrupted", b"hello"),
        (b"f3", put(b"f3", te, b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
         [413], True, "interrupted", b""),
        (b"f4", put(b"f4", b"Content-Length: -5\r\n", b"hello"),
         [400], True, None, None),
        (b"f5", put(b"f5", b"Content-Length: 5x\r\n", b"hello"),
         [400], True, None, None),
        (b"f6", put(b"f6", b"Content-Length: 3, 5\r\n", b"hello"),
         [400], True, None, None),
        # Both framings: refused before any body byte (RFC 9112 6.3).
        (b"f7", put(b"f7", b"Content-Length: 3\r\n" + te,
                    b"5\r\nhello\r\n0\r\n\r\n"),
         [400], True, None, None),
        # Two different lengths: refused; nothing is created.
        (b"f8", put(b"f8", b"Content-Length: 3\r\nContent-Length: 5\r\n",
                    b"hello"),
         [400], True, None, None),
        # The same length twice frames the body one way: accepted.
        (b"f8s", put(b"f8s", b"Content-Length: 5\r\nContent-Length: 5\r\n",
                     b"hello"),
         [201], False, "complete", b"hello"),
        # A transfer coding other than chunked: 501, nothing created.
        (b"f10", put(b"f10", b"Transfer-Encoding: gzip, chunked\r\n",
                     b"5\r\nhello\r\n0\r\n\r\n"),
         [501], True, None, None),
        # Whitespace before the colon (RFC 9112 5.1): 400.
        (b"f11", put(b"f11", b"Content-Length : 5\r\n", b"hello"),
         [400], True, None, None),
        # Junk after the body: never stored, the connection is closed.
        (b"f9", put(b"f9", b"Content-Length: 5\r\n",
                    b"helloXXXXGARBAGE\r\n\r\n"),
         [201], True, "complete", b"hello"),
    ]
    for name, req, want, closed, state, body in cases:
        st, how, raw = exchange(W_ADDR, req, 2)
        expect(st[:len(want)] == want,
               "framing %s: statuses %r, want %r (%r)"
               % (name.decode(), st, want, raw[:80]))
        if closed:
            expect(how in ("eof", "reset"),
                   "framing %s: connection %s, want closed"
                   % (name.decode(), how))
        full = b"public/hostile/" + name
        if state is None:
            expect(head_state(full)[0] == 404,
                   "framing %s: the stream exists" % name.decode())
            continue
        got = settled(full, state)
        expect(got is not None and got[2] == state and got[1] == len(body),
               "framing %s: HEAD %r, want %s with %d bytes"
               % (name.decode(), got, state, len(body)))
        data = stored(full)
        expect(data == body, "framing %s: stored %r, want %r"
               % (name.decode(), data, body))

    # A whole request after a Content-Length body is a pipelined request.
    st, _, _ = exchange(W_ADDR, put(b"p1", b"Content-Length: 5\r\n",
                                    b"hello" + put(b"p2",
                                                   b"Content-Length: 2\r\n",
                                                   b"hi")), 2)
    expect(st[:2] == [201, 201], "pipelined PUTs: %r" % st)
    expect(stored(b"public/hostile/p1") == b"hello" and
           stored(b"public/hostile/p2") == b"hi",
           "pipelined PUTs: the bodies were not kept apart")


# ---- the connection limit ---------------------------------------------------

def check_limit(followers):
    # 16 trickling clients take every slot (with the 3 followers, some
    # of them wait in the backlog).
    trick = []
    for i in range(16):
        s = connect(R_ADDR)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        trick.append(s)
    stop = threading.Event()

    def keep_trickling():
        for _ in range(600):
            if stop.wait(0.5):
                return
            for s in trick:
                try:
                    s.send(b"X")
                except OSError:
                    pass

    t = threading.Thread(target=keep_trickling, daemon=True)
    t.start()
    time.sleep(0.5)
    s = connect(R_ADDR)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    got, how, _ = read_until_close(s, 1.0)
    s.close()
    expect(got == b"" and how == "open",
           "at the limit a new client got %r (%s), want no answer"
           % (got[:40], how))

    before = [f.received() for f in followers]
    served = 0
    attempts = 0
    t0 = time.monotonic()
    for batch in range(20):
        socks = []
        for i in range(1000):
            c = socket.socket()
            # Reset on close: no TIME_WAIT, so no ephemeral port shortage.
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.setblocking(False)
            try:
                c.connect_ex(addr(R_ADDR))
            except OSError:
                pass
            socks.append(c)
            attempts += 1
        time.sleep(0.05)
        for c in socks:
            try:
                if c.recv(1):
                    served += 1
            except OSError:
                pass
            c.close()
        if time.monotonic() - t0 > 60:
            break
    secs = time.monotonic() - t0
    expect(attempts == 20000, "only %d connection attempts in 60 s"
           % attempts)
    expect(served == 0, "%d of the attempts beyond the limit got bytes"
           % served)
    time.sleep(0.3)
    after = [f.received() for f in followers]
    expect(all(a > b for a, b in zip(after, before)),
           "followers stalled during the flood: %r -> %r" % (before, after))
    note("20,000 attempts beyond the limit in %.1f s; followers %r -> %r "
         "bytes" % (secs, before, after))
    stop.set()
    t.join(5)
    for s in trick:
        s.close()
    # The listener serves again once slots free (bounded wait).
    ok = False
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20 and not ok:
        try:
            st, _, _ = exchange(
                R_ADDR, b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
                b"Connection: close\r\n\r\n", 1)
            ok = st[:1] == [200]
        except OSError:
            pass
    expect(ok, "the read listener did not answer /healthz within 20 s of "
           "the flood")


# ---- a reader that never reads ----------------------------------------------

def check_zero_window(writer):
    z = socket.socket()
    z.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    z.settimeout(10)
    z.connect(addr(R_ADDR))
    z.sendall(b"GET /v1/logs/%s HTTP/1.1\r\nHost: t\r\n\r\n" % LIVE)
    time.sleep(0.3)
    r0 = rss_kib(PID)
    total = (4 if SANITIZED else 16) << 20
    writer.bulk(total)
    time.sleep(0.5)
    grown = rss_kib(PID) - r0
    bound = (64 if SANITIZED else 8) << 10
    expect(grown < bound, "a never-reading follower: the server grew %d KiB "
           "while %d MiB were written (bound %d KiB)"
           % (grown, total >> 20, bound))
    # Its sends stopped progressing: the timeout closes it.
    time.sleep(4)
    _, how, _ = read_until_close(z, 5)
    expect(how in ("eof", "reset"),
           "a never-reading follower is still connected (%s)" % how)
    z.close()
    note("zero-window follower: +%d KiB for %d MiB written, then %s"
         % (grown, total >> 20, how))


# ---- path tricks --------------------------------------------------------------

TRICKS = [
    b"/v1/logs/%2e%2e/%2e%2e/escape",
    b"/v1/logs/%2E%2E/escape",
    b"/v1/logs/a/../../escape",
    b"/v1/logs/../escape",
    b"/v1/logs/..%2fescape",
    b"/v1/logs/.%2e/escape",
    b"/v1/logs//escape",
    b"/v1/logs/a//escape",
    b"/v1/logs/a%2f%2fescape",
    b"/v1/logs/%2fescape",
    b"/v1/logs/a%00escape",
    b"/v1/logs/%c0%ae%c0%ae/escape",
    b"/v1/logs/%c0%af/escape",
    b"/v1/logs/%e0%80%ae%e0%80%ae/escape",
    b"/v1/logs/%252e%252e/escape",
    b"/v1/logs/public/%2e%2e/%2e%2e/%2e%2e/escape",
    b"/v1/logs/public/x/%2e",
    b"/v1//logs/escape",
]


def snapshot(top):
    found = set()
    for root, dirs, files in os.walk(top):
        for f in dirs + files:
            found.add(os.path.join(root, f))
    return found


def check_paths():
    outside = os.path.dirname(os.path.abspath(DATA))
    before = snapshot(outside)
    for path in TRICKS:
        for a, method, body in ((W_ADDR, b"PUT", b"x"), (R_ADDR, b"GET", b""),
                                (W_ADDR, b"DELETE", b""),
                                (W_ADDR, b"HEAD", b"")):
            req = (b"%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n"
                   b"Connection: close\r\n\r\n%s"
                   % (method, path, len(body), body))
            st, _, _ = exchange(a, req, 2)
            expect(st and st[0] in (400, 404),
                   "%s %r: statuses %r, want 400 or 404"
                   % (method.decode(), path, st))
    # A raw NUL ends the path: libmicrohttpd hands the server the URL as a
    # C string, so the name is what precedes it (here a public name, so
    # the GET answers too); nothing after it is used.
    nul = b"/v1/logs/public/hostile/nul\x00/../../../escape"
    st, _, _ = exchange(W_ADDR, b"PUT %s HTTP/1.1\r\nHost: t\r\n"
                        b"Content-Length: 3\r\nConnection: close\r\n\r\nnul"
                        % nul, 2)
    expect(st[:1] == [201], "PUT with a raw NUL in the path: %r" % st)
    expect(stored(b"public/hostile/nul") == b"nul",
           "a raw NUL in the path did not name the prefix before it")
    after = snapshot(outside)
    new = sorted(p for p in after - before
                 if not p.startswith(os.path.abspath(DATA) + os.sep))
    expect(not new, "files appeared outside the data dir: %r" % new[:5])
    bad = []
    for p in snapshot(DATA):
        rel = os.path.relpath(p, DATA).split(os.sep)
        if "escape" in p:
            bad.append(p)
        elif rel[0] == "streams":
            if (len(rel) >= 2 and not re.fullmatch(r"[0-9a-f]{2}", rel[1])) \
                    or (len(rel) >= 3 and
                        not re.fullmatch(r"[0-9a-f]{64}", rel[2])):
                bad.append(p)
        elif not rel[0].startswith("livelog-"):
            bad.append(p)
    expect(not bad, "unexpected entries in the data dir: %r" % bad[:5])


def main():
    writer = Writer()
    writer.append(b"first line\n")
    followers = [Follower(i) for i in range(3)]
    writer.thread.start()
    steps = [("range", check_huge_range), ("timeouts", check_timeouts),
             ("sizes", check_sizes),
             ("framing", check_framing), ("paths", check_paths),
             ("limit", lambda: check_limit(followers)),
             ("window", lambda: check_zero_window(writer))]
    for name, fn in steps:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # a check that broke is a failure, not a stop
            fail("%s: %r" % (name, e))
        note("%s: %.1f s" % (name, time.monotonic() - t0))
    st = writer.finish()
    expect(st[:1] == [201], "the live writer's PUT ended with %r" % st)
    for f in followers:
        f.done.wait(30)
        expect(f.how == "end", "follower %d: response %s" % (f.tag, f.how))
        body = f.body()
        expect(body == bytes(writer.sent),
               "follower %d: %s of %d bytes, %s"
               % (f.tag, None if body is None else len(body),
                  len(writer.sent),
                  "equal prefix" if body is not None and
                  bytes(writer.sent).startswith(body) else "differs"))
    note("%d bytes written, %d failures" % (len(writer.sent), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
