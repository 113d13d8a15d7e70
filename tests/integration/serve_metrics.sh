#!/usr/bin/env bash
# serve_metrics.sh: what `livelog serve` says about itself and about its
# task logs, checked against a scripted workload with the real `curl`:
#   - GET /metrics (write listener) passes scripts/check-metrics (the text
#     format, strictly; promtool too when installed) and its figures match
#     the workload: N streams complete, M bytes received, requests by
#     route and status, K followers connected and suspended on a live
#     stream, writers, and the counters that must stay 0;
#   - `livelog stats URL` and `--json`: per-logger counts equal to the
#     records of the server's own log (the server runs at trace, so every
#     record it counts is written), loggers with errors first;
#   - GET /v1/logs/NAME/stats: counts by severity and the first ERROR and
#     FATAL lines (offset, line number), live while the stream grows, and
#     the same after a restart (rebuilt from the stored log); 404 for a
#     missing log, 401 for a private one without credentials; a name
#     ending in /stats cannot be created.
# Run: bash serve_metrics.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK_METRICS=$HERE/../../scripts/check-metrics
CURLT=(curl -s --max-time 10)
N=5
K=3
mkdir -p "$SCRATCH/data"
start m -- serve --data-dir "$SCRATCH/data" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 --log-level trace || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET

# A task log with known severities: 2 errors, 1 fatal, 2 warnings, 1
# info, and false friends that count as nothing.
cat >"$SCRATCH/task.log" <<'EOF'
Building project...
ERROR: linker failed
warning: unused variable 'x'
::error file=a.c,line=3::bad thing
no errors found, error_count=0
[task 2026-11-21T12:00:00Z] WARNING - retrying
INFO starting step 2
panic: runtime error: index out of range
done
EOF
BYTES=$(wc -c <"$SCRATCH/task.log")

# ---- N complete streams ----------------------------------------------------------
for ((i = 1; i <= N; i++)); do
  code=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' -T "$SCRATCH/task.log" \
    "$W/v1/logs/job/public/s$i")
  expect_eq "PUT s$i" "$code" 201
done
"${CURLT[@]}" -o "$SCRATCH/stats1.json" "$R/v1/logs/job/public/s1/stats"
python3 - "$SCRATCH/stats1.json" "$BYTES" <<'EOF' || fail "stats of a complete log"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "job/public/s1" and d["state"] == "complete", d
assert d["bytes"] == int(sys.argv[2]) and d["lines"] == 9, d
assert d["lines_known"] is True, d
sev = d["severity"]
assert (sev["fatal"], sev["error"], sev["warning"], sev["info"]) == (1, 2, 2, 1), sev
assert sum(sev.values()) == 9, sev
first = [(h["severity"], h["line"]) for h in d["first"]]
assert first == [("error", 2), ("error", 4), ("fatal", 8)], first
text = open(sys.argv[1].replace("stats1.json", "task.log"), "rb").read()
for h in d["first"]:
    line = text.split(b"\n")[h["line"] - 1]
    assert text[h["offset"]:h["offset"] + len(line)] == line, h
assert d["first_complete"] is True and d["first_max"] == 1000, d
EOF

# ---- a live stream: the summary grows; K followers are suspended on it -----
exec {LIVE}> >(curl -s --max-time 60 -o /dev/null -H 'Transfer-Encoding: chunked' \
  -H 'Upload-Complete: ?1' -T - "$W/v1/logs/job/public/live")
printf 'step 1\nERROR: first\n' >&"$LIVE"
for ((i = 0; i < 200; i++)); do
  "${CURLT[@]}" -o "$SCRATCH/live.json" "$R/v1/logs/job/public/live/stats"
  grep -q '"error":1' "$SCRATCH/live.json" && break
  sleep 0.02
done
grep -q '"state":"live"' "$SCRATCH/live.json" || fail "live stats: $(cat "$SCRATCH/live.json")"
grep -q '"error":1' "$SCRATCH/live.json" || fail "live stats after one error: $(cat "$SCRATCH/live.json")"
FOLLOWERS=()
# Each follower gets the write end of the writer's pipe closed: one it
# held would keep the upload from ever seeing its end.
for ((i = 0; i < K; i++)); do
  curl -s --max-time 60 -o "$SCRATCH/f$i.out" "$R/v1/logs/job/public/live" \
    {LIVE}>&- &
  FOLLOWERS+=($!)
done
for ((i = 0; i < 200; i++)); do
  "${CURLT[@]}" -o "$SCRATCH/m1.txt" "$W/metrics"
  grep -q "^livelog_readers_suspended $K\$" "$SCRATCH/m1.txt" && break
  sleep 0.02
