#!/usr/bin/env bash
# protocol.sh: the drop-in HTTP protocol, exercised with the real `curl`
# command the way the Taskcluster README does (`curl -T - .../log`,
# `curl .../log/$TOKEN`):
#   /healthz 200 "ok"; a GET started before the PUT waits and gets every
#   byte; `curl -T -` from a pipe streams (chunked) and gets 201 with an
#   empty body when the body ends; a concurrent second PUT is 400 "This
#   endpoint can only process one http PUT at a time"; a PUT after the
#   first finished is 400; other methods on /log are 400 "This endpoint can
#   only handle PUT requests"; other write-port paths 404; wrong tokens 401
#   "Access denied" with Access-Control-Allow-Origin *; read-port methods
#   other than GET/HEAD 405 with Allow; unknown read paths 404; HEAD live
#   and finished; GET headers; Range with `curl -r` on the finished log.
# Run: bash protocol.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"
TOKEN=secretpuppy_S3cr3t
DATA=$SCRATCH/data.bin
python3 -c '
import sys
sys.stdout.buffer.write(bytes(range(256)) * 64 + b"".join(b"Log line %d\n" % i for i in range(1, 2001)))' >"$DATA"
SIZE=$(stat -c %s "$DATA")

start proto ACCESS_TOKEN=$TOKEN DEBUG='*' || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET

# healthz
expect_eq "/healthz body" "$(curl -s --max-time 5 "$R/healthz")" ok
expect_eq "/healthz status" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$R/healthz")" 200

# A reader that starts before the writer.
curl -s -D "$SCRATCH/early.h" --max-time 60 -o "$SCRATCH/early.body" "$R/log/$TOKEN" &
EARLY=$!

# The writer: curl -T - from a FIFO, fed in two halves.
mkfifo "$SCRATCH/fifo"
curl -s -D "$SCRATCH/put.h" -o "$SCRATCH/put.body" -w '%{http_code}' --max-time 60 \
  -T - "$W/log" <"$SCRATCH/fifo" >"$SCRATCH/put.code" &
WRITER=$!
exec 7>"$SCRATCH/fifo"
head -c 20000 "$DATA" >&7

# Wait (bounded) until the log has the first half: a follower that stops at
# 20000 bytes.
n=0
for ((i = 0; i < 20; i++)); do
  n=$(curl -s --max-time 2 "$R/log/$TOKEN" 2>/dev/null | head -c 20000 | wc -c)
  [ "$n" -ge 20000 ] && break
  sleep 0.05
done
expect_eq "bytes in the live log" "$n" 20000

# While live: a second PUT is 400, HEAD says live.
expect_eq "concurrent PUT status" \
  "$(printf 'intruder' | curl -s -o "$SCRATCH/put2.body" -w '%{http_code}' --max-time 10 -T - "$W/log")" 400
expect_eq "concurrent PUT body" "$(cat "$SCRATCH/put2.body")" \
  "This endpoint can only process one http PUT at a time"
curl -s -I --max-time 10 "$R/log/$TOKEN" -o /dev/null -D "$SCRATCH/head-live.h"
expect_eq "HEAD live status" "$(head -n1 "$SCRATCH/head-live.h" | awk '{print $2}')" 200
expect_eq "HEAD live Livelog-State" "$(header "$SCRATCH/head-live.h" Livelog-State)" live
alive "$EARLY" || fail "the early reader ended while the log was live"

# Second half, then end of body.
tail -c +20001 "$DATA" >&7
exec 7>&-
for ((i = 0; i < 1000; i++)); do alive "$WRITER" || break; sleep 0.01; done
wait "$WRITER"
expect_eq "curl -T - exit code" "$?" 0
expect_eq "PUT status" "$(cat "$SCRATCH/put.code")" 201
expect_eq "PUT response body size" "$(stat -c %s "$SCRATCH/put.body")" 0
for ((i = 0; i < 1000; i++)); do alive "$EARLY" || break; sleep 0.01; done
wait "$EARLY"
expect_eq "early reader curl exit code" "$?" 0
cmp -s "$DATA" "$SCRATCH/early.body" || fail "early reader: body differs ($(stat -c %s "$SCRATCH/early.body") of $SIZE bytes)"
expect_eq "early reader status" "$(head -n1 "$SCRATCH/early.h" | awk '{print $2}')" 200

