# forward_lib.sh: helpers of the `livelog forward` tests, sourced after
# lib.sh. Every wait is bounded.

# fwd_start NAME ARGS...: starts `livelog forward ARGS...` in the
# background with a clean environment; stdout to $SCRATCH/NAME.out,
# stderr (its log) to $SCRATCH/NAME.log. Sets FPID.
fwd_start() {
  local name=$1
  shift
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    "$LIVELOG" forward "$@" </dev/null >>"$SCRATCH/$name.out" \
    2>>"$SCRATCH/$name.log" &
  FPID=$!
  PIDS+=("$FPID")
}

# fwd_stop PID [TIMEOUT_S]: SIGTERM, waits; sets FSTATUS.
fwd_stop() {
  local i n=$((${2:-10} * 100))
  kill -TERM "$1" 2>/dev/null
  for ((i = 0; i < n; i++)); do
    alive "$1" || break
    sleep 0.01
  done
  if alive "$1"; then
    fail "forwarder $1 did not exit after SIGTERM"
    kill -KILL "$1" 2>/dev/null
  fi
  wait "$1"
  FSTATUS=$?
}

# state_of URL: the Livelog-State of a log ("" when missing).
state_of() {
  curl -s --max-time 5 -I "$1" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "livelog-state" { print $2 }'
}

# wait_complete URL TIMEOUT_S: until the log is complete.
wait_complete() {
  local i n=$(($2 * 10))
  for ((i = 0; i < n; i++)); do
    [ "$(state_of "$1")" = complete ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_length URL BYTES TIMEOUT_S: until the log holds BYTES bytes.
wait_length() {
  local i n=$(($3 * 10)) got
  for ((i = 0; i < n; i++)); do
    got=$(curl -s --max-time 5 -I "$1" | tr -d '\r' |
      awk -F': ' 'tolower($1) == "upload-offset" { print $2 }')
    [ "$got" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# same_body URL FILE WHAT: the log's bytes equal FILE's.
same_body() {
  curl -s --max-time 30 -o "$SCRATCH/body.tmp" "$1?follow=0"
  if ! cmp -s "$SCRATCH/body.tmp" "$2"; then
    fail "$3: the stream differs from what was written ($(stat -c %s \
      "$SCRATCH/body.tmp") vs $(stat -c %s "$2") bytes)"
    return 1
  fi
  return 0
}

# count_msg LOG LEVEL MSG-SUBSTRING: records of the forwarder's log.
count_msg() {
  python3 - "$@" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("level") == sys.argv[2] and sys.argv[3] in o.get("msg", ""):
        n += 1
print(n)
PY
}
