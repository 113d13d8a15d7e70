#!/usr/bin/env bash
# notify.sh: systemd's readiness protocol (Type=notify) without systemd.
# A datagram socket stands in for NOTIFY_SOCKET; `livelog serve` must send
# READY=1 only once both listeners answer (/healthz is up when it comes),
# RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM;
# `livelog forward` READY=1 after its first scan and STOPPING=1 on SIGTERM.
# Run: bash notify.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"

SOCK=$SCRATCH/notify.sock
MSGS=$SCRATCH/notify.txt
# The listener: one line per datagram (newlines inside become '|'); it
# stops after 60 s without one.
python3 - "$SOCK" "$MSGS" <<'EOF' &
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(60)
with open(out, "a") as f:
    try:
        while True:
            m = s.recv(4096).decode().strip().replace("\n", "|")
            f.write(m + "\n")
            f.flush()
    except socket.timeout:
        pass
EOF
LISTENER=$!
PIDS+=("$LISTENER")
for ((i = 0; i < 250; i++)); do [ -S "$SOCK" ] && break; sleep 0.02; done
[ -S "$SOCK" ] || { fail "the notify listener did not start"; finish; }

# await WORD: waits up to 10 s for a datagram containing WORD.
await() {
  local i
  for ((i = 0; i < 500; i++)); do
    grep -q "$1" "$MSGS" 2>/dev/null && return 0
    sleep 0.02
  done
  fail "no '$1' datagram within 10 s: $(cat "$MSGS" 2>/dev/null)"
  return 1
}

# ---- serve -------------------------------------------------------------
: >"$MSGS"
mkdir -p "$SCRATCH/data"
start serve NOTIFY_SOCKET="$SOCK" -- serve --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 || finish
await 'READY=1'
# READY=1 came after the "listening" lines, both of them
python3 - "$LOG" <<'EOF' || fail "READY=1 before both listeners were logged"
import json, sys
n = sum(1 for l in open(sys.argv[1]) if '"msg":"listening"' in l)
sys.exit(0 if n == 2 else 1)
EOF
expect_eq "serve: first datagram" "$(head -n 1 "$MSGS")" "READY=1|STATUS=listening"
kill -HUP "$PID"
await 'RELOADING=1'
for ((i = 0; i < 500; i++)); do
  [ "$(grep -c 'READY=1' "$MSGS")" -ge 2 ] && break
  sleep 0.02
done
expect_eq "serve: datagrams after SIGHUP" "$(sed -n 2,3p "$MSGS" | tr '\n' ' ')" \
  "RELOADING=1 READY=1 "
stop
await 'STOPPING=1'
check_log "$LOG"

# ---- forward -----------------------------------------------------------
: >"$MSGS"
mkdir -p "$SCRATCH/logs" "$SCRATCH/state"
printf 'x\n' >"$SCRATCH/logs/a.log"
OUTF=$SCRATCH/fwd.out
env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
  NOTIFY_SOCKET="$SOCK" LIVELOG_CONFIG=/dev/null \
  "$LIVELOG" forward --watch "$SCRATCH/logs" --to stdout \
  --state-dir "$SCRATCH/state" </dev/null >"$OUTF" 2>"$SCRATCH/fwd.log" &
FPID=$!
PIDS+=("$FPID")
await 'READY=1'
expect_eq "forward: first datagram" "$(head -n 1 "$MSGS")" "READY=1|STATUS=following"
kill -TERM "$FPID"
await 'STOPPING=1'
wait "$FPID"
expect_eq "forward: exit code" "$?" 0

kill "$LISTENER" 2>/dev/null
finish
