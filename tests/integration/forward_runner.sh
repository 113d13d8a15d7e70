#!/usr/bin/env bash
# forward_runner.sh: `livelog forward` shipping a fake GitHub Actions
# runner's _diag/pages to a real `livelog serve`, checked byte for byte
# with curl:
#   1. pages appended line by line, then deleted shortly after they are
#      full (as the runner does once it uploaded them): every page's
#      stream equals what was written, and is complete;
#   2. the forwarder killed with SIGKILL at random points, 20 times or
#      more (bounded to 60 s), and restarted from its checkpoint while
#      the writer goes on: every stream is exact at the end, nothing lost
#      and nothing twice (the server's Upload-Offset is the arbiter).
# Run: bash forward_runner.sh LIVELOG CHECK_SERVER_LOG "" FAKE_RUNNER
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
FAKE=${4:?usage: $0 LIVELOG CHECK "" FAKE_RUNNER}
PAGES=12
LINES=120
KILLS=20
if [ -n "${LIVELOG_SANITIZED:-}" ]; then
  LINES=60
fi

mkdir -p "$SCRATCH/data"
start srv -- serve --data-dir "$SCRATCH/data" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET/v1/logs

# ---- 1. pages written then deleted ----
mkdir -p "$SCRATCH/diag/pages" "$SCRATCH/expect1" "$SCRATCH/state1"
fwd_start fwd1 --watch "$SCRATCH/diag/pages" --to "$W" \
  --name-template 'runner/public/{file}' --state-dir "$SCRATCH/state1" \
  --rotate-wait 100 --poll-interval 50
f1=$FPID
"$FAKE" "$SCRATCH/diag/pages" "$SCRATCH/expect1" "$PAGES" "$LINES" \
  --sleep-us 300 --delete-after-ms 20 --prefix run1 ||
  fail "the fake runner failed"
for f in "$SCRATCH"/expect1/*; do
  b=$(basename "$f")
  if ! wait_complete "$R/runner/public/$b" 30; then
    fail "pages: $b is not complete (state '$(state_of "$R/runner/public/$b")')"
    continue
  fi
  same_body "$R/runner/public/$b" "$f" "pages: $b"
done
left=$(find "$SCRATCH/diag/pages" -type f | wc -l)
expect_eq "pages left behind by the runner" "$left" 0
fwd_stop "$f1"
expect_eq "forwarder exit after SIGTERM" "$FSTATUS" 0
check_log "$SCRATCH/fwd1.log"
expect_eq "forwarder warnings (pages)" \
  "$(count_msg "$SCRATCH/fwd1.log" warning "")" 0

# ---- 2. SIGKILL at random points while the writer goes on ----
mkdir -p "$SCRATCH/diag2" "$SCRATCH/expect2" "$SCRATCH/state2"
"$FAKE" "$SCRATCH/diag2" "$SCRATCH/expect2" 6 $((LINES * 4)) --keep \
  --sleep-us 2000 --prefix run2 --seed 7 &
writer=$!
PIDS+=("$writer")
kills=0
end=$((SECONDS + 60))
while [ "$kills" -lt "$KILLS" ] && [ "$SECONDS" -lt "$end" ]; do
  fwd_start fwd2 --watch "$SCRATCH/diag2" --to "$W" \
    --name-template 'killed/public/{file}' --state-dir "$SCRATCH/state2" \
    --poll-interval 50 --checkpoint-interval 50
  sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
  kill -KILL "$FPID" 2>/dev/null
  wait "$FPID" 2>/dev/null
  kills=$((kills + 1))
done
note "killed the forwarder $kills times"
[ "$kills" -ge "$KILLS" ] || fail "only $kills SIGKILLs in 60 s"
wait "$writer" || fail "the fake runner failed"
# the last run ships what is left and completes every stream
fwd_start fwd2 --watch "$SCRATCH/diag2" --to "$W" \
  --name-template 'killed/public/{file}' --state-dir "$SCRATCH/state2" \
  --once --complete-on-exit --drain-timeout 30000
last=$FPID
for ((i = 0; i < 600; i++)); do
  alive "$last" || break
  sleep 0.1
done
wait "$last"
expect_eq "--once exit status" "$?" 0
for f in "$SCRATCH"/expect2/*; do
  b=$(basename "$f")
  expect_eq "killed: state of $b" "$(state_of "$R/killed/public/$b")" complete
  same_body "$R/killed/public/$b" "$f" "killed: $b"
done
check_log "$SCRATCH/fwd2.log"
stop
check_log "$LOG"
finish
