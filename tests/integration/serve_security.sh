#!/usr/bin/env bash
# serve_security.sh: the operator's side of private logs (docs/SECURITY.md)
# with the real `curl` and `openssl` commands:
#   - TLS on both listeners of `livelog serve`: curl --cacert works on the
#     write and the read listener, a TLS 1.1-only client is refused even
#     with a --tls-priorities that enables TLS 1.0/1.1, and SIGHUP swaps
#     both certificates without a restart (the old CA stops verifying, the
#     new one verifies) while a broken certificate file keeps the old one;
#   - a write listener on a non-loopback address without credentials and
#     TLS refuses to start (exit 2, the message says what is missing);
#   - `livelog token`: a JWT and a signed URL that curl reads a private
#     stream with, a wrong key directory and missing flags (exit codes);
#   - a CORS preflight (OPTIONS) answered for a configured origin only.
# Run: bash serve_security.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"

CURLT=(curl -s --max-time 10)
rq() {
  local tag=$1 m=$2 u=$3
  shift 3
  B=$SCRATCH/$tag.body
  H=$SCRATCH/$tag.hdr
  CODE=$("${CURLT[@]}" -X "$m" -D "$H" -o "$B" -w '%{http_code}' "$@" "$u")
}
expect_code() {
  [ "$CODE" = "$2" ] || fail "$1: status $CODE, want $2 ($(head -c 200 "$B"))"
}

cert() { # cert NAME: NAME.crt, NAME.key for 127.0.0.1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$SCRATCH/$1.key" -out "$SCRATCH/$1.crt" -days 2 \
    -subj "/CN=$1" -addext subjectAltName=IP:127.0.0.1 \
    >"$SCRATCH/openssl.log" 2>&1 || fail "openssl req for $1 failed"
}
cert a
cert b
mkdir -m 700 "$SCRATCH/keys"
(umask 077 && openssl rand -base64 32 >"$SCRATCH/keys/k1.key")
KEY=$(tr -d '\n' <"$SCRATCH/keys/k1.key")
cp "$SCRATCH/a.crt" "$SCRATCH/live.crt"
cp "$SCRATCH/a.key" "$SCRATCH/live.key"
mkdir -p "$SCRATCH/data"

# ---- TLS on both listeners --------------------------------------------------
CACERT=$SCRATCH/a.crt start tls -- serve --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 \
  --tls-cert "$SCRATCH/live.crt" --tls-key "$SCRATCH/live.key" \
  --write-tls-cert "$SCRATCH/live.crt" --write-tls-key "$SCRATCH/live.key" \
  --tls-priorities 'NORMAL:+VERS-TLS1.1:+VERS-TLS1.0' \
  --key-dir "$SCRATCH/keys" --cors-origins https://ui.example \
  --log-level debug || finish
W=https://127.0.0.1:$PUT
R=https://127.0.0.1:$GET
rq put PUT "$W/v1/logs/task/s/private.log" --cacert "$SCRATCH/a.crt" \
  --data-binary 'private bytes'
expect_code "PUT over TLS on the write listener" 201
URL=$(header "$SCRATCH/put.hdr" Livelog-Read-URL)
case "$URL" in
/v1/logs/task/s/private.log\?exp=*\&n=*\&sig=*) ;;
*) fail "Livelog-Read-URL is '$URL'" ;;
esac
rq url GET "$R$URL&follow=0" --cacert "$SCRATCH/a.crt"
expect_code "GET of the Livelog-Read-URL over TLS" 200
expect_eq "body read with the signed URL" "$(cat "$B")" "private bytes"
for port in "$PUT" "$GET"; do
  CODE=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' --cacert "$SCRATCH/a.crt" \
    --tlsv1.0 --tls-max 1.1 "https://127.0.0.1:$port/healthz")
  [ "$CODE" = 000 ] || fail "a TLS 1.1 client got $CODE on port $port"
  CODE=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' --cacert "$SCRATCH/a.crt" \
    --tlsv1.2 --tls-max 1.2 "https://127.0.0.1:$port/healthz")
  expect_eq "a TLS 1.2 client on port $port" "$CODE" 200
done

# SIGHUP: certificate b replaces a on both listeners.
cp "$SCRATCH/b.crt" "$SCRATCH/live.crt"
cp "$SCRATCH/b.key" "$SCRATCH/live.key"
kill -HUP "$PID"
for ((i = 0; i < 200; i++)); do
  CODE=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' --cacert "$SCRATCH/b.crt" "$R/healthz")
  [ "$CODE" = 200 ] && break
  sleep 0.05
