#!/usr/bin/env bash
# cli.sh: the drop-in mode's command line, environment and exit codes.
#   --help (usage on stdout, exit 0), --version ("livelog X.Y.Z"),
#   --short-version ("X.Y.Z"), unknown flag (usage on stderr, exit 2);
#   ACCESS_TOKEN missing or empty: exactly one FATAL JSON line, exit 2;
#   LIVELOG_PUT_PORT not a number: 64, out of [0,65535]: 65; the same for
#   LIVELOG_GET_PORT with 66/67 (Go's strconv.Atoi rules: "+0" and "00"
#   are numbers, " 80", "0x50", "1.5" and values past int64 are not);
#   default ports 60022 (127.0.0.1) and 60023 (0.0.0.0) when unset or empty
#   (checked only when both are free); LIVELOG_LOG_LEVEL and DEBUG.
# Run: bash cli.sh LIVELOG_BINARY CHECK_SERVER_LOG VERSION
. "$(dirname "$0")/lib.sh"
TOKEN=cli-Secret-Token-9

# --- flags -----------------------------------------------------------------
run_exit help 10 -- --help
expect_eq "--help exit code" "$RC" 0
grep -qi usage "$OUT" || fail "--help: no usage on stdout"
run_exit version 10 -- --version
expect_eq "--version exit code" "$RC" 0
expect_eq "--version output" "$(cat "$OUT")" "livelog $VERSION"
run_exit short 10 -- --short-version
expect_eq "--short-version exit code" "$RC" 0
expect_eq "--short-version output" "$(cat "$OUT")" "$VERSION"
run_exit bogus 10 ACCESS_TOKEN=$TOKEN -- --no-such-flag
expect_eq "unknown flag exit code" "$RC" 2
[ -s "$OUT" ] && fail "unknown flag: stdout should be empty"
grep -qi usage "$ERR" || fail "unknown flag: no usage on stderr"

# --- ACCESS_TOKEN ----------------------------------------------------------
one_fatal() { # NAME: stderr must be exactly one valid line at level fatal
  check_log "$ERR" --expect fatal --expect-lines 1
  expect_eq "$1: level of the one line" \
    "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline()).get("level"))' "$ERR" 2>/dev/null)" \
    fatal
}
run_exit notoken 10 LIVELOG_PUT_PORT=0 LIVELOG_GET_PORT=0
expect_eq "missing ACCESS_TOKEN exit code" "$RC" 2
one_fatal "missing ACCESS_TOKEN"
run_exit emptytoken 10 ACCESS_TOKEN= LIVELOG_PUT_PORT=0 LIVELOG_GET_PORT=0
expect_eq "empty ACCESS_TOKEN exit code" "$RC" 2
one_fatal "empty ACCESS_TOKEN"

# --- ports -----------------------------------------------------------------
# VAR VALUE EXPECTED_EXIT
bad_port() {
  local other
  if [ "$1" = LIVELOG_PUT_PORT ]; then other=LIVELOG_GET_PORT; else other=LIVELOG_PUT_PORT; fi
  run_exit "port-$1-$3" 10 ACCESS_TOKEN=$TOKEN "$other=0" "$1=$2"
  expect_eq "$1='$2' exit code" "$RC" "$3"
  check_log "$ERR" --expect fatal --secret "$TOKEN"
}
for v in abc 1.5 " 80" "80 " 0x50 "" 9223372036854775808 99999999999999999999 - +; do
  [ -z "$v" ] && continue
  bad_port LIVELOG_PUT_PORT "$v" 64
  bad_port LIVELOG_GET_PORT "$v" 66
done
for v in -1 65536 100000 9223372036854775807 -9223372036854775808; do
  bad_port LIVELOG_PUT_PORT "$v" 65
  bad_port LIVELOG_GET_PORT "$v" 67
