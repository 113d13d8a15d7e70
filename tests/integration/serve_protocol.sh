#!/usr/bin/env bash
# serve_protocol.sh: every endpoint and status code of the multi-stream
# surface of docs/API.md ("Multi-stream surface"), with the real `curl`
# command against `livelog serve` on port 0:
#   - writing: PUT 201 (Location, Upload-Offset, Livelog-State), PUT of an
#     existing name 409, Upload-Complete ?0 keeps the stream live, PATCH
#     204 / 409 (offset behind, ahead, complete stream) / 400 (no or bad
#     Upload-Offset, bad Upload-Complete) / 404, HEAD on both listeners,
#     DELETE 204 / 404 / 409 (while a writer appends) and followers ended,
#     Repr-Digest match completes, mismatch 400 and not complete;
#   - reading: GET follows a live stream to its end, ?follow=0, ?tail=N with
#     Content-Range (complete and live), GET before PUT waits then streams,
#     GET of a name nobody writes waits --writer-wait then 404, listing JSON
#     (prefix, limit, truncated, sorted, fields, only readable streams);
#   - access: public vs private names, 401 + WWW-Authenticate with the same
#     body for a missing and an existing private stream, a read token
#     minted by `livelog token`, a server without --key-dir cannot serve
#     private streams (serve_private.c has the whole access matrix);
#   - names: each rule's 400 message prefix, %2F decoded, %00 and malformed
#     escapes rejected, 1024 bytes accepted and 1025 refused;
#   - /healthz on both listeners; every server log passes check-server-log.
# Usage: bash serve_protocol.sh LIVELOG_BINARY CHECK_SERVER_LOG [VERSION]
. "$(dirname "$0")/lib.sh"

CURLT=(curl -sS --path-as-is --max-time 15 -H 'Content-Type:' -H 'Expect:')

# rq TAG METHOD URL [curl args...]: one request; sets CODE, B (body file),
# H (header file). HEAD uses -I so that curl does not wait for a body.
rq() {
  local tag=$1 m=$2 u=$3
  shift 3
  B=$SCRATCH/$tag.body
  H=$SCRATCH/$tag.hdr
  if [ "$m" = HEAD ]; then
    CODE=$("${CURLT[@]}" -I -o /dev/null -D "$H" -w '%{http_code}' "$@" "$u")
    : >"$B"
  else
    CODE=$("${CURLT[@]}" -X "$m" -D "$H" -o "$B" -w '%{http_code}' "$@" "$u")
  fi
}

# expect_code TAG WANT
expect_code() {
  if [ "$CODE" != "$2" ]; then
    fail "$1: status $CODE, want $2 (body: $(head -c 300 "$B" | tr -d '\0'))"
  fi
}

# expect_hdr TAG NAME WANT
expect_hdr() {
  expect_eq "$1: header $2" "$(header "$H" "$2")" "$3"
}

# expect_body_prefix TAG PREFIX
expect_body_prefix() {
  local got
  got=$(head -c ${#2} "$B")
  if [ "$got" != "$2" ]; then
    fail "$1: body should start with '$2', got '$(head -c 200 "$B")'"
  fi
}

# expect_body_file TAG FILE
expect_body_file() {
  if ! cmp -s "$B" "$2"; then
    fail "$1: body differs from $2 ($(wc -c <"$B") bytes vs $(wc -c <"$2"))"
  fi
}

sha_b64() {
  python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"
}

mkfile() { # mkfile PATH TEXT...
  local p=$1
  shift
  printf '%s' "$*" >"$p"
}

if ! "$LIVELOG" serve --help >/dev/null 2>&1; then
  fail "\`$LIVELOG serve --help\` does not exit 0: livelog serve is not built yet"
  finish
fi
mkdir -p "$SCRATCH/main.data" "$SCRATCH/notoken.data"
mkdir -m 700 "$SCRATCH/keys"
KEY=$(head -c 32 /dev/urandom | base64 | tr -d '\n=')
(umask 077 && printf '%s\n' "$KEY" >"$SCRATCH/keys/2026-11.key")
TOKEN=$("$LIVELOG" token --key-dir "$SCRATCH/keys" --scopes 'livelog:read:*' \
  --ttl 3600) || fail "livelog token could not mint a read token"
start main -- serve --data-dir "$SCRATCH/main.data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 \
  --key-dir "$SCRATCH/keys" --writer-wait 2 --log-level debug ||
  {
    finish
  }
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET
AUTH=(-H "Authorization: Bearer $TOKEN")

# ---- health ---------------------------------------------------------------
for u in "$W" "$R"; do
  rq health GET "$u/healthz"
  expect_code "GET $u/healthz" 200
done

# ---- PUT ------------------------------------------------------------------
mkfile "$SCRATCH/hello" "hello world
"
N1=public/logs/one.log
rq put1 PUT "$W/v1/logs/$N1" --data-binary @"$SCRATCH/hello"
expect_code "PUT $N1" 201
expect_hdr "PUT $N1" Upload-Offset 12
expect_hdr "PUT $N1" Livelog-State complete
loc=$(header "$H" Location)
case $loc in
*"/v1/logs/$N1") ;;
*) fail "PUT $N1: Location '$loc' should end in /v1/logs/$N1" ;;
esac
rq get1 GET "$R/v1/logs/$N1"
expect_code "GET $N1 (complete)" 200
expect_body_file "GET $N1" "$SCRATCH/hello"
expect_hdr "GET $N1" Livelog-State complete
expect_hdr "GET $N1" Upload-Offset 12
expect_hdr "GET $N1" Content-Length 12

