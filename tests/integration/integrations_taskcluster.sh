#!/usr/bin/env bash
# integrations_taskcluster.sh: the Taskcluster recipes of
# docs/INTEGRATIONS.md, run as written with the files of
# packaging/examples/:
#   1. generic-worker-livelog.json: the config keys the doc names, shown
#      verbatim in the doc;
#   2. the drop-in started exactly the way generic-worker starts its
#      livelogExecutable: an environment of only ACCESS_TOKEN,
#      LIVELOG_PUT_PORT (livelogPortBase) and LIVELOG_GET_PORT (+1), a
#      wait for the PUT port, one long chunked PUT to
#      http://localhost:PUT/log while a reader follows GET /log/TOKEN on
#      the GET port (every line within 1 s), a wrong token refused, then
#      SIGKILL, which leaves the log file in /tmp (removed here);
#   3. livelog-generic-worker (the wrapper the doc recommends): the log
#      file in its own directory, stale files of killed runs removed;
#   4. the write port on 127.0.0.1 only (why docker-worker's PUT to a
#      container address would be refused), the read port on all;
#   5. livelog serve and taskcluster-livelog-stream: a private
#      taskLogArtifact (TASK/RUN/private/logs/live.log) opened with an
#      empty PUT whose Livelog-Read-URL an anonymous reader follows while
#      the task writes; the name without the signed query, or with
#      another name's, is refused; the default public/logs/live.log needs
#      no signature; `livelog token --url` + `livelog put` as the
#      alternative.
# Run: bash integrations_taskcluster.sh LIVELOG CHECK_SERVER_LOG
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/integrations_lib.sh"
need curl python3

LINES=8
INTERVAL=0.25

# ---- 1. the generic-worker configuration fragment ----
python3 - "$EXAMPLES/generic-worker-livelog.json" <<'EOF' ||
import json, sys
cfg = json.load(open(sys.argv[1]))
want = {"enableLiveLog": bool, "livelogExecutable": str,
        "livelogPortBase": int, "livelogExposePort": int}
assert set(cfg) == set(want), sorted(cfg)
for k, t in want.items():
    assert type(cfg[k]) is t, k
assert cfg["livelogExecutable"].startswith("/"), "livelogExecutable must be absolute"
assert 0 < cfg["livelogPortBase"] < 65535
EOF
  fail "generic-worker-livelog.json is not the fragment the doc describes"
doc_includes generic-worker-livelog.json
doc_includes livelog-generic-worker
doc_has "workers/generic-worker/livelog/livelog.go"

# two consecutive free ports: livelogPortBase and livelogPortBase + 1
port_pair() {
  python3 <<'EOF'
import socket
for _ in range(200):
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p >= 65535:
        continue
    b = socket.socket()
    try:
        b.bind(("0.0.0.0", p + 1))
    except OSError:
        continue
    print(p)
    break
EOF
}

# gw_start NAME EXE BASE TOKEN [VAR=VALUE...]: EXE started as generic-worker
# starts livelogExecutable (livelog/livelog.go: cmd.Env is exactly the
# three variables; stdout and stderr into one buffer). The sanitizers'
# options pass through when the test runs under them. Sets GWPID.
gw_start() {
  local name=$1 exe=$2 base=$3 token=$4
  shift 4
  env -i ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    ACCESS_TOKEN="$token" LIVELOG_GET_PORT=$((base + 1)) \
    LIVELOG_PUT_PORT="$base" "$@" "$exe" </dev/null \
    >"$SCRATCH/$name.log" 2>&1 &
  GWPID=$!
  PIDS+=("$GWPID")
}

# log_file PID: the log file (livelog-XXXXXX, mkostemp's name) that the
# drop-in PID holds open.
log_file() {
  local fd t
  for fd in /proc/"$1"/fd/*; do
    t=$(readlink "$fd" 2>/dev/null) || continue
    if [[ ${t##*/} =~ ^livelog-[A-Za-z0-9]{6}$ ]]; then
      echo "$t"
      return 0
    fi
  done
  return 1
}

# ---- 2. the drop-in as generic-worker runs it ----
BASE=$(port_pair)
[ -n "$BASE" ] || skip "no two consecutive free ports"
TOKEN=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
gw_start gw "$LIVELOG" "$BASE" "$TOKEN"
wait_until 20 port_open "$BASE" || fail "generic-worker env: the PUT port never opened"
GET=$((BASE + 1))

mkfifo "$SCRATCH/gw.fifo"
curl -sS -o "$SCRATCH/gw.put" -w '%{http_code}' -T - \
  "http://localhost:$BASE/log" <"$SCRATCH/gw.fifo" >"$SCRATCH/gw.code" &
