# shellcheck shell=bash
# integrations_lib.sh: helpers of the docs/INTEGRATIONS.md recipe tests
# (integrations_*.sh), sourced after lib.sh by scripts that run with
# `set -euo pipefail`. The recipes' snippets are the files of
# packaging/examples/, used here as they are. Every wait is bounded.

EXAMPLES=$(cd "$(dirname "$0")/../../packaging/examples" && pwd)
DOC=$(cd "$(dirname "$0")/../../docs" && pwd)/INTEGRATIONS.md
EXTRA_CLEANUP=()

# lib.sh's cleanup, safe under errexit (a process that already exited
# is not an error), plus what a test registered in EXTRA_CLEANUP (shell
# commands: nginx's stop, a file the drop-in left behind).
cleanup() {
  local p c
  for c in "${EXTRA_CLEANUP[@]}"; do
    eval "$c" >/dev/null 2>&1 || true
  done
  for p in "${PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
  done
}

# skip WHY: exit 77 (ctest's SKIP_RETURN_CODE), saying why.
skip() {
  echo "[$(basename "$0")] SKIP: $*" >&2
  cleanup
  rm -rf "$SCRATCH"
  exit 77
}

# need TOOL...: skips when a tool is missing.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
  done
}

# free_ports N: N TCP ports free on 127.0.0.1 right now, one per line
# (for the recipes that name their ports: another process could take one
# before it is used, which makes a start fail loudly, not wrongly).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# wait_until TIMEOUT_S CMD...: runs CMD every 50 ms until it succeeds;
# returns 1 after TIMEOUT_S.
wait_until() {
  local n=$(($1 * 20)) i
  shift
  for ((i = 0; i < n; i++)); do
    if "$@"; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# port_open PORT: something listens on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# emit_lines N INTERVAL_S TAG: N lines "TAG I EPOCH" on stdout, one every
# INTERVAL_S, EPOCH being when the line was written.
emit_lines() {
  local i
  for ((i = 1; i <= $1; i++)); do
    printf '%s %d %s\n' "$3" "$i" "$EPOCHREALTIME"
    [ "$i" -lt "$1" ] && sleep "$2"
  done
  return 0
}

# stamp: copies stdin to stdout line by line, each line prefixed with
# the time it arrived and a tab.
stamp() {
  python3 -u -c '
import sys, time
for line in iter(sys.stdin.buffer.readline, b""):
    sys.stdout.write("%.6f\t%s" % (time.time(), line.decode("utf-8", "replace")))
'
}

# check_latency STAMPED TAG N MAX_S WHAT: the stamped lines of emit_lines
# TAG arrived all N, in order, each within MAX_S of being written.
check_latency() {
  local out
  out=$(python3 - "$@" <<'EOF'
import sys
path, tag, n, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
got, worst, problems = [], 0.0, []
for raw in open(path, encoding="utf-8", errors="replace"):
    arrived, _, line = raw.rstrip("\n").partition("\t")
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != tag:
        continue
    got.append(int(parts[1]))
    worst = max(worst, float(arrived) - float(parts[2]))
if got != list(range(1, n + 1)):
    problems.append("lines %s, want 1..%d" % (got[:5] + ["..."] + got[-3:] if len(got) > 8 else got, n))
if worst > limit:
    problems.append("the slowest line took %.3f s, more than %.1f s" % (worst, limit))
print("; ".join(problems) if problems else "ok %.3f" % worst)
EOF
)
  case $out in
  ok*) note "$5: every line within ${out#ok } s of being written" ;;
  *) fail "$5: $out" ;;
  esac
}

# hdr FILE NAME: a header of the last response in a curl -D dump.
hdr() {
  header "$@"
}

# doc_has TEXT: docs/INTEGRATIONS.md says TEXT (the recipe and its test
# speak of the same file or command).
doc_has() {
  if ! grep -qF -- "$1" "$DOC"; then
    fail "docs/INTEGRATIONS.md does not mention '$1'"
  fi
}

# doc_includes FILE: docs/INTEGRATIONS.md holds FILE (of
# packaging/examples/) verbatim, as a fenced code block, so the doc shows
# what the test runs.
doc_includes() {
  if ! python3 - "$EXAMPLES/$1" "$DOC" <<'EOF2'; then
import re, sys
body = open(sys.argv[1], encoding="utf-8").read()
doc = open(sys.argv[2], encoding="utf-8").read()
blocks = re.findall(r"^```[^\n]*\n(.*?)^```\s*$", doc, re.S | re.M)
sys.exit(0 if any(b == body for b in blocks) else 1)
EOF2
    fail "docs/INTEGRATIONS.md does not show packaging/examples/$1 verbatim"
  fi
}
