#!/usr/bin/env bash
# packaging_systemd.sh: the systemd units of packaging/systemd/ with
# ExecStart= at the built binary. `systemd-analyze verify` passes
# (Documentation= resolved against the generated man pages through
# MANPATH), and `systemd-analyze security --offline=yes` rates each unit
# "OK" or better (the scores are in docs/OPERATIONS.md, "systemd").
# Skips (77) only when systemd-analyze is not installed.
# Run: bash packaging_systemd.sh LIVELOG_BINARY CHECK_SERVER_LOG "" UNIT_SRC_DIR GEN_DIR
. "$(dirname "$0")/lib.sh"
UNITS=${4:?usage}
GEN=${5:?usage}

command -v systemd-analyze >/dev/null ||
  { echo "systemd-analyze not installed" >&2; exit 77; }

for s in 1 5 8; do
  mkdir -p "$SCRATCH/man/man$s"
  cp "$GEN"/*."$s" "$SCRATCH/man/man$s/"
done
for u in livelog livelog-forward; do
  sed "s#@LIVELOG_BIN@#$LIVELOG#" "$UNITS/$u.service.in" >"$SCRATCH/$u.service"
done
out=$(cd "$SCRATCH" && MANPATH=$SCRATCH/man systemd-analyze verify \
  "$SCRATCH/livelog.service" "$SCRATCH/livelog-forward.service" 2>&1) ||
  fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify printed: $out"

for u in livelog livelog-forward; do
  grep -q '^Type=notify$' "$SCRATCH/$u.service" || fail "$u: not Type=notify"
  line=$(cd "$SCRATCH" && systemd-analyze security --offline=yes --no-pager \
    "$SCRATCH/$u.service" 2>&1 | grep 'Overall exposure level')
  note "$u: $line"
  case "$line" in
  *" OK "* | *" SAFE "* | *" PERFECT "*) ;;
  *) fail "$u: rated worse than OK: $line" ;;
  esac
done
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$SCRATCH/livelog.service" ||
  fail "livelog.service: ExecReload is not SIGHUP"
finish
