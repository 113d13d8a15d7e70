#!/usr/bin/env bash
# serve_hostile.sh: hostile clients against the real `livelog serve`
# (issue 9, "Hostile clients"): timeouts, size limits, request framing
# (request smuggling), the connection limit under a flood of 20,000
# attempts, a follower that never reads, and path tricks, all while a
# live stream is written and followed by three readers that must get
# every byte. The clients are raw sockets in hostile.py (Python's standard
# library); this script starts the server with a short read timeout and
# the smallest connection limit, runs them, stops the server and checks
# its log. What libmicrohttpd 0.9.75 does where it differs from RFC 9112's
# advice is pinned by hostile.py and explained in docs/SECURITY.md
# ("Hostile clients").
# Run: bash serve_hostile.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"

mkdir -p "$SCRATCH/data"
start hostile -- serve --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 \
  --read-timeout 2 --max-connections 16 --log-level debug || finish
timeout -s KILL 300 python3 "$(dirname "$0")/hostile.py" "$PUT_ADDR" \
  "$GET_ADDR" "$PID" "$SCRATCH/data" "$SCRATCH" ||
  fail "hostile.py reported failures (above)"
alive "$PID" || fail "the server died during the hostile clients"
stop
check_log "$LOG"
finish
