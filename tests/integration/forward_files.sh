#!/usr/bin/env bash
# forward_files.sh: the lives of files under `livelog forward`, against a
# real `livelog serve`, checked byte for byte with curl:
#   - rotation by rename: the old file is drained (bytes its writer adds
#     after the rename included), its stream completes, the new file gets
#     a new stream (NAME~1), and the renamed file is not shipped twice;
#   - copytruncate: a WARNING, and the new content goes on in the same
#     stream;
#   - deletion while open: drained to its last byte, then completed;
#   - a file replaced by another of the same name: a second stream;
#   - 300 files at once: 300 exact streams;
#   - scans only (--poll, as where inotify is missing): new files of a
#     glob, growth, deletion;
#   - the stdout sink: every line a valid ADR-6 record whose msg fields
#     (plus the newline unless "partial") concatenate to the input;
#   - the server down for a while, then back: nothing lost, one WARNING
#     and one INFO, the forwarder's peak RSS under its bound;
#   - --max-lag: what lagged is skipped with a marker line, and counted;
#   - SIGTERM right after start: what is readable is shipped, and
#     --complete-on-exit completes the stream, before the exit;
#   - usage errors (exit 2), a busy or corrupt --state-dir (exit 1).
# Run: bash forward_files.sh LIVELOG CHECK_SERVER_LOG "" FAKE_RUNNER
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
MANY=300
BIG=$((24 * 1024 * 1024))
if [ -n "${LIVELOG_SANITIZED:-}" ]; then
  BIG=$((8 * 1024 * 1024))
fi

mkdir -p "$SCRATCH/data" "$SCRATCH/w" "$SCRATCH/st"
start srv -- serve --data-dir "$SCRATCH/data" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 --writer-wait 1 || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET/v1/logs/f/public
fwd_start fwd --watch "$SCRATCH/w" --to "$W" --name-template 'f/public/{file}' \
  --state-dir "$SCRATCH/st" --rotate-wait 300 --poll-interval 50
FWD=$FPID

# ---- rotation by rename ----
note "rotation by rename (at ${SECONDS}s)"
exec 3>>"$SCRATCH/w/app.log"
printf 'one\ntwo\n' >&3
printf 'one\ntwo\n' >"$SCRATCH/app.expect"
wait_length "$R/app.log" 8 10 || fail "rotation: the first lines never arrived"
mv "$SCRATCH/w/app.log" "$SCRATCH/w/app.log.1"
printf 'three (after the rename)\n' >&3
printf 'three (after the rename)\n' >>"$SCRATCH/app.expect"
exec 3>&-
printf 'new file\n' >"$SCRATCH/w/app.log"
wait_complete "$R/app.log" 15 || fail "rotation: the old stream did not complete"
same_body "$R/app.log" "$SCRATCH/app.expect" "rotation: old file"
wait_length "$R/app.log~1" 9 10 || fail "rotation: the new file's stream"
expect_eq "rotation: the new stream is live" "$(state_of "$R/app.log~1")" live
expect_eq "rotation: no stream for the renamed file" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$R/app.log.1?follow=0")" 404

# ---- copytruncate ----
note "copytruncate (at ${SECONDS}s)"
printf 'before truncation\n' >"$SCRATCH/w/ct.log"
wait_length "$R/ct.log" 18 10 || fail "copytruncate: first content"
cp "$SCRATCH/w/ct.log" "$SCRATCH/ct.log.copy"
: >"$SCRATCH/w/ct.log"
sleep 0.3
printf 'after\n' >>"$SCRATCH/w/ct.log"
printf 'before truncation\nafter\n' >"$SCRATCH/ct.expect"
wait_length "$R/ct.log" 24 10 || fail "copytruncate: the new content"
same_body "$R/ct.log" "$SCRATCH/ct.expect" "copytruncate"
expect_eq "copytruncate: WARNING" \
  "$(count_msg "$SCRATCH/fwd.log" warning "file truncated")" 1

# ---- deletion while open ----
note "deletion while open (at ${SECONDS}s)"
exec 4>>"$SCRATCH/w/del.log"
printf 'x\n' >&4
wait_length "$R/del.log" 2 10 || fail "delete: first line"
rm "$SCRATCH/w/del.log"
printf 'written after the unlink\n' >&4
exec 4>&-
printf 'x\nwritten after the unlink\n' >"$SCRATCH/del.expect"
wait_complete "$R/del.log" 15 || fail "delete: the stream did not complete"
same_body "$R/del.log" "$SCRATCH/del.expect" "deletion while open"

