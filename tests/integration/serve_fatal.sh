#!/usr/bin/env bash
# serve_fatal.sh: every FATAL path of `livelog serve` that a test can
# provoke (docs/LOGGING.md, docs/OPERATIONS.md "Exit codes"): the process
# exits with the documented code, its log holds exactly one FATAL line,
# that line names what to fix, and the log passes check-server-log (which
# is told to expect the FATAL). Also the run-time log level: SIGUSR1 and
# SIGUSR2 step it, GET/POST /v1/log-level read and set it, each change is
# an INFO line.
# Run: bash serve_fatal.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"

# fatal NAME CODE WORDS -- ARGS: runs serve with ARGS, expects exit CODE
# and one FATAL line containing WORDS.
fatal() {
  local name=$1 code=$2 words=$3
  shift 4
  run_exit "$name" 20 -- serve --data-dir "$SCRATCH/data" \
    --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 "$@"
  expect_eq "$name: exit code" "$RC" "$code"
  local n
  n=$(grep -c '"level":"fatal"' "$ERR")
  expect_eq "$name: FATAL lines" "$n" 1
  grep '"level":"fatal"' "$ERR" | grep -qF -- "$words" ||
    fail "$name: the FATAL line does not say '$words': $(grep fatal "$ERR")"
  "$CHECK" --expect fatal "$ERR" >/dev/null ||
    fail "$name: the log fails check-server-log"
}

mkdir -p "$SCRATCH/data"
touch "$SCRATCH/a-file"
fatal config 2 '--writer-wait wants' -- --writer-wait 99999999
run_exit config-env2 20 LIVELOG_FSYNC=sometimes -- serve --data-dir "$SCRATCH/data"
expect_eq "a bad variable: exit code" "$RC" 2
grep -q 'LIVELOG_FSYNC wants' "$ERR" || fail "a bad variable: $(cat "$ERR")"
[ "$(grep -c '"level":"fatal"' "$ERR")" = 1 ] ||
  fail "a bad variable: not exactly one FATAL line"
fatal datadir 1 'check --data-dir' -- --data-dir "$SCRATCH/a-file/sub"
fatal read-addr 1 'set --read-addr' -- --read-addr 192.0.2.1:0
fatal read-tls 1 'check --tls-cert' -- --tls-cert "$SCRATCH/nope.pem" \
  --tls-key "$SCRATCH/nope.key"
fatal write-tls 1 'check --write-tls-cert' -- \
  --write-tls-cert "$SCRATCH/nope.pem" --write-tls-key "$SCRATCH/nope.key"
fatal keys 1 'check --key-dir' -- --key-dir "$SCRATCH/no-keys"
fatal loopback 2 'not a loopback address' -- --write-addr 0.0.0.0:0
# a priority string GnuTLS refuses: a WARNING says why, then the FATAL
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$SCRATCH/k.pem" -out "$SCRATCH/c.pem" -days 2 -subj /CN=x \
  >/dev/null 2>&1 || fail "openssl req failed"
fatal priorities 1 'check --tls-cert' -- --tls-cert "$SCRATCH/c.pem" \
  --tls-key "$SCRATCH/k.pem" --tls-priorities 'NORMAL:+NO-SUCH-THING'
grep -q '"invalid tls priority string"' "$ERR" ||
  fail "no WARNING naming the bad priority string"

# ---- the log level at run time ------------------------------------------------
start level -- serve --data-dir "$SCRATCH/data" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 || finish
W=http://127.0.0.1:$PUT
expect_eq "GET /v1/log-level" "$(curl -s --max-time 5 "$W/v1/log-level")" info
expect_eq "POST /v1/log-level?level=debug" \
  "$(curl -s --max-time 5 -X POST "$W/v1/log-level?level=debug")" debug
expect_eq "POST /v1/log-level?level=loud: status" \
  "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$W/v1/log-level?level=loud")" 400
# one signal at a time: two pending SIGUSR2 would be delivered once
await_level() {
  for ((i = 0; i < 100; i++)); do
    [ "$(curl -s --max-time 5 "$W/v1/log-level")" = "$1" ] && return
    sleep 0.02
  done
}
kill -USR2 "$PID"
await_level info
kill -USR2 "$PID"
await_level warning
expect_eq "two SIGUSR2 from debug" "$(curl -s --max-time 5 "$W/v1/log-level")" warning
kill -USR1 "$PID"
await_level info
expect_eq "SIGUSR1 from warning" "$(curl -s --max-time 5 "$W/v1/log-level")" info
# the write address in use by this server: cannot listen
fatal write-addr 1 'set --write-addr' -- --write-addr "127.0.0.1:$PUT"
stop
expect_eq "INFO lines saying the level changed" \
  "$(grep -c '"msg":"log level changed"' "$LOG")" 4
check_log "$LOG"
finish