done
"$CHECK_METRICS" "$SCRATCH/m1.txt" || fail "/metrics fails check-metrics"
python3 - "$SCRATCH/m1.txt" "$N" "$K" "$BYTES" <<'EOF' || fail "/metrics figures during the workload"
import sys
n, k, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
v = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name, _, val = line.rpartition(" ")
    v[name] = float(val)
def get(key):
    assert key in v, "missing %s" % key
    return v[key]
assert get('livelog_streams{state="complete"}') == n, v
assert get('livelog_streams{state="live"}') == 1
assert get("livelog_writers") == 1
assert get("livelog_readers_connected") == k
assert get("livelog_readers_suspended") == k
assert get("livelog_readers_dropped_total") == 0
assert get("livelog_bytes_lost_total") == 0
assert get("livelog_bytes_received_total") == n * size + len(b"step 1\nERROR: first\n")
assert get('livelog_http_requests_total{listener="write",route="v1-log",status="201"}') == n
assert get('livelog_http_request_duration_seconds_count{listener="write",route="v1-log"}') == n
assert get('livelog_log_messages_total{logger="http",level="error"}') == 0
EOF
printf 'FATAL: out of disk\nbye\n' >&"$LIVE"
exec {LIVE}>&-
for ((i = 0; i < K; i++)); do
  wait "${FOLLOWERS[$i]}"
  expect_eq "follower $i: curl's exit status (a clean end of response)" "$?" 0
done
for ((i = 0; i < K; i++)); do
  expect_eq "follower $i" "$(cat "$SCRATCH/f$i.out")" "$(printf 'step 1\nERROR: first\nFATAL: out of disk\nbye')"
done
for ((i = 0; i < 200; i++)); do
  "${CURLT[@]}" -o "$SCRATCH/live2.json" "$R/v1/logs/job/public/live/stats"
  grep -q '"state":"complete"' "$SCRATCH/live2.json" && break
  sleep 0.02
done
python3 - "$SCRATCH/live2.json" <<'EOF' || fail "stats of the live log once complete"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "complete" and d["lines"] == 4, d
assert d["severity"]["error"] == 1 and d["severity"]["fatal"] == 1, d
assert [(h["line"], h["offset"]) for h in d["first"]] == [(2, 7), (3, 20)], d
EOF

# ---- refusals ---------------------------------------------------------------------
expect_eq "stats of a missing log" \
  "$("${CURLT[@]}" -o /dev/null -w '%{http_code}' "$R/v1/logs/job/public/nope/stats")" 404
"${CURLT[@]}" -o /dev/null -T "$SCRATCH/task.log" "$W/v1/logs/job/private.log"
expect_eq "stats of a private log without credentials" \
  "$("${CURLT[@]}" -o /dev/null -w '%{http_code}' "$R/v1/logs/job/private.log/stats")" 401
expect_eq "PUT of a name ending in /stats" \
  "$("${CURLT[@]}" -o /dev/null -w '%{http_code}' -T "$SCRATCH/task.log" "$W/v1/logs/job/public/stats")" 400

# ---- livelog stats against the server's own log --------------------------------
"$LIVELOG" stats "$W" >"$SCRATCH/table.txt" || fail "livelog stats exit $?"
"$LIVELOG" stats --json "$W/metrics" >"$SCRATCH/stats.json" || fail "livelog stats --json exit $?"
head -1 "$SCRATCH/table.txt" | grep -q 'logger *FATAL *ERROR *WARNING *INFO *DEBUG *TRACE *total' ||
  fail "livelog stats: no header: $(head -2 "$SCRATCH/table.txt")"
python3 - "$SCRATCH/stats.json" "$LOG" <<'EOF' || fail "livelog stats --json does not match the server's log"
import json, sys, collections
d = json.load(open(sys.argv[1]))
seen = collections.Counter()
for line in open(sys.argv[2]):
    rec = json.loads(line)
    seen[(rec["logger"], rec["level"])] += 1
loggers = {l["logger"]: l for l in d["loggers"]} if isinstance(d.get("loggers"), list) else d["loggers"]
for name, row in loggers.items():
    for level in ("fatal", "error", "warning", "info"):
        got = row[level] if level in row else row["counts"][level]
        assert got == seen[(name, level)], (name, level, got, seen[(name, level)])
EOF
stop
check_log "$LOG"

# ---- after a restart the summary is rebuilt from the stored log -----------------
start m2 -- serve --data-dir "$SCRATCH/data" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 || finish
R=http://127.0.0.1:$GET
"${CURLT[@]}" -o "$SCRATCH/stats2.json" "$R/v1/logs/job/public/s1/stats"
python3 - "$SCRATCH/stats1.json" "$SCRATCH/stats2.json" <<'EOF' || fail "stats differ after a restart"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a == b, (a, b)
EOF
stop
check_log "$LOG"
finish
