#!/usr/bin/env bash
# integrations_github.sh: the GitHub Actions recipes of
# docs/INTEGRATIONS.md, run as written against a fake runner directory:
#   1. packaging/examples/actions-runner-forward (the self-hosted runner
#      recipe) following RUNNER_HOME/_diag: step pages written line by
#      line and deleted shortly after (fake_runner.c, named like the
#      runner's TIMELINE_RECORD_N.log), a Worker_*.log followed by a
#      reader with a read token (every line within 1 s of being written),
#      a Runner_*.log; then the end-of-job run of the same script with
#      `--once --complete-on-exit`: every stream complete and byte for
#      byte what was written, under the private names runner/HOST/FILE;
#   2. the ARC sidecar: the livelog-forward container's args of
#      packaging/kubernetes/runner-forwarder.yaml, run as they are with
#      only the pod's addresses made local (the _diag mount, the node's
#      URL, the pod name, the state volume, no CA file over plain HTTP):
#      the streams byte for byte and the stdout records, whose messages
#      rebuild every file.
# No runner, container engine or cluster runs here: the runner is
# fake_runner, the pod is this machine.
# Run: bash integrations_github.sh LIVELOG CHECK_SERVER_LOG "" FAKE_RUNNER
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/integrations_lib.sh"
FAKE=${4:?usage: $0 LIVELOG CHECK "" FAKE_RUNNER}
need curl python3
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
PAGES=4
PLINES=150
LINES=8
INTERVAL=0.25
if [ -n "${LIVELOG_SANITIZED:-}" ]; then
  PLINES=80
fi
doc_has "packaging/examples/actions-runner-forward"
doc_has "src/Runner.Common/Logging.cs"
doc_has "packaging/kubernetes/runner-forwarder.yaml"

mkdir -p "$SCRATCH/data" "$SCRATCH/bin" "$SCRATCH/keys"
chmod 700 "$SCRATCH/keys"
(umask 077 && python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())' \
  >"$SCRATCH/keys/k1.key")
ln -s "$LIVELOG" "$SCRATCH/bin/livelog"
start srv -- serve --config /dev/null --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 \
  --key-dir "$SCRATCH/keys" || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET/v1/logs
READ=$("$LIVELOG" token --key-dir "$SCRATCH/keys" --scopes 'livelog:read:runner/*' --ttl 900)
AUTH="Authorization: Bearer $READ"

state() { # URL: Livelog-State
  curl -s --max-time 5 -I -H "$AUTH" "$1" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "livelog-state" { print $2 }'
}
# shellcheck disable=SC2317 # run through wait_until
is_complete() { [ "$(state "$1")" = complete ]; }
# same URL FILE WHAT: the log's bytes are FILE's
same() {
  curl -s --max-time 30 -H "$AUTH" -o "$SCRATCH/body.tmp" "$1?follow=0"
  cmp -s "$SCRATCH/body.tmp" "$2" ||
    fail "$3: the stream differs from what was written ($(stat -c %s \
      "$SCRATCH/body.tmp") vs $(stat -c %s "$2") bytes)"
}
# forwarder NAME ARGS...: the recipe's script with a clean environment,
# in place of the calling (sub)shell: run it with & or in ( ).
forwarder() {
  local name=$1
  shift
  exec env -i PATH="$SCRATCH/bin:$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    RUNNER_HOME="$SCRATCH/runner" LIVELOG_URL="$W" LIVELOG_HOST=ci-7 \
    LIVELOG_STATE_DIR="$SCRATCH/state" LIVELOG_CONFIG=/dev/null \
    "$EXAMPLES/actions-runner-forward" "$@" </dev/null \
    >>"$SCRATCH/$name.out" 2>>"$SCRATCH/$name.log"
}

# ---- 1. a self-hosted runner ----
DIAG=$SCRATCH/runner/_diag
mkdir -p "$DIAG/pages" "$DIAG/blocks" "$SCRATCH/expect" "$SCRATCH/state"
WORKER=Worker_20261121-180000-utc.log
RUNNER=Runner_20261121-175959-utc.log
printf '[2026-11-21 17:59:59Z INFO Listener] Listening for Jobs\n' >"$DIAG/$RUNNER"
forwarder fwd &
fpid=$!
PIDS+=("$fpid")
# a reader of the worker's diagnostics, before they exist (it waits)
curl -sN --max-time 60 -H "$AUTH" "$R/runner/ci-7/$WORKER" | stamp \
  >"$SCRATCH/worker.read" &
reader=$!
PIDS+=("$reader")
sleep 0.5
emit_lines "$LINES" "$INTERVAL" worker >>"$DIAG/$WORKER"
"$FAKE" "$DIAG/pages" "$SCRATCH/expect" "$PAGES" "$PLINES" --sleep-us 2000 \
  --delete-after-ms 50 --prefix 5a1b9c3e-2f4d-4e6a-8b7c-0d9e8f7a6b5c_c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f ||
  fail "the fake runner failed"
