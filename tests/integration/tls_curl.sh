#!/usr/bin/env bash
# tls_curl.sh: HTTPS on the read port with the real `curl` command.
# A self-signed certificate (CN and SAN localhost, 127.0.0.1) is made with
# the `openssl` command; with SERVER_CRT_FILE and SERVER_KEY_FILE set, the
# read port speaks TLS: /healthz, the log (byte-exact, also via the name
# localhost) and 401 work with `curl --cacert`, curl without the CA refuses
# the certificate (exit 60), and plain HTTP to the read port gets no log.
# The write port stays plain HTTP.
# Run: bash tls_curl.sh LIVELOG_BINARY CHECK_SERVER_LOG
. "$(dirname "$0")/lib.sh"
TOKEN=tls-curl-Token
CA=$SCRATCH/cert.pem
KEY=$SCRATCH/key.pem
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CA" \
  -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >"$SCRATCH/openssl.log" 2>&1; then
  cat "$SCRATCH/openssl.log" >&2
  fail "openssl req failed"
  finish
fi
DATA=$SCRATCH/data.bin
head -c 3000000 /dev/urandom >"$DATA"

CACERT=$CA start tls ACCESS_TOKEN=$TOKEN SERVER_CRT_FILE="$CA" SERVER_KEY_FILE="$KEY" || finish
R=https://127.0.0.1:$GET
expect_eq "https /healthz" "$(curl -s --cacert "$CA" --max-time 5 "$R/healthz")" ok

# A follower over TLS before the PUT, then the PUT over plain HTTP.
curl -s --cacert "$CA" --max-time 60 -o "$SCRATCH/follow.body" "$R/log/$TOKEN" &
FOLLOW=$!
expect_eq "PUT over http on the write port" \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -T - "http://127.0.0.1:$PUT/log" <"$DATA")" 201
for ((i = 0; i < 1000; i++)); do alive "$FOLLOW" || break; sleep 0.01; done
wait "$FOLLOW"
expect_eq "TLS follower curl exit code" "$?" 0
cmp -s "$DATA" "$SCRATCH/follow.body" || fail "TLS follower: body differs"

curl -s --cacert "$CA" --max-time 30 -o "$SCRATCH/get.body" "$R/log/$TOKEN"
cmp -s "$DATA" "$SCRATCH/get.body" || fail "GET over https: body differs"
curl -s --cacert "$CA" --max-time 30 -o "$SCRATCH/get2.body" "https://localhost:$GET/log/$TOKEN"
cmp -s "$DATA" "$SCRATCH/get2.body" || fail "GET over https via localhost: body differs"
expect_eq "https wrong token status" \
  "$(curl -s --cacert "$CA" -o "$SCRATCH/401.body" -w '%{http_code}' --max-time 10 "$R/log/nope")" 401
expect_eq "https 401 body" "$(cat "$SCRATCH/401.body")" "Access denied"
curl -s --max-time 10 -o /dev/null "$R/healthz"
expect_eq "curl without the CA: exit code" "$?" 60
code=$(curl -s -o "$SCRATCH/plain.body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$GET/log/$TOKEN")
if [ "$code" = 200 ] && [ -s "$SCRATCH/plain.body" ]; then
  fail "plain HTTP on the TLS read port served the log"
fi

stop
check_log "$LOG" --secret "$TOKEN"
finish