done
# The write port is checked first, as in the Go original.
run_exit port-both 10 ACCESS_TOKEN=$TOKEN LIVELOG_PUT_PORT=x LIVELOG_GET_PORT=y
expect_eq "both ports bad: exit code" "$RC" 64
run_exit port-both2 10 ACCESS_TOKEN=$TOKEN LIVELOG_PUT_PORT=70000 LIVELOG_GET_PORT=y
expect_eq "PUT out of range, GET not a number: exit code" "$RC" 65
# Missing token and bad port: still the port's code (ports come first in Go)
# is not pinned; only that it fails.
run_exit port-notoken 10 LIVELOG_PUT_PORT=x LIVELOG_GET_PORT=0
[ "$RC" -ne 0 ] || fail "missing token and bad port: exit code 0"

# "+0" and "00" are numbers (Go's Atoi): the server starts on free ports.
if start plus0 ACCESS_TOKEN=$TOKEN LIVELOG_PUT_PORT=+0 LIVELOG_GET_PORT=00; then
  stop
  check_log "$LOG" --secret "$TOKEN"
fi

# Default ports, unset and empty, when both are free.
ports_free() {
  python3 - <<'EOF'
import socket, sys
for host, port in (("127.0.0.1", 60022), ("0.0.0.0", 60023)):
    s = socket.socket()
    try:
        s.bind((host, port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
EOF
}
default_ports() { # NAME VAR=VALUE...
  local name=$1
  shift
  LOG=$SCRATCH/$name.log
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ACCESS_TOKEN=$TOKEN LIVELOG_TEMP_DIR="$SCRATCH" "$@" \
    "$LIVELOG" </dev/null >/dev/null 2>"$LOG" &
  PID=$!
  PIDS+=("$PID")
  local p="" i
  for ((i = 0; i < 500; i++)); do
    p=$(ports "$LOG")
    [ -n "$p" ] && break
    alive "$PID" || break
    sleep 0.02
  done
  read -r PUT GET PUT_ADDR GET_ADDR <<<"$p"
  expect_eq "$name: write listener" "${PUT_ADDR:-}" 127.0.0.1:60022
  expect_eq "$name: read listener" "${GET_ADDR:-}" 0.0.0.0:60023
  stop
  check_log "$LOG" --secret "$TOKEN"
}
if ports_free; then
  default_ports defaults-unset
  default_ports defaults-empty LIVELOG_PUT_PORT= LIVELOG_GET_PORT=
else
  note "60022 or 60023 in use: default-port checks skipped"
fi

# --- log levels ------------------------------------------------------------
levels_in() { # LOG: prints the set of levels used
  python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["level"] for l in open(sys.argv[1]) if l.strip()})))' "$1" 2>/dev/null
}
exercise() { # PUT something and GET it, to make the server talk
  printf 'line one\nline two\n' | curl -s -o /dev/null -T - "http://127.0.0.1:$PUT/log"
  curl -s -o /dev/null "http://127.0.0.1:$GET/log/$TOKEN"
  curl -s -o /dev/null "http://127.0.0.1:$GET/log/wrong"
}
if start level-default ACCESS_TOKEN=$TOKEN; then
  exercise
  stop
  check_log "$LOG" --secret "$TOKEN"
  case " $(levels_in "$LOG") " in
  *" debug "* | *" trace "*) fail "default level is info, but debug/trace lines were logged" ;;
  esac
fi
if start level-debug ACCESS_TOKEN=$TOKEN DEBUG='*'; then
  exercise
  stop
  check_log "$LOG" --secret "$TOKEN"
  case " $(levels_in "$LOG") " in
  *" debug "*) ;;
  *) fail "DEBUG='*' should turn on debug lines; levels seen: $(levels_in "$LOG")" ;;
  esac
fi
if start level-trace ACCESS_TOKEN=$TOKEN LIVELOG_LOG_LEVEL=trace; then
  exercise
  stop
  check_log "$LOG" --secret "$TOKEN"
fi

finish