rq put1again PUT "$W/v1/logs/$N1" --data-binary 'more'
expect_code "PUT of an existing name" 409
expect_hdr "PUT of an existing name" Upload-Offset 12
expect_hdr "PUT of an existing name" Livelog-State complete
rq get1b GET "$R/v1/logs/$N1"
expect_body_file "GET $N1 after the refused PUT" "$SCRATCH/hello"

rq head1w HEAD "$W/v1/logs/$N1"
expect_code "HEAD $N1 (write listener)" 200
expect_hdr "HEAD $N1 (write)" Upload-Offset 12
expect_hdr "HEAD $N1 (write)" Livelog-State complete
rq head1r HEAD "$R/v1/logs/$N1"
expect_code "HEAD $N1 (read listener, public)" 200
expect_hdr "HEAD $N1 (read)" Upload-Offset 12
expect_hdr "HEAD $N1 (read)" Livelog-State complete

# Empty body: a complete empty stream.
rq putempty PUT "$W/v1/logs/public/logs/empty.log" --data-binary ''
expect_code "PUT empty body" 201
expect_hdr "PUT empty body" Upload-Offset 0
expect_hdr "PUT empty body" Livelog-State complete

# ---- Upload-Complete: ?0 and PATCH -----------------------------------------
N2=public/logs/patched.log
printf 'line 1\n' >"$SCRATCH/p.all"
rq put2 PUT "$W/v1/logs/$N2" -H 'Upload-Complete: ?0' --data-binary 'line 1
'
expect_code "PUT ?0" 201
expect_hdr "PUT ?0" Upload-Offset 7
expect_hdr "PUT ?0" Livelog-State live
rq put2again PUT "$W/v1/logs/$N2" --data-binary 'again'
expect_code "PUT of an existing live name" 409
expect_hdr "PUT of an existing live name" Upload-Offset 7
expect_hdr "PUT of an existing live name" Livelog-State live
grep -qi patch "$B" || fail "PUT 409 of a live stream: the body should say to resume with PATCH: $(cat "$B")"
rq head2 HEAD "$W/v1/logs/$N2"
expect_hdr "HEAD after PUT ?0" Livelog-State live
expect_hdr "HEAD after PUT ?0" Upload-Offset 7
rq get2 GET "$R/v1/logs/$N2?follow=0"
expect_code "GET ?follow=0 of a live stream" 200
expect_body_file "GET ?follow=0 (7 bytes)" "$SCRATCH/p.all"
expect_hdr "GET ?follow=0" Content-Length 7
expect_hdr "GET ?follow=0" Livelog-State live

# A follower started now must see everything and end when the stream does.
"${CURLT[@]}" -o "$SCRATCH/follow2.body" -D "$SCRATCH/follow2.hdr" \
  -w '%{http_code}' "$R/v1/logs/$N2" >"$SCRATCH/follow2.code" &
FOLLOW=$!

rq patch2 PATCH "$W/v1/logs/$N2" -H 'Upload-Offset: 7' -H 'Upload-Complete: ?0' --data-binary 'line 2
'
printf 'line 2\n' >>"$SCRATCH/p.all"
expect_code "PATCH at the committed length, ?0" 204
expect_hdr "PATCH ?0" Upload-Offset 14
expect_hdr "PATCH ?0" Livelog-State live

for off in 7 0 13 15 1000; do
  rq patchbad PATCH "$W/v1/logs/$N2" -H "Upload-Offset: $off" --data-binary 'XXXX'
  expect_code "PATCH at offset $off of a 14-byte stream" 409
  expect_hdr "PATCH at offset $off" Upload-Offset 14
done
for bad in "" "abc" "-1" "+14" "14x" "1e3" "99999999999999999999999"; do
  rq patch400 PATCH "$W/v1/logs/$N2" -H "Upload-Offset: $bad" --data-binary 'XXXX'
  expect_code "PATCH with Upload-Offset '$bad'" 400
done
rq patchnone PATCH "$W/v1/logs/$N2" --data-binary 'XXXX'
expect_code "PATCH without Upload-Offset" 400
for uc in '?2' 'yes' '1' '?1x' '0'; do
  rq patchuc PATCH "$W/v1/logs/$N2" -H 'Upload-Offset: 14' -H "Upload-Complete: $uc" --data-binary 'XXXX'
  expect_code "PATCH with Upload-Complete '$uc'" 400
  rq putuc PUT "$W/v1/logs/public/logs/uc-bad.log" -H "Upload-Complete: $uc" --data-binary 'XXXX'
  expect_code "PUT with Upload-Complete '$uc'" 400
done
rq head2b HEAD "$W/v1/logs/$N2"
expect_hdr "HEAD after the refused PATCHes" Upload-Offset 14
expect_hdr "HEAD after the refused PATCHes" Livelog-State live
rq get2b GET "$R/v1/logs/$N2?follow=0"
expect_body_file "nothing appended by refused PATCHes" "$SCRATCH/p.all"

rq patchmissing PATCH "$W/v1/logs/public/logs/nobody.log" -H 'Upload-Offset: 0' --data-binary 'x'
expect_code "PATCH of a missing stream" 404