putpid=$!
PIDS+=("$putpid")
emit_lines "$LINES" "$INTERVAL" gw | tee "$SCRATCH/gw.sent" >"$SCRATCH/gw.fifo" &
writer=$!
PIDS+=("$writer")
wait_until 10 test -s "$SCRATCH/gw.sent" || fail "generic-worker env: the writer never wrote"
# the LiveLog artifact's URL: GET /log/TOKEN on the GET port
curl -sN --max-time 30 "http://127.0.0.1:$GET/log/$TOKEN" | stamp \
  >"$SCRATCH/gw.read" &
reader=$!
PIDS+=("$reader")
wait "$writer" || fail "generic-worker env: the writer failed"
wait "$putpid" || fail "generic-worker env: the PUT failed"
expect_eq "generic-worker env: PUT /log answer" "$(cat "$SCRATCH/gw.code")" 201
wait "$reader" || fail "generic-worker env: the reader failed"
check_latency "$SCRATCH/gw.read" gw "$LINES" 1.0 "generic-worker env: GET /log/TOKEN"
curl -sS --max-time 10 -o "$SCRATCH/gw.body" "http://127.0.0.1:$GET/log/$TOKEN"
cmp -s "$SCRATCH/gw.body" "$SCRATCH/gw.sent" ||
  fail "generic-worker env: the log differs from what was written"
expect_eq "generic-worker env: wrong token" "$(curl -s -o /dev/null \
  -w '%{http_code}' "http://127.0.0.1:$GET/log/${TOKEN}x")" 401
expect_eq "generic-worker env: Range" "$(curl -s -o /dev/null -r 0-9 \
  -w '%{http_code}' "http://127.0.0.1:$GET/log/$TOKEN")" 206

# ---- 4. the write port is 127.0.0.1's only; the read port is everyone's ----
if port_open "$BASE" && curl -s -o /dev/null --max-time 2 "http://127.0.0.2:$GET/healthz"; then
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.2:$BASE/healthz"; then
    fail "drop-in: the write port answers on 127.0.0.2 (docker-worker's case)"
  fi
else
  fail "drop-in: the read port does not answer on 127.0.0.2"
fi

# generic-worker's Terminate: the writer is closed, then SIGKILL
leaked=$(log_file "$GWPID") || leaked=""
case $leaked in
/tmp/livelog-*) ;;
*) fail "generic-worker env: the log file is '$leaked', want /tmp/livelog-*" ;;
esac
if [ -n "$leaked" ]; then
  EXTRA_CLEANUP+=("rm -f '$leaked'")
fi
kill -KILL "$GWPID"
wait "$GWPID" 2>/dev/null || true
if [ -n "$leaked" ]; then
  [ -e "$leaked" ] || fail "generic-worker env: the log file is gone after SIGKILL (the doc says it stays)"
  rm -f "$leaked"
fi
check_log "$SCRATCH/gw.log" --secret "$TOKEN"

# ---- 3. the wrapper: the log file in a directory of its own ----
mkdir -p "$SCRATCH/bin" "$SCRATCH/gwtmp"
cp "$EXAMPLES/livelog-generic-worker" "$SCRATCH/bin/"
ln -s "$LIVELOG" "$SCRATCH/bin/livelog"
: >"$SCRATCH/gwtmp/livelog-OLDRUN"
touch -d '2 days ago' "$SCRATCH/gwtmp/livelog-OLDRUN"
: >"$SCRATCH/gwtmp/livelog-RECENT"
: >"$SCRATCH/gwtmp/other-file"
touch -d '2 days ago' "$SCRATCH/gwtmp/other-file"
BASE=$(port_pair)
TOKEN2=$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')
# LIVELOG_TEMP_DIR only keeps the test's files in its scratch directory;
# generic-worker passes none and the wrapper's default applies
gw_start wrap "$SCRATCH/bin/livelog-generic-worker" "$BASE" "$TOKEN2" \
  LIVELOG_TEMP_DIR="$SCRATCH/gwtmp"
wait_until 20 port_open "$BASE" || fail "wrapper: the PUT port never opened"
printf 'wrapped\n' | curl -sS -o /dev/null -T - "http://localhost:$BASE/log"
expect_eq "wrapper: the log" "$(curl -sS --max-time 10 \
  "http://127.0.0.1:$((BASE + 1))/log/$TOKEN2")" wrapped
f=$(log_file "$GWPID") || f=""
case $f in
"$SCRATCH"/gwtmp/livelog-*) ;;
*) fail "wrapper: the log file is '$f', want $SCRATCH/gwtmp/livelog-*" ;;
esac
[ -e "$SCRATCH/gwtmp/livelog-OLDRUN" ] && fail "wrapper: a stale log file was not removed"
[ -e "$SCRATCH/gwtmp/livelog-RECENT" ] || fail "wrapper: a recent log file was removed"
[ -e "$SCRATCH/gwtmp/other-file" ] || fail "wrapper: a file not its own was removed"
expect_eq "wrapper: the process generic-worker kills is livelog" \
  "$(readlink "/proc/$GWPID/exe")" "$(readlink -f "$LIVELOG")"