# ---- replaced by another file with the same name ----
note "replaced by another file with the same name (at ${SECONDS}s)"
printf 'first same\n' >"$SCRATCH/w/same.log"
wait_length "$R/same.log" 11 10 || fail "replace: first file"
rm "$SCRATCH/w/same.log"
printf 'second same\n' >"$SCRATCH/w/same.log"
wait_complete "$R/same.log" 15 || fail "replace: the first stream"
wait_length "$R/same.log~1" 12 10 || fail "replace: the second stream"
printf 'second same\n' >"$SCRATCH/same2.expect"
same_body "$R/same.log~1" "$SCRATCH/same2.expect" "replace: second file"

# ---- 300 files at once ----
note "300 files at once (at ${SECONDS}s)"
mkdir -p "$SCRATCH/many.expect"
for ((i = 0; i < MANY; i++)); do
  printf 'file %d\nline two of %d\n' "$i" "$i" >"$SCRATCH/many.expect/m$i.log"
done
cp "$SCRATCH"/many.expect/*.log "$SCRATCH/w/"
for ((i = 0; i < 300; i++)); do # the listing says when all are in
  n=$(curl -s "http://127.0.0.1:$GET/v1/logs?prefix=f/public/m" |
    python3 -c 'import json,sys; print(sum(l["length"] for l in json.load(sys.stdin)["logs"]))')
  [ "$n" = "$(cat "$SCRATCH"/many.expect/*.log | wc -c)" ] && break
  sleep 0.1
done
bad=0
for ((i = 0; i < MANY; i++)); do
  curl -s -o "$SCRATCH/body.tmp" "$R/m$i.log?follow=0"
  cmp -s "$SCRATCH/body.tmp" "$SCRATCH/many.expect/m$i.log" || bad=$((bad + 1))
done
expect_eq "300 files: streams that differ" "$bad" 0
fwd_stop "$FWD"
expect_eq "exit status after SIGTERM" "$FSTATUS" 0
check_log "$SCRATCH/fwd.log"

# ---- scans only (--poll), as where inotify is missing ----
note "scans only (at ${SECONDS}s)"
mkdir -p "$SCRATCH/p" "$SCRATCH/p.st"
fwd_start poll --watch "$SCRATCH/p/*.log" --to "$W" \
  --name-template 'f/public/poll/{file}' --state-dir "$SCRATCH/p.st" \
  --poll --poll-interval 100 --rotate-wait 200
PPID2=$FPID
printf 'polled one\n' >"$SCRATCH/p/a.log"
printf 'not matched\n' >"$SCRATCH/p/a.txt"
wait_length "$R/poll/a.log" 11 10 || fail "--poll: a new file"
printf 'polled two\n' >>"$SCRATCH/p/a.log"
wait_length "$R/poll/a.log" 22 10 || fail "--poll: growth"
rm "$SCRATCH/p/a.log"
wait_complete "$R/poll/a.log" 10 || fail "--poll: deletion completes"
printf 'polled one\npolled two\n' >"$SCRATCH/poll.expect"
same_body "$R/poll/a.log" "$SCRATCH/poll.expect" "--poll"
expect_eq "--poll: the glob left a.txt alone" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$R/poll/a.txt?follow=0")" 404
fwd_stop "$PPID2"
grep -q '"inotify":false' "$SCRATCH/poll.log" || fail "--poll still used inotify"
check_log "$SCRATCH/poll.log"

# ---- the stdout sink ----
note "the stdout sink (at ${SECONDS}s)"
mkdir -p "$SCRATCH/so" "$SCRATCH/so.st"
{
  printf 'plain line\n\n'
  printf 'caf\xc3\xa9 \xe2\x9c\x93 "quoted" \\ back\tslash\n'
  printf 'ERROR: something failed\n'
  head -c 100000 /dev/zero | tr '\0' 'y'
  printf '\nlast line without newline'
} >"$SCRATCH/so/in.log"
run_exit stdout 60 -- forward --watch "$SCRATCH/so" --to stdout \
  --state-dir "$SCRATCH/so.st" --once --complete-on-exit --max-line 64K
expect_eq "stdout sink: --once exit" "$RC" 0
python3 - "$OUT" "$SCRATCH/so/in.log" <<'PY' || fail "stdout sink records"
import json, sys
out = b""
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    o = json.loads(line)
    for k in ("ts", "level", "logger", "msg", "file", "offset"):
        assert k in o, f"record {n} lacks {k}"
    assert o["logger"] == "forward"
    assert o["level"] in ("fatal", "error", "warning", "info", "debug", "trace")
    piece = o["msg"].encode() + (b"" if o.get("partial") else b"\n")
    assert o["offset"] == len(out), f"record {n}: offset {o['offset']} != {len(out)}"
    out += piece
want = open(sys.argv[2], "rb").read()
assert out == want, f"msg fields give {len(out)} bytes, the file has {len(want)}"
levels = [json.loads(l)["level"] for l in open(sys.argv[1], "rb")]
assert "error" in levels, "the ERROR line is not level error"
PY
check_log "$OUT" --expect error
check_log "$ERR"

# ---- the server down for a while, then back ----
note "the server down for a while, then back (at ${SECONDS}s)"
stop
check_log "$LOG"
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start srv2 -- serve --data-dir "$SCRATCH/data" --write-addr "127.0.0.1:$P" \
  --read-addr 127.0.0.1:0 || finish
R2=http://127.0.0.1:$GET/v1/logs/down/public
mkdir -p "$SCRATCH/down" "$SCRATCH/down.st"
fwd_start down --watch "$SCRATCH/down" --to "http://127.0.0.1:$P" \
  --name-template 'down/public/{file}' --state-dir "$SCRATCH/down.st" \
  --buffer-size 1M --poll-interval 50
DPID=$FPID
head -c 1000 /dev/urandom | base64 >"$SCRATCH/down/big.log"
wait_length "$R2/big.log" "$(stat -c %s "$SCRATCH/down/big.log")" 10 ||
  fail "down: the first bytes"
stop
# while the server is down the file grows by BIG bytes
head -c "$BIG" /dev/urandom | base64 -w 100 >>"$SCRATCH/down/big.log"
sleep 1
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$DPID/status")
note "forwarder peak RSS while the server is down: $rss KiB (file $(stat -c %s \
  "$SCRATCH/down/big.log") bytes)"
limit=40000
[ -n "${LIVELOG_SANITIZED:-}" ] && limit=200000
[ "$rss" -lt "$limit" ] || fail "down: peak RSS $rss KiB over $limit KiB"
start srv3 -- serve --data-dir "$SCRATCH/data" --write-addr "127.0.0.1:$P" \
  --read-addr 127.0.0.1:0 || finish
R2=http://127.0.0.1:$GET/v1/logs/down/public
wait_length "$R2/big.log" "$(stat -c %s "$SCRATCH/down/big.log")" 60 ||
  fail "down: not everything arrived after the server came back"
same_body "$R2/big.log" "$SCRATCH/down/big.log" "server down and back"
rss2=$(awk '/VmHWM/ { print $2 }' "/proc/$DPID/status")
[ "$rss2" -lt "$limit" ] || fail "down: peak RSS $rss2 KiB over $limit KiB"
fwd_stop "$DPID"
expect_eq "down: unreachable WARNINGs" \
  "$(count_msg "$SCRATCH/down.log" warning "unreachable")" 1
expect_eq "down: recovery INFOs" \
  "$(count_msg "$SCRATCH/down.log" info "answers again")" 1
check_log "$SCRATCH/down.log"

# ---- --max-lag ----
note "--max-lag (at ${SECONDS}s)"
mkdir -p "$SCRATCH/lag" "$SCRATCH/lag.st"
printf 'head\n' >"$SCRATCH/lag/l.log"
fwd_start lag --watch "$SCRATCH/lag" --to "http://127.0.0.1:$P" \
  --name-template 'lag/public/{file}' --state-dir "$SCRATCH/lag.st" \
  --max-lag 1000 --poll-interval 50
LPID=$FPID
RL=http://127.0.0.1:$GET/v1/logs/lag/public
wait_length "$RL/l.log" 5 10 || fail "max-lag: head"
stop
{
  head -c 5000 /dev/zero | tr '\0' 'z'
  printf '\ntail\n'
} >"$SCRATCH/lag.more"
cat "$SCRATCH/lag.more" >>"$SCRATCH/lag/l.log" # one write of 5006 bytes
sleep 0.5
start srv4 -- serve --data-dir "$SCRATCH/data" --write-addr "127.0.0.1:$P" \
  --read-addr 127.0.0.1:0 || finish
RL=http://127.0.0.1:$GET/v1/logs/lag/public
for ((i = 0; i < 100; i++)); do
  curl -s -o "$SCRATCH/lag.body" "$RL/l.log?follow=0"
  tail -c 6 "$SCRATCH/lag.body" | grep -q tail && break
  sleep 0.1
done
python3 - "$SCRATCH/lag.body" <<'PY' || fail "max-lag: head, marker, last 1000 bytes"
import sys
b = open(sys.argv[1], "rb").read()
marker = b"[livelog forward: 4006 bytes skipped here: the server fell more than --max-lag behind]\n"
assert b.startswith(b"head\n" + marker), b[:200]
assert b.endswith(b"z" * 994 + b"\ntail\n"), b[-60:]
assert len(b) == 5 + len(marker) + 1000, len(b)
PY
fwd_stop "$LPID"
expect_eq "max-lag: WARNING" "$(count_msg "$SCRATCH/lag.log" warning "max-lag")" 1
python3 - "$SCRATCH/lag.log" <<'PY' || fail "max-lag: skipped bytes not counted"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "forwarder stopped" in l][-1]
assert last["skipped_bytes"] == 4006, last
PY
stop
check_log "$LOG"

# ---- SIGTERM drains what is readable ----
note "SIGTERM drains (at ${SECONDS}s)"
start srv5 -- serve --data-dir "$SCRATCH/data" --write-addr "127.0.0.1:$P" \
  --read-addr 127.0.0.1:0 || finish
mkdir -p "$SCRATCH/drain" "$SCRATCH/drain.st"
head -c $((BIG / 2)) /dev/urandom >"$SCRATCH/drain/d.log"
fwd_start drain --watch "$SCRATCH/drain" --to "http://127.0.0.1:$P" \
  --name-template 'drain/public/{file}' --state-dir "$SCRATCH/drain.st" \
  --complete-on-exit
for ((i = 0; i < 200; i++)); do # SIGTERM as soon as it follows the file
  grep -q '"following a file"' "$SCRATCH/drain.log" 2>/dev/null && break
  sleep 0.01
done
fwd_stop "$FPID" 30
expect_eq "drain: exit after SIGTERM" "$FSTATUS" 0
RD=http://127.0.0.1:$GET/v1/logs/drain/public
expect_eq "drain: completed by --complete-on-exit" "$(state_of "$RD/d.log")" complete
same_body "$RD/d.log" "$SCRATCH/drain/d.log" "SIGTERM drain"
check_log "$SCRATCH/drain.log"
stop
check_log "$LOG"

# ---- usage and state-dir errors ----
note "usage and state-dir errors (at ${SECONDS}s)"
run_exit usage1 10 -- forward --to stdout
expect_eq "no --watch: exit" "$RC" 2
grep -q "give --watch" "$ERR" || fail "no --watch: message"
run_exit usage2 10 -- forward --watch /tmp --to ftp://x
expect_eq "bad --to: exit" "$RC" 2
run_exit usage3 10 -- forward --watch /tmp --to stdout --name-template '{nope}'
expect_eq "bad template: exit" "$RC" 2
mkdir -p "$SCRATCH/bad.st"
echo '{"version":1,"files":[{"dev":1}],"names":{}}' >"$SCRATCH/bad.st/checkpoint.json"
run_exit corrupt 10 -- forward --watch "$SCRATCH/so" --to stdout \
  --state-dir "$SCRATCH/bad.st" --once
expect_eq "corrupt checkpoint: exit" "$RC" 1
expect_eq "corrupt checkpoint: FATAL" "$(count_msg "$ERR" fatal checkpoint)" 1
check_log "$ERR" --expect fatal
fwd_start holder --watch "$SCRATCH/so" --to stdout --state-dir "$SCRATCH/so.st"
sleep 0.3
run_exit busy 10 -- forward --watch "$SCRATCH/so" --to stdout \
  --state-dir "$SCRATCH/so.st" --once
expect_eq "busy state dir: exit" "$RC" 1
expect_eq "busy state dir: FATAL" \
  "$(count_msg "$ERR" fatal "another forwarder")" 1
check_log "$ERR" --expect fatal
fwd_stop "$FPID"
finish