# The completing PATCH (no Upload-Complete header).
rq patch2c PATCH "$W/v1/logs/$N2" -H 'Upload-Offset: 14' --data-binary 'last
'
printf 'last\n' >>"$SCRATCH/p.all"
expect_code "completing PATCH" 204
expect_hdr "completing PATCH" Upload-Offset 19
expect_hdr "completing PATCH" Livelog-State complete
rq patch2after PATCH "$W/v1/logs/$N2" -H 'Upload-Offset: 19' --data-binary 'x'
expect_code "PATCH of a complete stream" 409
expect_hdr "PATCH of a complete stream" Upload-Offset 19
expect_hdr "PATCH of a complete stream" Livelog-State complete

# The follower ended by itself with every byte.
for ((i = 0; i < 500; i++)); do
  alive "$FOLLOW" || break
  sleep 0.01
done
if alive "$FOLLOW"; then
  fail "a follower of $N2 did not end within 5 s of the stream completing"
  kill "$FOLLOW"
fi
wait "$FOLLOW"
expect_eq "follower of $N2: status" "$(cat "$SCRATCH/follow2.code")" 200
if ! cmp -s "$SCRATCH/follow2.body" "$SCRATCH/p.all"; then
  fail "follower of $N2 got '$(cat "$SCRATCH/follow2.body")', want '$(cat "$SCRATCH/p.all")'"
fi

# Upload-Complete: ?1 on a PATCH completes explicitly.
rq put3 PUT "$W/v1/logs/public/logs/uc1.log" -H 'Upload-Complete: ?0' --data-binary 'a'
rq patch3 PATCH "$W/v1/logs/public/logs/uc1.log" -H 'Upload-Offset: 1' -H 'Upload-Complete: ?1' --data-binary 'b'
expect_code "PATCH Upload-Complete: ?1" 204
expect_hdr "PATCH Upload-Complete: ?1" Livelog-State complete
expect_hdr "PATCH Upload-Complete: ?1" Upload-Offset 2
# An empty completing PATCH completes a live stream without bytes.
rq put4 PUT "$W/v1/logs/public/logs/emptypatch.log" -H 'Upload-Complete: ?0' --data-binary 'abc'
rq patch4 PATCH "$W/v1/logs/public/logs/emptypatch.log" -H 'Upload-Offset: 3' --data-binary ''
expect_code "empty completing PATCH" 204
expect_hdr "empty completing PATCH" Livelog-State complete
expect_hdr "empty completing PATCH" Upload-Offset 3

# ---- Repr-Digest ----------------------------------------------------------
printf 'first part\nsecond part\n' >"$SCRATCH/digest.all"
GOOD=$(sha_b64 "$SCRATCH/digest.all")
rq dput PUT "$W/v1/logs/public/logs/digest-ok.log" -H 'Upload-Complete: ?0' --data-binary 'first part
'
rq dpatch PATCH "$W/v1/logs/public/logs/digest-ok.log" -H 'Upload-Offset: 11' \
  -H "Repr-Digest: sha-256=:$GOOD:" --data-binary 'second part
'
expect_code "completing PATCH with a matching Repr-Digest" 204
expect_hdr "Repr-Digest match" Livelog-State complete
rq dput1 PUT "$W/v1/logs/public/logs/digest-put.log" -H "Repr-Digest: sha-256=:$GOOD:" \
  --data-binary @"$SCRATCH/digest.all"
expect_code "PUT with a matching Repr-Digest" 201
expect_hdr "PUT with a matching Repr-Digest" Livelog-State complete

BAD=$(printf 'not this' | python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())')
rq dbad PUT "$W/v1/logs/public/logs/digest-bad.log" -H "Repr-Digest: sha-256=:$BAD:" \
  --data-binary @"$SCRATCH/digest.all"
expect_code "PUT with a mismatching Repr-Digest" 400
expect_body_prefix "Repr-Digest mismatch" "Repr-Digest does not match"
rq dbadh HEAD "$W/v1/logs/public/logs/digest-bad.log"
expect_hdr "after a Repr-Digest mismatch" Livelog-State interrupted
expect_hdr "after a Repr-Digest mismatch" Upload-Offset 23
rq dbadg GET "$R/v1/logs/public/logs/digest-bad.log?follow=0"
expect_body_file "bytes kept after a Repr-Digest mismatch" "$SCRATCH/digest.all"
# It can still be completed with a PATCH at its length (empty body, right digest).
rq dbadfix PATCH "$W/v1/logs/public/logs/digest-bad.log" -H 'Upload-Offset: 23' \
  -H "Repr-Digest: sha-256=:$GOOD:" --data-binary ''
expect_code "completing PATCH of the interrupted stream, right digest" 204
expect_hdr "completing PATCH after the mismatch" Livelog-State complete
# A mismatching digest on a completing PATCH.
rq dput2 PUT "$W/v1/logs/public/logs/digest-bad2.log" -H 'Upload-Complete: ?0' --data-binary 'first part
'
rq dpatch2 PATCH "$W/v1/logs/public/logs/digest-bad2.log" -H 'Upload-Offset: 11' \
  -H "Repr-Digest: sha-256=:$BAD:" --data-binary 'second part
