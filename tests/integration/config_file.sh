#!/usr/bin/env bash
# config_file.sh: the configuration file with the real binary
# (docs/OPERATIONS.md, "The configuration file"; livelog.conf(5)).
# `livelog serve --config FILE` starts from a file alone; the precedence
# flags > environment > file > defaults is seen in the "started" line's
# data_dir; a missing explicit file, an unknown key and a bad value each
# stop it with exit 2 and one FATAL line holding FILE:LINE. `livelog
# forward --config FILE` ships a file with `watch`, `to` and `once` from
# the file only; its refusals name FILE:LINE too (exit 2).
# Run: bash config_file.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"

# started_dir LOG: the data_dir of the "started" line.
started_dir() {
  python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1], "rb"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("msg") == "started":
        print(o.get("data_dir", ""))
EOF
}

mkdir -p "$SCRATCH/file-dir" "$SCRATCH/env-dir" "$SCRATCH/flag-dir"
CONF=$SCRATCH/livelog.conf
cat >"$CONF" <<EOF
# livelog serve, test configuration

data-dir = $SCRATCH/file-dir
write-addr = 127.0.0.1:0
  read-addr   =   127.0.0.1:0
max-streams = 10
log-level = debug
EOF

# ---- the file alone, then the environment over it, then a flag over both
start file -- serve --config "$CONF" || finish
expect_eq "data_dir from the file" "$(started_dir "$LOG")" "$SCRATCH/file-dir"
grep -q '"level":"debug"' "$LOG" || fail "log-level = debug had no effect"
curl -s --max-time 5 -T - "http://127.0.0.1:$PUT/v1/logs/t/public/a" \
  <<<"hello" >/dev/null || fail "PUT to the server configured by file"
expect_eq "GET" "$(curl -s --max-time 5 "http://127.0.0.1:$GET/v1/logs/t/public/a")" hello
[ -e "$SCRATCH/file-dir" ] && [ -n "$(ls -A "$SCRATCH/file-dir")" ] ||
  fail "nothing stored in the file's data-dir"
stop
check_log "$LOG"

start env LIVELOG_CONFIG="$CONF" LIVELOG_DATA_DIR="$SCRATCH/env-dir" \
  -- serve || finish
expect_eq "data_dir from the environment over the file" \
  "$(started_dir "$LOG")" "$SCRATCH/env-dir"
stop
check_log "$LOG"

start flag LIVELOG_DATA_DIR="$SCRATCH/env-dir" \
  -- serve --config "$CONF" --data-dir "$SCRATCH/flag-dir" || finish
expect_eq "data_dir from the flag over both" \
  "$(started_dir "$LOG")" "$SCRATCH/flag-dir"
stop
check_log "$LOG"

# ---- refusals: exit 2, one FATAL line with FILE:LINE ----------------------
# refused NAME WORDS [VAR=VALUE...] -- ARGS
refused() {
  local name=$1 words=$2
  shift 2
  run_exit "$name" 20 "$@"
  expect_eq "$name: exit code" "$RC" 2
  expect_eq "$name: FATAL lines" "$(grep -c '"level":"fatal"' "$ERR")" 1
  grep '"level":"fatal"' "$ERR" | grep -qF -- "$words" ||
    fail "$name: the FATAL line does not say '$words': $(cat "$ERR")"
  "$CHECK" --expect fatal "$ERR" >/dev/null ||
    fail "$name: the log fails check-server-log"
}

refused missing "cannot read the configuration file $SCRATCH/nope.conf" \
  -- serve --config "$SCRATCH/nope.conf"
refused missing-env "$SCRATCH/nope.conf" LIVELOG_CONFIG="$SCRATCH/nope.conf" \
  -- serve
printf 'max-streams = 10\n\n# x\nmax-stream = 5\n' >"$SCRATCH/unknown.conf"
refused unknown "$SCRATCH/unknown.conf:4: unknown key 'max-stream'" \
  -- serve --config "$SCRATCH/unknown.conf"
printf 'data-dir = %s\nfsync = sometimes\n' "$SCRATCH/file-dir" \
  >"$SCRATCH/bad.conf"
refused bad "$SCRATCH/bad.conf:2: fsync wants always, interval or never" \
  -- serve --config "$SCRATCH/bad.conf" --fsync never
printf 'just words\n' >"$SCRATCH/syntax.conf"
refused syntax "$SCRATCH/syntax.conf:1: not a" \
  -- serve --config "$SCRATCH/syntax.conf"

# ---- livelog forward --------------------------------------------------------
mkdir -p "$SCRATCH/logs" "$SCRATCH/state"
printf 'one\ntwo\n' >"$SCRATCH/logs/a.log"
printf 'three\n' >"$SCRATCH/logs/b.txt"
FCONF=$SCRATCH/forward.conf
cat >"$FCONF" <<EOF
# livelog forward, test configuration
watch = $SCRATCH/logs/*.log
watch = $SCRATCH/logs/b.txt
to = stdout
state-dir = $SCRATCH/state
once = on
log-level = warning
EOF
run_exit fwd 30 -- forward --config "$FCONF"
expect_eq "forward --config: exit code" "$RC" 0
for w in one two three; do
  grep -q "\"msg\":\"$w\"" "$OUT" || fail "forward: no record of '$w'"
done
expect_eq "forward: records" "$(wc -l <"$OUT")" 3
[ -e "$SCRATCH/state/checkpoint.json" ] || [ -n "$(ls -A "$SCRATCH/state")" ] ||
  fail "forward: nothing in the file's state-dir"

# the flags' --watch replaces the file's
rm -rf "$SCRATCH/state2"
run_exit fwd-flags 30 -- forward --config "$FCONF" \
  --watch "$SCRATCH/logs/b.txt" --state-dir "$SCRATCH/state2"
expect_eq "forward flags: exit code" "$RC" 0
expect_eq "forward flags: records" "$(wc -l <"$OUT")" 1

printf 'watch = /x\nto = stdout\nparallel = 0\n' >"$SCRATCH/fbad.conf"
run_exit fwd-bad 20 -- forward --config "$SCRATCH/fbad.conf"
expect_eq "forward bad value: exit code" "$RC" 2
grep -qF "$SCRATCH/fbad.conf:3: parallel" "$ERR" ||
  fail "forward bad value: $(cat "$ERR")"
run_exit fwd-missing 20 -- forward --config "$SCRATCH/nope.conf"
expect_eq "forward missing file: exit code" "$RC" 2
grep -qF "$SCRATCH/nope.conf" "$ERR" || fail "forward missing: $(cat "$ERR")"

finish
