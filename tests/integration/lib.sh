# lib.sh: shared helpers of the curl-command integration tests (*.sh).
# Sourced, not run. Usage of a test: bash TEST.sh LIVELOG_BINARY
# CHECK_SERVER_LOG [VERSION]. Starts servers with a clean environment on
# port 0, finds the ports in the "listening" log lines, waits for /healthz,
# stops with SIGTERM (bounded) and validates each log with
# scripts/check-server-log. Every loop is bounded in count and time.

set -u
LIVELOG=${1:?usage: $0 LIVELOG_BINARY CHECK_SERVER_LOG [VERSION]}
CHECK=${2:?usage: $0 LIVELOG_BINARY CHECK_SERVER_LOG [VERSION]}
VERSION=${3:-}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/livelog-it-sh-XXXXXX")
FAILS=0
PIDS=()

fail() {
  echo "FAIL: $*" >&2
  FAILS=$((FAILS + 1))
}

note() {
  echo "[$(basename "$0")] $*" >&2
}

# expect_eq WHAT GOT WANT
expect_eq() {
  if [ "$2" != "$3" ]; then
    fail "$1: got '$2', want '$3'"
  fi
}

# header FILE NAME: value of header NAME in a curl -D dump (last response).
header() {
  python3 - "$1" "$2" <<'EOF'
import sys
blocks = open(sys.argv[1], "rb").read().decode("latin-1").split("\r\n\r\n")
blocks = [b for b in blocks if b.strip()]
if blocks:
    for line in blocks[-1].split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == sys.argv[2].lower():
            print(v.strip())
            break
EOF
}

# ports LOG: prints "WRITEPORT READPORT" once both listening lines are in.
ports() {
  python3 - "$1" <<'EOF'
import json, sys
w = r = None
for line in open(sys.argv[1], "rb"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if not isinstance(o, dict) or o.get("msg") != "listening":
        continue
    addr = str(o.get("addr", ""))
    if o.get("listener") == "write":
        w = addr
    elif o.get("listener") == "read":
        r = addr
if w and r:
    print(w.rsplit(":", 1)[1], r.rsplit(":", 1)[1], w, r)
EOF
}

# alive PID: true while PID runs (not a zombie).
alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# start NAME [VAR=VALUE...] [-- ARGS...]: starts the server with a clean
# environment (ports 0, LIVELOG_TEMP_DIR in the scratch dir, then the given
# assignments; "VAR=" sets VAR empty, "-u VAR" is not supported: leave it
# out). Sets PID, PUT, GET, PUT_ADDR, GET_ADDR, LOG. Returns 1 on failure.
start() {
  local name=$1
  shift
  local envs=() args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then
      shift
      args=("$@")
      break
    fi
    envs+=("$1")
    shift
  done
  LOG=$SCRATCH/$name.log
  mkdir -p "$SCRATCH/$name.tmp"
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    LIVELOG_PUT_PORT=0 LIVELOG_GET_PORT=0 \
    LIVELOG_TEMP_DIR="$SCRATCH/$name.tmp" "${envs[@]}" \
    "$LIVELOG" "${args[@]}" </dev/null >"$SCRATCH/$name.out" 2>"$LOG" &
  PID=$!
  PIDS+=("$PID")
  local p="" i
  for ((i = 0; i < 1000; i++)); do
    p=$(ports "$LOG")
    [ -n "$p" ] && break
    if ! alive "$PID"; then
      fail "$name: server exited during startup"
      tail -n 20 "$LOG" >&2
      return 1
    fi
    sleep 0.02
  done
  if [ -z "$p" ]; then
    fail "$name: no listening lines within 20 s"
    return 1
  fi
  read -r PUT GET PUT_ADDR GET_ADDR <<<"$p"
  local scheme=http cacert=()
  if [ -n "${CACERT:-}" ]; then
    scheme=https
    cacert=(--cacert "$CACERT")
  fi
  for ((i = 0; i < 500; i++)); do
    if [ "$(curl -s "${cacert[@]}" --max-time 1 -o /dev/null -w '%{http_code}' \
      "$scheme://127.0.0.1:$GET/healthz")" = 200 ]; then
      note "$name: pid $PID ready (write $PUT_ADDR, read $GET_ADDR)"
      return 0
    fi
    sleep 0.02
  done
  fail "$name: /healthz never answered 200"
  return 1
}

# stop: SIGTERM, wait up to 5 s; checks exit code 0. Sets STATUS.
stop() {
  local i
  kill -TERM "$PID" 2>/dev/null
  for ((i = 0; i < 500; i++)); do
    alive "$PID" || break
    sleep 0.01
  done
  if alive "$PID"; then
    fail "server $PID did not exit within 5 s of SIGTERM"
    kill -KILL "$PID" 2>/dev/null
  fi
  wait "$PID"
  STATUS=$?
  expect_eq "exit code after SIGTERM" "$STATUS" 0
}

# check_log LOG [checker args...]
check_log() {
  local log=$1
  shift
  if ! "$CHECK" "$@" "$log"; then
    fail "$log fails check-server-log"
  fi
}

# run_exit NAME TIMEOUT_S [VAR=VALUE...] [-- ARGS...]: runs the binary to its
# exit with a clean environment; sets RC, OUT (stdout file), ERR (stderr).
run_exit() {
  local name=$1 t=$2
  shift 2
  local envs=() args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then
      shift
      args=("$@")
      break
    fi
    envs+=("$1")
    shift
  done
  OUT=$SCRATCH/$name.out
  ERR=$SCRATCH/$name.err
  mkdir -p "$SCRATCH/$name.tmp"
  timeout -s KILL "$t" env -i PATH="$PATH" \
    ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    LIVELOG_TEMP_DIR="$SCRATCH/$name.tmp" "${envs[@]}" \
    "$LIVELOG" "${args[@]}" </dev/null >"$OUT" 2>"$ERR"
  RC=$?
}

cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null
  done
}
trap cleanup EXIT

finish() {
  cleanup
  if [ "$FAILS" -gt 0 ]; then
    echo "[$(basename "$0")] $FAILS failure(s); scratch kept at $SCRATCH" >&2
    exit 1
  fi
  rm -rf "$SCRATCH"
  note "passed"
  exit 0
}