'
expect_code "completing PATCH with a mismatching Repr-Digest" 400
expect_body_prefix "PATCH Repr-Digest mismatch" "Repr-Digest does not match"
rq dpatch2h HEAD "$W/v1/logs/public/logs/digest-bad2.log"
expect_hdr "after a PATCH Repr-Digest mismatch" Livelog-State interrupted
# Other algorithms are ignored.
rq dother PUT "$W/v1/logs/public/logs/digest-other.log" \
  -H 'Repr-Digest: sha-512=:AAAA:' --data-binary 'x'
expect_code "PUT with a sha-512 Repr-Digest (ignored)" 201
expect_hdr "sha-512 ignored" Livelog-State complete

# ---- ?tail=N ----------------------------------------------------------------
printf 'l1\nl2\nl3\nl4\nl5\n' >"$SCRATCH/lines"
rq tput PUT "$W/v1/logs/public/logs/lines.log" --data-binary @"$SCRATCH/lines"
rq tail2 GET "$R/v1/logs/public/logs/lines.log?tail=2"
expect_code "?tail=2 (complete)" 206
expect_eq "?tail=2 body" "$(cat "$B")" "$(printf 'l4\nl5')"
expect_hdr "?tail=2" Content-Range "bytes 9-14/15"
rq tail9 GET "$R/v1/logs/public/logs/lines.log?tail=9"
expect_code "?tail=9 of 5 lines" 206
expect_body_file "?tail=9 is the whole log" "$SCRATCH/lines"
expect_hdr "?tail=9" Content-Range "bytes 0-14/15"
# A last line without its newline is a line.
rq tputp PUT "$W/v1/logs/public/logs/partial.log" --data-binary "$(printf 'a\nbb\nccc')"
rq tailp GET "$R/v1/logs/public/logs/partial.log?tail=1"
expect_code "?tail=1 with a partial last line" 206
expect_eq "?tail=1 partial body" "$(cat "$B")" "ccc"
expect_hdr "?tail=1 partial" Content-Range "bytes 5-7/8"
# Live: follows from the N-th last line, Content-Range a-<2^53-1>/*.
rq tlive PUT "$W/v1/logs/public/logs/lines-live.log" -H 'Upload-Complete: ?0' --data-binary @"$SCRATCH/lines"
"${CURLT[@]}" -o "$SCRATCH/tlf.body" -D "$SCRATCH/tlf.hdr" -w '%{http_code}' \
  "$R/v1/logs/public/logs/lines-live.log?tail=2" >"$SCRATCH/tlf.code" &
TLF=$!
for ((i = 0; i < 500; i++)); do
  [ -s "$SCRATCH/tlf.hdr" ] && break
  sleep 0.01
done
rq tlivep PATCH "$W/v1/logs/public/logs/lines-live.log" -H 'Upload-Offset: 15' --data-binary 'l6
'
for ((i = 0; i < 500; i++)); do
  alive "$TLF" || break
  sleep 0.01
done
alive "$TLF" && {
  fail "?tail=2 follower did not end after the stream completed"
  kill "$TLF"
}
wait "$TLF"
expect_eq "?tail=2 live: status" "$(cat "$SCRATCH/tlf.code")" 206
expect_eq "?tail=2 live: body" "$(cat "$SCRATCH/tlf.body")" "$(printf 'l4\nl5\nl6')"
expect_eq "?tail=2 live: Content-Range" "$(header "$SCRATCH/tlf.hdr" Content-Range)" \
  "bytes 9-9007199254740991/*"

# ---- GET before PUT --------------------------------------------------------
"${CURLT[@]}" -o "$SCRATCH/early.body" -w '%{http_code}' \
  "$R/v1/logs/public/logs/early.log" >"$SCRATCH/early.code" &
EARLY=$!
sleep 0.3
alive "$EARLY" || fail "a GET before the PUT should wait for the writer"
rq earlyput PUT "$W/v1/logs/public/logs/early.log" --data-binary 'early bird
'
for ((i = 0; i < 500; i++)); do
  alive "$EARLY" || break
  sleep 0.01
done
alive "$EARLY" && {
  fail "the early GET did not end"
  kill "$EARLY"
}
wait "$EARLY"
expect_eq "early GET: status" "$(cat "$SCRATCH/early.code")" 200
expect_eq "early GET: body" "$(cat "$SCRATCH/early.body")" "early bird"
# Nobody comes: 404 after --writer-wait (2 s).
t0=$(date +%s%N)
rq nobody GET "$R/v1/logs/public/logs/never.log"
t1=$(date +%s%N)
expect_code "GET of a name nobody writes, after --writer-wait" 404
ms=$(((t1 - t0) / 1000000))
if [ "$ms" -lt 1500 ] || [ "$ms" -gt 8000 ]; then
  fail "GET of a missing name answered after $ms ms; --writer-wait is 2 s"
fi

# ---- private and public ----------------------------------------------------
rq privput PUT "$W/v1/logs/task/abc/private/live.log" --data-binary 'secret stuff
'
expect_code "PUT of a private stream" 201
rq priv401 GET "$R/v1/logs/task/abc/private/live.log"
expect_code "GET of a private stream without credentials" 401
expect_hdr "401" WWW-Authenticate 'Bearer realm="livelog"'
cp "$B" "$SCRATCH/401.existing"
rq priv401m GET "$R/v1/logs/task/abc/private/missing.log"
expect_code "GET of a missing private stream without credentials" 401
expect_hdr "401 (missing)" WWW-Authenticate 'Bearer realm="livelog"'
cmp -s "$B" "$SCRATCH/401.existing" ||
  fail "401 bodies differ for an existing and a missing private stream"