kill -KILL "$GWPID"
wait "$GWPID" 2>/dev/null || true
check_log "$SCRATCH/wrap.log" --secret "$TOKEN2"

# ---- 5. livelog serve: a private taskLogArtifact ----
doc_has "taskcluster-livelog-stream"
mkdir -m 700 "$SCRATCH/keys"
(umask 077 && python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())' \
  >"$SCRATCH/keys/2026-11.key")
RP=$(free_ports 1)
mkdir -p "$SCRATCH/data"
start srv -- serve --config /dev/null --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr "127.0.0.1:$RP" \
  --key-dir "$SCRATCH/keys" --public-url "http://127.0.0.1:$RP" || finish
W=http://127.0.0.1:$PUT
TASK=fNdAXm7nS2WyU1ZPtC8rVA

mkfifo "$SCRATCH/tc.fifo"
LIVELOG_URL=$W "$EXAMPLES/taskcluster-livelog-stream" "$TASK" 0 \
  private/logs/live.log <"$SCRATCH/tc.fifo" >"$SCRATCH/tc.url" \
  2>"$SCRATCH/tc.err" &
stream=$!
PIDS+=("$stream")
exec 7>"$SCRATCH/tc.fifo"
wait_until 10 test -s "$SCRATCH/tc.url" || fail "private: no Livelog-Read-URL printed"
URL=$(head -n 1 "$SCRATCH/tc.url")
case $URL in
"http://127.0.0.1:$RP/v1/logs/$TASK/0/private/logs/live.log?exp="*"&sig="*) ;;
*) fail "private: Livelog-Read-URL is '$URL'" ;;
esac
# the LiveLog artifact's reader: no credential but the URL (and not the
# FIFO's write end, which would keep the stream from ending)
curl -sN --max-time 30 "$URL" 7>&- | stamp >"$SCRATCH/tc.read" 7>&- &
reader=$!
PIDS+=("$reader")
emit_lines "$LINES" "$INTERVAL" tc | tee "$SCRATCH/tc.sent" >&7
exec 7>&-
wait "$stream" || fail "private: taskcluster-livelog-stream failed: $(cat "$SCRATCH/tc.err")"
wait "$reader" || fail "private: the reader failed"
check_latency "$SCRATCH/tc.read" tc "$LINES" 1.0 "private: the signed Livelog-Read-URL"
curl -sS --max-time 10 -D "$SCRATCH/tc.hdr" -o "$SCRATCH/tc.body" "$URL"
cmp -s "$SCRATCH/tc.body" "$SCRATCH/tc.sent" || fail "private: the log differs from what was written"
expect_eq "private: state after the end of stdin" "$(hdr "$SCRATCH/tc.hdr" Livelog-State)" complete
BARE=${URL%%\?*}
expect_eq "private: the name without the signed query" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BARE")" 401
expect_eq "private: HEAD with the signed query" \
  "$(curl -s -o /dev/null -I -w '%{http_code}' "$URL")" 200
OTHER="http://127.0.0.1:$RP/v1/logs/$TASK/1/private/logs/live.log?${URL#*\?}"
expect_eq "private: the query on another run's name" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$OTHER")" 401
TAMPERED="${URL%?}$([ "${URL: -1}" = A ] && echo B || echo A)"
expect_eq "private: a tampered signature" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$TAMPERED")" 401

# the default taskLogArtifact, public/logs/live.log: a plain URL
printf 'public line\n' | LIVELOG_URL=$W "$EXAMPLES/taskcluster-livelog-stream" \
  "$TASK" 0 >"$SCRATCH/pub.url"
expect_eq "public: Livelog-Read-URL" "$(cat "$SCRATCH/pub.url")" \
  "http://127.0.0.1:$RP/v1/logs/$TASK/0/public/logs/live.log"
expect_eq "public: anonymous read" "$(curl -sS --max-time 10 "$(cat "$SCRATCH/pub.url")")" \
  "public line"
# usage and a refused name
set +e
"$EXAMPLES/taskcluster-livelog-stream" only-one </dev/null >/dev/null 2>&1
rc=$?
LIVELOG_URL=$W "$EXAMPLES/taskcluster-livelog-stream" "$TASK" 0 'private/x*y' \
  </dev/null >/dev/null 2>"$SCRATCH/bad.err"
rc2=$?
set -e
expect_eq "taskcluster-livelog-stream usage" "$rc" 2
expect_eq "taskcluster-livelog-stream on a refused name" "$rc2" 1

# the alternative: the worker signs the URL itself and writes with livelog put
NAME2="$TASK/2/private/logs/live.log"
URL2=$("$LIVELOG" token --key-dir "$SCRATCH/keys" --url "$NAME2" --ttl 600 \
  --base "http://127.0.0.1:$RP")
printf 'via put\n' | "$LIVELOG" put --server "$W" "$NAME2"
expect_eq "token --url + put: anonymous read" "$(curl -sS --max-time 10 "$URL2")" "via put"

stop || true
check_log "$LOG"
finish