# Finished log: GET headers and body.
curl -s -D "$SCRATCH/get.h" -o "$SCRATCH/get.body" --max-time 10 "$R/log/$TOKEN"
cmp -s "$DATA" "$SCRATCH/get.body" || fail "GET after PUT: body differs"
expect_eq "GET status" "$(head -n1 "$SCRATCH/get.h" | awk '{print $2}')" 200
expect_eq "GET Content-Type" "$(header "$SCRATCH/get.h" Content-Type)" "text/plain; charset=utf-8"
expect_eq "GET Access-Control-Allow-Origin" "$(header "$SCRATCH/get.h" Access-Control-Allow-Origin)" "*"
expect_eq "GET Accept-Ranges" "$(header "$SCRATCH/get.h" Accept-Ranges)" bytes
expect_eq "GET Livelog-State" "$(header "$SCRATCH/get.h" Livelog-State)" complete
expect_eq "GET Content-Length" "$(header "$SCRATCH/get.h" Content-Length)" "$SIZE"
curl -s -I --max-time 10 "$R/log/$TOKEN" -o "$SCRATCH/head.body" -D "$SCRATCH/head.h"
expect_eq "HEAD status" "$(head -n1 "$SCRATCH/head.h" | awk '{print $2}')" 200
expect_eq "HEAD Content-Length" "$(header "$SCRATCH/head.h" Content-Length)" "$SIZE"
expect_eq "HEAD Livelog-State" "$(header "$SCRATCH/head.h" Livelog-State)" complete
expect_eq "HEAD Content-Type" "$(header "$SCRATCH/head.h" Content-Type)" "text/plain; charset=utf-8"

# Range with curl -r.
curl -s -r 256-511 -D "$SCRATCH/r.h" -o "$SCRATCH/r.body" --max-time 10 "$R/log/$TOKEN"
expect_eq "curl -r 256-511 status" "$(head -n1 "$SCRATCH/r.h" | awk '{print $2}')" 206
expect_eq "curl -r 256-511 Content-Range" "$(header "$SCRATCH/r.h" Content-Range)" "bytes 256-511/$SIZE"
cmp -s "$SCRATCH/r.body" <(head -c 512 "$DATA" | tail -c 256) || fail "curl -r 256-511: body differs"
curl -s -r -12 -o "$SCRATCH/r2.body" --max-time 10 "$R/log/$TOKEN"
cmp -s "$SCRATCH/r2.body" <(tail -c 12 "$DATA") || fail "curl -r -12: body differs"
expect_eq "curl -r $SIZE- status" \
  "$(curl -s -r "$SIZE-" -D "$SCRATCH/r3.h" -o /dev/null -w '%{http_code}' --max-time 10 "$R/log/$TOKEN")" 416
expect_eq "416 Content-Range" "$(header "$SCRATCH/r3.h" Content-Range)" "bytes */$SIZE"

# PUT after the PUT finished.
expect_eq "PUT after finish status" \
  "$(printf 'late' | curl -s -o /dev/null -w '%{http_code}' --max-time 10 -T - "$W/log")" 400
cmp -s "$DATA" <(curl -s --max-time 10 "$R/log/$TOKEN") || fail "log changed after a rejected PUT"

# Write port: methods and paths.
for m in GET POST DELETE PATCH OPTIONS; do
  code=$(curl -s -X "$m" -o "$SCRATCH/m.body" -w '%{http_code}' --max-time 10 "$W/log")
  expect_eq "$m /log on the write port: status" "$code" 400
  expect_eq "$m /log on the write port: body" "$(cat "$SCRATCH/m.body")" \
    "This endpoint can only handle PUT requests"
done
for p in / /nope /log/x /logs "/log/$TOKEN"; do
  expect_eq "GET $p on the write port" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$W$p")" 404
done

# Read port: tokens, methods, paths.
for t in wrong "${TOKEN}x" "${TOKEN%?}" "" "x${TOKEN}" "$(printf '%s' "$TOKEN" | tr a-z A-Z)"; do
  code=$(curl -s -D "$SCRATCH/401.h" -o "$SCRATCH/401.body" -w '%{http_code}' --max-time 10 "$R/log/$t")
  expect_eq "GET /log/<wrong token '$t'> status" "$code" 401
  expect_eq "401 body" "$(cat "$SCRATCH/401.body")" "Access denied"
  expect_eq "401 Access-Control-Allow-Origin" "$(header "$SCRATCH/401.h" Access-Control-Allow-Origin)" "*"
done
for m in POST PUT DELETE PATCH; do
  code=$(curl -s -X "$m" -D "$SCRATCH/405.h" -o /dev/null -w '%{http_code}' --max-time 10 "$R/log/$TOKEN")
  expect_eq "$m /log/<token> on the read port" "$code" 405
  allow=$(header "$SCRATCH/405.h" Allow)
  case "$allow" in
  *GET*HEAD* | *HEAD*GET*) ;;
  *) fail "$m /log/<token>: 405 should carry Allow: GET, HEAD (got '$allow')" ;;
  esac
done
for p in / /nope /logs/$TOKEN /healthz/x; do
  expect_eq "GET $p on the read port" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$R$p")" 404
done

stop
check_log "$LOG" --secret "$TOKEN"
finish