rq priv401w GET "$R/v1/logs/task/abc/private/live.log" -H 'Authorization: Bearer wrong-token'
expect_code "GET of a private stream with a wrong token" 401
expect_hdr "401 (bad token)" WWW-Authenticate 'Bearer realm="livelog", error="invalid_token"'
cp "$B" "$SCRATCH/401w.existing"
rq priv401wm GET "$R/v1/logs/task/abc/private/missing.log" -H 'Authorization: Bearer wrong-token'
cmp -s "$B" "$SCRATCH/401w.existing" ||
  fail "401 bodies differ for a wrong token on an existing and a missing stream"
rq priv401b GET "$R/v1/logs/task/abc/private/live.log" -H "Authorization: Basic $TOKEN"
expect_code "GET of a private stream with the token as Basic" 401
rq privh HEAD "$R/v1/logs/task/abc/private/live.log"
expect_code "HEAD of a private stream on the read listener without credentials" 401
rq privok GET "$R/v1/logs/task/abc/private/live.log" "${AUTH[@]}"
expect_code "GET of a private stream with the read token" 200
expect_eq "private body" "$(cat "$B")" "secret stuff"
rq privhok HEAD "$R/v1/logs/task/abc/private/live.log" "${AUTH[@]}"
expect_code "HEAD of a private stream with the read token" 200
expect_hdr "HEAD private" Upload-Offset 13
# the clients: livelog tail with the PUT's signed URL, and with --token
READ_URL=$(header "$SCRATCH/privput.hdr" Livelog-Read-URL)
expect_eq "livelog tail of the Livelog-Read-URL" \
  "$(timeout 20 "$LIVELOG" tail "$R$READ_URL" 2>/dev/null)" "secret stuff"
expect_eq "livelog tail --token" \
  "$(timeout 20 "$LIVELOG" tail --token "$TOKEN" "$R/v1/logs/task/abc/private/live.log" 2>/dev/null)" \
  "secret stuff"

# Which names are public: (name, public?)
i=0
while read -r name pub; do
  i=$((i + 1))
  rq "pp$i" PUT "$W/v1/logs/$name" --data-binary "$name"
  expect_code "PUT $name" 201
  rq "pg$i" GET "$R/v1/logs/$name"
  if [ "$pub" = yes ]; then
    expect_code "GET of $name (public) without credentials" 200
  else
    expect_code "GET of $name (private) without credentials" 401
  fi
done <<'EOF'
public/logs/live.log yes
task/abc/run/0/public/logs/live.log yes
public/x yes
a/public/b/c yes
public no
task/abc/public no
publicity/logs/x no
Public/logs/x no
xpublic/logs/x no
task/public-logs/x no
EOF

# ---- listing ---------------------------------------------------------------
rq list GET "$R/v1/logs?prefix=public/"
expect_code "listing" 200
python3 - "$B" <<'EOF' || fail "listing ?prefix=public/ (see above)"
import json, re, sys
d = json.load(open(sys.argv[1]))
names = [e["name"] for e in d["logs"]]
assert names == sorted(names), "not sorted: %r" % names
assert all(n.startswith("public/") for n in names), names
assert "public/logs/one.log" in names and "public/x" in names, names
assert d["truncated"] is False, d["truncated"]
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
for e in d["logs"]:
    assert set(e) >= {"name", "state", "length", "public", "created", "completed"}, e
    assert e["public"] is True, e
    assert isinstance(e["length"], int), e
    assert ts.match(e["created"]), e
    if e["state"] == "complete":
        assert ts.match(e["completed"]), e
    else:
        assert e["completed"] is None, e
one = [e for e in d["logs"] if e["name"] == "public/logs/one.log"][0]
assert one["length"] == 12 and one["state"] == "complete", one
EOF
rq listall GET "$R/v1/logs?prefix=task/"
python3 - "$B" <<'EOF' || fail "listing without credentials must not show private streams"
import json, sys
d = json.load(open(sys.argv[1]))
names = [e["name"] for e in d["logs"]]
assert "task/abc/run/0/public/logs/live.log" in names, names
assert "task/abc/private/live.log" not in names, names
assert "task/abc/public" not in names, names
EOF
rq listauth GET "$R/v1/logs?prefix=task/" "${AUTH[@]}"
python3 - "$B" <<'EOF' || fail "listing with the read token must show private streams"
import json, sys
d = json.load(open(sys.argv[1]))
by = {e["name"]: e for e in d["logs"]}
assert "task/abc/private/live.log" in by, list(by)
assert by["task/abc/private/live.log"]["public"] is False
assert by["task/abc/run/0/public/logs/live.log"]["public"] is True
EOF
rq listlim GET "$R/v1/logs?prefix=public/logs/&limit=2"
expect_code "listing with limit=2" 200
python3 - "$B" <<'EOF' || fail "listing ?limit=2"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["logs"]) == 2, d
assert d["truncated"] is True, d
names = [e["name"] for e in d["logs"]]
assert names == sorted(names)
EOF
rq listnone GET "$R/v1/logs?prefix=zzz/"
expect_code "listing of an empty prefix" 200
python3 - "$B" <<'EOF' || fail "empty listing"
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"logs": [], "truncated": False}, d
EOF