done
for port in "$PUT" "$GET"; do
  CODE=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' --cacert "$SCRATCH/b.crt" "https://127.0.0.1:$port/healthz")
  expect_eq "after SIGHUP, the new CA on port $port" "$CODE" 200
  "${CURLT[@]}" -o /dev/null --cacert "$SCRATCH/a.crt" "https://127.0.0.1:$port/healthz"
  expect_eq "after SIGHUP, curl exit with the old CA on port $port" "$?" 60
done
# A broken file: the reload fails, certificate b stays in service.
echo "not a certificate" >"$SCRATCH/live.crt"
kill -HUP "$PID"
sleep 0.3
CODE=$("${CURLT[@]}" -o /dev/null -w '%{http_code}' --cacert "$SCRATCH/b.crt" "$R/healthz")
expect_eq "after a failed reload, the old certificate still serves" "$CODE" 200
alive "$PID" || fail "the server died on a broken certificate file"
grep -q '"tls reload failed"' "$LOG" || fail "no 'tls reload failed' line"

# ---- livelog token ------------------------------------------------------------
TOKEN=$("$LIVELOG" token --key-dir "$SCRATCH/keys" --scopes 'livelog:read:task/s/*' --ttl 60)
expect_eq "livelog token exit" "$?" 0
rq tok GET "$R/v1/logs/task/s/private.log?follow=0" --cacert "$SCRATCH/b.crt" \
  -H "Authorization: Bearer $TOKEN"
expect_code "GET with a token from livelog token" 200
SURL=$("$LIVELOG" token --key-dir "$SCRATCH/keys" --url task/s/private.log \
  --ttl 60 --base "$R")
rq surl GET "$SURL&follow=0" --cacert "$SCRATCH/b.crt"
expect_code "GET of a URL from livelog token --url" 200
rq surlh HEAD "$SURL" --cacert "$SCRATCH/b.crt" -I
expect_code "HEAD of the same URL" 200
rq surlo GET "${SURL/private.log/other.log}&follow=0" --cacert "$SCRATCH/b.crt"
expect_code "the URL used for another name" 401

# ---- CORS preflight -----------------------------------------------------------
rq pre OPTIONS "$R/v1/logs/task/s/private.log" --cacert "$SCRATCH/b.crt" \
  -H 'Origin: https://ui.example' -H 'Access-Control-Request-Method: GET' \
  -H 'Access-Control-Request-Headers: authorization'
expect_code "preflight from a configured origin" 204
expect_eq "preflight: allowed origin" \
  "$(header "$H" Access-Control-Allow-Origin)" https://ui.example
expect_eq "preflight: allowed headers" \
  "$(header "$H" Access-Control-Allow-Headers)" "Authorization, Range"
expect_eq "preflight: allowed methods" \
  "$(header "$H" Access-Control-Allow-Methods)" "GET, HEAD"
rq pre2 OPTIONS "$R/v1/logs/task/s/private.log" --cacert "$SCRATCH/b.crt" \
  -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: GET'
expect_code "preflight from another origin" 204
expect_eq "preflight from another origin: no allowed origin" \
  "$(header "$H" Access-Control-Allow-Origin)" ""
rq pre3 OPTIONS "$R/v1/logs/task/s/public/x" --cacert "$SCRATCH/b.crt" \
  -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: GET'
expect_eq "preflight of a public log: any origin" \
  "$(header "$H" Access-Control-Allow-Origin)" "*"
stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY" --secret="${SURL##*sig=}" \
  --secret="${URL##*sig=}"

# ---- refusals at start ----------------------------------------------------------
run_exit public-write 10 -- serve --data-dir "$SCRATCH/data" \
  --write-addr 0.0.0.0:0 --read-addr 127.0.0.1:0
expect_eq "non-loopback write listener without credentials: exit" "$RC" 2
grep -q 'not a loopback address' "$ERR" ||
  fail "the refusal does not say why: $(cat "$ERR")"
run_exit token-nodir 10 -- token --key-dir "$SCRATCH/nope" --scopes x --ttl 5
expect_eq "livelog token with a missing key directory: exit" "$RC" 1
run_exit token-usage 10 -- token --key-dir "$SCRATCH/keys" --ttl 5
expect_eq "livelog token without --scopes or --url: exit" "$RC" 2
run_exit token-both 10 -- token --key-dir "$SCRATCH/keys" --ttl 5 --scopes a --url b
expect_eq "livelog token with both --scopes and --url: exit" "$RC" 2
finish