printf '[2026-11-21 18:00:42Z INFO JobDispatcher] Job completed\n' >>"$DIAG/$RUNNER"
cp "$DIAG/$RUNNER" "$SCRATCH/runner.expect"
cp "$DIAG/$WORKER" "$SCRATCH/worker.expect"
for f in "$SCRATCH"/expect/*; do
  b=${f##*/}
  if ! wait_until 30 is_complete "$R/runner/ci-7/$b"; then
    fail "runner: page $b is not complete ($(state "$R/runner/ci-7/$b"))"
    continue
  fi
  same "$R/runner/ci-7/$b" "$f" "runner: page $b"
done
left=$(find "$DIAG/pages" -type f | wc -l)
expect_eq "runner: pages the runner left" "$left" 0
# the end of the job: stop the forwarder, ship the rest and complete
kill -TERM "$fpid"
wait_until 20 eval '! alive '"$fpid" || fail "runner: the forwarder ignored SIGTERM"
wait "$fpid" || fail "runner: the forwarder's exit status after SIGTERM is not 0"
(forwarder end --once --complete-on-exit) || fail "runner: --once --complete-on-exit failed"
for x in "$RUNNER:runner" "$WORKER:worker"; do
  expect_eq "runner: $x state" "$(state "$R/runner/ci-7/${x%%:*}")" complete
  same "$R/runner/ci-7/${x%%:*}" "$SCRATCH/${x##*:}.expect" "runner: ${x%%:*}"
done
wait "$reader" || fail "runner: the follower of $WORKER failed"
check_latency "$SCRATCH/worker.read" worker "$LINES" 1.0 "runner: $WORKER followed"
expect_eq "runner: anonymous read of a private stream" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$R/runner/ci-7/$RUNNER")" 401
check_log "$SCRATCH/fwd.log"
check_log "$SCRATCH/end.log"

# ---- 2. the ARC sidecar's command line ----
mkdir -p "$SCRATCH/arc/_diag/pages" "$SCRATCH/arcstate" "$SCRATCH/arcexpect"
python3 - "$(dirname "$0")/../../packaging/kubernetes/runner-forwarder.yaml" \
  "$SCRATCH/arc" "$W" >"$SCRATCH/arc.args" <<'EOF' || fail "ARC: cannot read the sidecar's args"
import sys, yaml
path, root, url = sys.argv[1:]
pod = yaml.safe_load(open(path))
c = [c for c in pod["spec"]["containers"] if c["name"] == "livelog-forward"][0]
out = []
for a in c["args"]:
    if a.startswith("--cacert="):
        continue  # plain HTTP here
    a = a.replace("/home/runner", root)
    a = a.replace("https://$(NODE_IP):60022", url)
    a = a.replace("$(POD_NAME)", "arc-pod")
    a = a.replace("--state-dir=/state", "--state-dir=" + root + "state")
    assert "$(" not in a, a
    out.append(a)
print("\n".join(out))
EOF
mapfile -t ARGS <"$SCRATCH/arc.args"
expect_eq "ARC: the sidecar's verb" "${ARGS[0]:-}" forward
env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
  ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
  "$LIVELOG" "${ARGS[@]}" </dev/null >"$SCRATCH/arc.out" 2>"$SCRATCH/arc.log" &
apid=$!
PIDS+=("$apid")
"$FAKE" "$SCRATCH/arc/_diag/pages" "$SCRATCH/arcexpect" 3 "$PLINES" \
  --sleep-us 2000 --delete-after-ms 50 --prefix arc --seed 11 ||
  fail "ARC: the fake runner failed"
printf 'worker line\n' >"$SCRATCH/arc/_diag/Worker_20261121-181500-utc.log"
cp "$SCRATCH/arc/_diag/Worker_20261121-181500-utc.log" "$SCRATCH/arcexpect/"
for f in "$SCRATCH"/arcexpect/*.log; do
  b=${f##*/}
  case $b in Worker_*) continue ;; esac
  wait_until 30 is_complete "$R/runner/arc-pod/$b" ||
    fail "ARC: page $b is not complete ($(state "$R/runner/arc-pod/$b"))"
done
# the pod ends: SIGTERM, and --complete-on-exit completes the rest
kill -TERM "$apid"
wait_until 20 eval '! alive '"$apid" || fail "ARC: the sidecar ignored SIGTERM"
wait "$apid" || fail "ARC: the sidecar's exit status after SIGTERM is not 0"
for f in "$SCRATCH"/arcexpect/*.log; do
  b=${f##*/}
  expect_eq "ARC: $b state" "$(state "$R/runner/arc-pod/$b")" complete
  same "$R/runner/arc-pod/$b" "$f" "ARC: $b"
done
# --to=stdout: the collector's records rebuild every file
python3 - "$SCRATCH/arc.out" "$SCRATCH/arcexpect" <<'EOF' || fail "ARC: the stdout records do not rebuild the files"
import json, os, sys
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    name = os.path.basename(o["file"])
    got[name] = got.get(name, "") + o["msg"] + ("" if o.get("partial") else "\n")
for name in os.listdir(sys.argv[2]):
    want = open(os.path.join(sys.argv[2], name), encoding="utf-8").read()
    if got.get(name) != want:
        print("stdout records of %s: %d chars, want %d" % (name, len(got.get(name, "")), len(want)))
        sys.exit(1)
EOF
check_log "$SCRATCH/arc.log"
stop || true
check_log "$LOG"
finish