# ---- DELETE ----------------------------------------------------------------
rq del1 DELETE "$W/v1/logs/public/logs/empty.log"
expect_code "DELETE of a complete stream" 204
rq del1h HEAD "$W/v1/logs/public/logs/empty.log"
expect_code "HEAD of a deleted stream" 404
rq del1again DELETE "$W/v1/logs/public/logs/empty.log"
expect_code "DELETE of a deleted stream" 404
rq delmissing DELETE "$W/v1/logs/public/logs/never-there.log"
expect_code "DELETE of a missing stream" 404
# A live stream with a follower: 204 and the follower's response ends.
rq dlput PUT "$W/v1/logs/public/logs/del-live.log" -H 'Upload-Complete: ?0' --data-binary 'x'
# (how the response ends is not pinned: a clean end or a cut are both
# "ended"; the test only needs it to end)
"${CURLT[@]}" -o /dev/null "$R/v1/logs/public/logs/del-live.log" 2>/dev/null &
DF=$!
sleep 0.2
rq dlive DELETE "$W/v1/logs/public/logs/del-live.log"
expect_code "DELETE of a live stream" 204
for ((i = 0; i < 500; i++)); do
  alive "$DF" || break
  sleep 0.01
done
if alive "$DF"; then
  fail "a follower of a deleted stream still runs 5 s after the DELETE"
  kill "$DF"
fi
wait "$DF"
# While a writer is appending: 409. The writer is a curl whose stdin we hold.
mkfifo "$SCRATCH/wfifo"
"${CURLT[@]}" -o /dev/null -w '%{http_code}' -T - \
  "$W/v1/logs/public/logs/del-busy.log" <"$SCRATCH/wfifo" >"$SCRATCH/busy.code" &
BUSY=$!
exec 7>"$SCRATCH/wfifo"
printf 'busy writer\n' >&7
for ((i = 0; i < 500; i++)); do
  rq busyh HEAD "$W/v1/logs/public/logs/del-busy.log"
  [ "$(header "$H" Upload-Offset)" = 12 ] && break
  sleep 0.01
done
rq dbusy DELETE "$W/v1/logs/public/logs/del-busy.log"
expect_code "DELETE while a writer is appending" 409
rq pbusy PATCH "$W/v1/logs/public/logs/del-busy.log" -H 'Upload-Offset: 12' --data-binary 'x'
expect_code "PATCH while another writer is appending" 409
expect_hdr "PATCH while another writer is appending" Upload-Offset 12
exec 7>&-
wait "$BUSY"
expect_eq "busy writer status" "$(cat "$SCRATCH/busy.code")" 201
rq busyg GET "$R/v1/logs/public/logs/del-busy.log"
expect_eq "busy writer's bytes" "$(cat "$B")" "busy writer"

# ---- names -----------------------------------------------------------------
# (path after /v1/logs/, message prefix)
P_EMPTY='invalid log name: the name is empty'
P_LONG='invalid log name: longer than 1024 bytes'
P_SEG="invalid log name: empty segment (leading, trailing or doubled '/')"
P_DOT="invalid log name: '.' and '..' segments are not allowed"
P_BYTE='invalid log name: byte 0x'
i=0
while IFS='|' read -r path prefix; do
  i=$((i + 1))
  case $prefix in
  EMPTY) want=$P_EMPTY ;;
  SEG) want=$P_SEG ;;
  DOT) want=$P_DOT ;;
  BYTE*) want="$P_BYTE${prefix#BYTE} at position " ;;
  esac
  rq "name$i" PUT "$W/v1/logs/$path" --data-binary 'x'
  expect_code "PUT /v1/logs/$path" 400
  got=$(head -c ${#want} "$B")
  # hex digits of the byte may be upper or lower case
  if [ "${got,,}" != "${want,,}" ]; then
    fail "PUT /v1/logs/$path: message should start with '$want', got '$(head -c 200 "$B")'"
  fi
done <<'EOF'
|EMPTY
a//b|SEG
/a|SEG
a/|SEG
a/b/|SEG
.|DOT
..|DOT
a/./b|DOT
a/../b|DOT
a/..|DOT
%2e%2e/x|DOT
a%2F..%2Fb|DOT
a%2f%2fb|SEG
a%20b|BYTE20
a%00b|BYTE25
a%zzb|BYTE25
a%2|BYTE25
a%|BYTE25
a%C3%A9|BYTEc3
a:b|BYTE3a
EOF
# The byte rule's position: 'a%20b' has the bad byte at index 1 (0-based)
# or 2 (1-based); either way the message ends with the allowed set.
rq namepos PUT "$W/v1/logs/ab%20" --data-binary 'x'
grep -q 'is not allowed (use A-Z a-z 0-9 . _ ~ - and /)' "$B" ||
  fail "byte rule message should end with the allowed set: $(cat "$B")"
# Allowed names.
i=0
for path in 'a' 'A-Z_a.z~0-9' '...' 'a/.hidden' 'x/..y/z' 'public/logs/x%2Fy' \
  "public/logs/$(printf 'z%.0s' {1..200})"; do
  i=$((i + 1))
  rq "okname$i" PUT "$W/v1/logs/$path" --data-binary "$path"
  expect_code "PUT /v1/logs/$path (valid name)" 201
done
rq slash GET "$R/v1/logs/public/logs/x/y"
expect_code "%2F decoded: public/logs/x%2Fy is public/logs/x/y" 200
expect_eq "%2F decoded body" "$(cat "$B")" 'public/logs/x%2Fy'
rq slash2 PUT "$W/v1/logs/public/logs/x/y" --data-binary 'again'
expect_code "PUT of public/logs/x/y after public/logs/x%2Fy" 409
# 1024 and 1025 bytes: one long segment and many short ones.
L1024=$(python3 -c 'print("public/" + "a" * 1017)')
L1025=$(python3 -c 'print("public/" + "a" * 1018)')
S1024=$(python3 -c 'print("public/" + "/".join(["abcdefg"] * 128)[:1017])')
S1025=$(python3 -c 'print("public/" + "/".join(["abcdefg"] * 128)[:1017] + "h")')
rq n1024 PUT "$W/v1/logs/$L1024" --data-binary 'long'
expect_code "PUT of a 1024-byte name (one 1017-byte segment)" 201
rq n1024g GET "$R/v1/logs/$L1024"
expect_code "GET of the 1024-byte name" 200
expect_eq "1024-byte name body" "$(cat "$B")" long
rq n1025 PUT "$W/v1/logs/$L1025" --data-binary 'long'
expect_code "PUT of a 1025-byte name" 400
expect_body_prefix "1025-byte name" "$P_LONG"
rq s1024 PUT "$W/v1/logs/$S1024" --data-binary 'segments'
expect_code "PUT of a 1024-byte name of 8-byte segments" 201
rq s1025 PUT "$W/v1/logs/$S1025" --data-binary 'segments'
expect_code "PUT of a 1025-byte name of segments" 400
expect_body_prefix "1025-byte name of segments" "$P_LONG"
# The limit is on the decoded name: 1024 bytes written with %2F escapes.
E=$(python3 -c 'import sys; print(sys.argv[1].replace("/", "%2F"))' "$S1024")
rq e1024 PUT "$W/v1/logs/$E" --data-binary 'x'
expect_code "PUT of the decoded-1024-byte name written with %2F (exists)" 409
# Name rules on the read listener and the other methods too.
rq rbad GET "$R/v1/logs/a//b"
expect_code "GET of a bad name" 400
expect_body_prefix "GET of a bad name" "$P_SEG"
rq hbad PATCH "$W/v1/logs/a/../b" -H 'Upload-Offset: 0' --data-binary 'x'
expect_code "PATCH of a bad name" 400
rq dbad DELETE "$W/v1/logs/a%00b"
expect_code "DELETE of a bad name" 400

stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY"

# ---- a server without --key-dir: private streams cannot be read -----------
start notoken -- serve --data-dir "$SCRATCH/notoken.data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 --writer-wait 1 ||
  finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET
rq ntput PUT "$W/v1/logs/task/1/live.log" --data-binary 'private'
expect_code "PUT of a private stream (no keys configured)" 201
for auth in "" "Authorization: Bearer " "Authorization: Bearer x" \
  "Authorization: Bearer $TOKEN"; do
  if [ -n "$auth" ]; then
    rq ntget GET "$R/v1/logs/task/1/live.log" -H "$auth"
  else
    rq ntget GET "$R/v1/logs/task/1/live.log"
  fi
  expect_code "GET private, no --key-dir configured, '$auth'" 401
done
rq ntlistx GET "$R/v1/logs?prefix=" -H "Authorization: Bearer x"
expect_code "listing with a token no key can verify" 401
rq ntlist GET "$R/v1/logs?prefix="
python3 - "$B" <<'EOF' || fail "listing without keys configured shows a private stream"
import json, sys
d = json.load(open(sys.argv[1]))
assert [e["name"] for e in d["logs"]] == [], d
EOF
rq ntpub PUT "$W/v1/logs/public/logs/a" --data-binary 'pub'
rq ntpubg GET "$R/v1/logs/public/logs/a"
expect_code "GET public, no keys configured" 200
stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY"

# ---- retention: a completed stream goes after --retention; a live one stays
start retention -- serve --data-dir "$SCRATCH/retention.data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 --writer-wait 0 \
  --retention 2 ||
  finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET
rq retdone PUT "$W/v1/logs/public/ret/done" --data-binary 'finished'
expect_code "PUT of a stream that completes" 201
rq retlive PUT "$W/v1/logs/public/ret/live" --data-binary 'going' \
  -H 'Upload-Complete: ?0'
expect_code "PUT of a stream that stays live" 201
rq retnow GET "$R/v1/logs/public/ret/done"
expect_code "GET right after completion (retention 2 s)" 200
gone=no
for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.1 s
  code=$(curl -s -o /dev/null -w '%{http_code}' "$R/v1/logs/public/ret/done")
  if [ "$code" = 404 ]; then
    gone=yes
    break
  fi
  sleep 0.1
done
expect_eq "completed stream deleted within 10 s of a 2 s retention" "$gone" yes
rq retlive2 HEAD "$W/v1/logs/public/ret/live"
expect_code "a live stream is never deleted by retention" 200
grep -q '"msg":"stream deleted after its retention"' "$LOG" ||
  fail "no 'stream deleted after its retention' line in the server log"
stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY"

# ---- DELETE while followers are attached: they end, the server goes on
start delfollow -- serve --data-dir "$SCRATCH/delfollow.data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 --writer-wait 5 ||
  finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET
rq dfput PUT "$W/v1/logs/public/df/x" --data-binary 'first part' \
  -H 'Upload-Complete: ?0'
expect_code "PUT of a stream that stays live" 201
pids=()
for i in 1 2 3; do
  curl -s -o "$SCRATCH/df.$i" --max-time 20 "$R/v1/logs/public/df/x" &
  pids+=($!)
done
for ((i = 0; i < 100; i++)); do # bounded: until all three have the bytes
  n=$(cat "$SCRATCH"/df.[123] 2>/dev/null | wc -c)
  [ "$n" -ge 30 ] && break
  sleep 0.05
done
rq dfdel DELETE "$W/v1/logs/public/df/x"
expect_code "DELETE of a stream with three followers" 204
for p in "${pids[@]}"; do
  wait "$p"
  rc=$?
  [ "$rc" -eq 28 ] && fail "a follower was still attached 20 s after DELETE"
done
rq dfhz GET "$R/healthz"
expect_code "the server answers after a DELETE under followers" 200
rq dfgone GET "$R/v1/logs/public/df/x?follow=0" --max-time 10
expect_code "the deleted stream is gone (after --writer-wait)" 404
stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY"

# ---- --over-limit=keep-tail: head + one marker line + tail, disk bounded
start keeptail -- serve --data-dir "$SCRATCH/keeptail.data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 --writer-wait 5 \
  --max-stream-bytes 256K --over-limit keep-tail ||
  finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET
seq 1 200000 >"$SCRATCH/kt.in" # 1,288,895 bytes, five times the cap
curl -s -o "$SCRATCH/kt.follow" "$R/v1/logs/public/kt" &
follower=$!
rq ktput PUT "$W/v1/logs/public/kt" --data-binary "@$SCRATCH/kt.in"
expect_code "PUT of a log five times --max-stream-bytes (keep-tail)" 201
wait "$follower" || fail "the follower of the keep-tail log did not end cleanly"
rq kthead HEAD "$W/v1/logs/public/kt"
expect_hdr "Upload-Offset counts every byte received" Upload-Offset 1288895
elided=$(header "$H" Livelog-Elided)
case "$elided" in
"bytes 131072-"*) ;;
*) fail "Livelog-Elided should start at the 128 KiB head: '$elided'" ;;
esac
rq ktget GET "$R/v1/logs/public/kt"
expect_code "GET of the complete keep-tail log" 200
python3 - "$SCRATCH/kt.in" "$B" "$SCRATCH/kt.follow" "$elided" <<'PY' ||
import re, sys
data = open(sys.argv[1], "rb").read()
view = open(sys.argv[2], "rb").read()
follow = open(sys.argv[3], "rb").read()
head, end = (int(x) for x in re.match(r"bytes (\d+)-(\d+)$", sys.argv[4]).groups())
end += 1
marker = re.compile(rb"\n\[livelog: bytes (\d+)-(\d+) elided \((\d+) bytes\)[^\n]*\]\n")
ms = list(marker.finditer(view))
assert len(ms) == 1, "the complete view has %d marker lines" % len(ms)
m = ms[0]
assert (int(m.group(1)), int(m.group(2)) + 1) == (head, end), m.groups()
assert int(m.group(3)) == end - head, m.groups()
assert view[: m.start()] == data[:head], "head differs"
assert view[m.end():] == data[end:], "tail differs"
assert len(data) - end <= 128 * 1024, "more than the 128 KiB tail is kept"
assert head + (len(data) - end) <= 256 * 1024, "kept bytes exceed the cap"
# The follower saw the head, then marker(s) for what it fell behind on,
# and the very end: every byte it got that is not a marker is the log's.
assert follow[:head] == data[:head], "follower head differs"
assert follow.endswith(data[-64 * 1024:]), "follower tail differs"
pos, log = 0, 0
for mm in marker.finditer(follow):
    chunk = follow[pos:mm.start()]
    assert data[log:log + len(chunk)] == chunk, "follower bytes differ"
    assert int(mm.group(1)) == head and log + len(chunk) < int(mm.group(2)) + 1
    log = int(mm.group(2)) + 1  # the follower resumes where the elision ends
    pos = mm.end()
assert data[log:] == follow[pos:], "follower's last part differs"
PY
  fail "keep-tail view or follower content is wrong"
rq ktrange GET "$R/v1/logs/public/kt" -r 131000-131099
expect_code "a Range across the marker of a complete keep-tail log" 206
rq kttail GET "$R/v1/logs/public/kt?tail=2"
printf '199999\n200000\n' >"$SCRATCH/kt.tail2"
expect_body_file "?tail=2 of the keep-tail log" "$SCRATCH/kt.tail2"
rq kttail0 GET "$R/v1/logs/public/kt?tail=0"
expect_code "?tail=0 of a complete log (no bytes: unsatisfiable)" 416
rq ktlist GET "$R/v1/logs?prefix=public/kt"
python3 - "$B" <<'PY' || fail "the listing does not report the elided range"
import json, sys
e = json.load(open(sys.argv[1]))["logs"][0]
assert e["elided"]["from"] == 131072 and e["elided"]["to"] > 131072, e
PY
dsize=$(du -k "$SCRATCH"/keeptail.data/streams/*/*/data | cut -f1)
[ "$dsize" -le 512 ] ||
  fail "the keep-tail data file uses ${dsize} KiB of disk (cap 256 KiB)"
stop
check_log "$LOG" --secret="$TOKEN" --secret="$KEY"

finish
