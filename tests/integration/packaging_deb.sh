#!/usr/bin/env bash
# packaging_deb.sh: the Debian package (`make deb`: CPack's DEB
# generator, packaging/CMakeLists.txt) built from this build directory and
# installed into a clean root with `dpkg --root ROOT
# --force-script-chrootless` (the maintainer scripts run with DPKG_ROOT
# and touch nothing outside ROOT; --force-depends because ROOT holds no
# other package). Checks the files and their modes (man pages and
# changelog gzip -9n, the copyright file, a stripped binary), the livelog
# system user, the data directory, the enabled unit, the conffile; starts
# the installed binary with the installed configuration and data
# directory and does a PUT and a GET; installs again (upgrade path: no
# second user, modes kept); removes (data, configuration and user kept)
# and purges (data and configuration gone). First, `make install`'s rules
# into a DESTDIR with another PREFIX. Skips (77) without dpkg or cpack.
# lintian's verdict on the same package: packaging_lintian.sh.
# Run: bash packaging_deb.sh LIVELOG_BINARY CHECK_SERVER_LOG "" BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=${4:?usage}

command -v dpkg >/dev/null && command -v cpack >/dev/null ||
  { echo "dpkg or cpack not installed" >&2; exit 77; }

# gz_ok FILE.gz PLAIN: FILE.gz is gzip -9n of PLAIN: no file name (FLG 0),
# no time stamp (MTIME 0) and maximum compression (XFL 2) in its header,
# and it decompresses to PLAIN.
gz_ok() {
  local head
  head=$(od -An -tx1 -N9 "$1" | tr -d ' \n')
  [ "$head" = 1f8b08000000000002 ] || fail "$1: not gzip -9n (header $head)"
  gzip -dc "$1" | cmp -s - "$2" || fail "$1: does not decompress to $2"
}

# make install's rules: PREFIX and DESTDIR honoured, units point at PREFIX
DI=$SCRATCH/destdir
DESTDIR=$DI cmake --install "$BUILD" --prefix /opt/ll >"$SCRATCH/install.log" 2>&1 ||
  fail "cmake --install: $(tail -n 5 "$SCRATCH/install.log")"
for f in bin/livelog etc/livelog/livelog.conf lib/systemd/system/livelog.service \
  lib/systemd/system/livelog-forward.service share/man/man1/livelog.1.gz \
  share/man/man5/livelog.conf.5.gz share/man/man8/livelog-serve.8.gz \
  share/man/man8/livelog-forward.8.gz share/bash-completion/completions/livelog \
  share/doc/livelog/copyright share/doc/livelog/changelog.gz; do
  [ -e "$DI/opt/ll/$f" ] || fail "make install: no PREFIX/$f under DESTDIR"
done
for p in man1/livelog.1 man5/livelog.conf.5 man8/livelog-serve.8 \
  man8/livelog-forward.8; do
  [ -e "$DI/opt/ll/share/man/$p" ] && fail "make install: an uncompressed $p"
  gz_ok "$DI/opt/ll/share/man/$p.gz" "$BUILD/packaging/gen/${p#*/}"
done
gz_ok "$DI/opt/ll/share/doc/livelog/changelog.gz" \
  "$(dirname "$0")/../../packaging/debian/changelog"
grep -qx 'ExecStart=/opt/ll/bin/livelog serve' \
  "$DI/opt/ll/lib/systemd/system/livelog.service" ||
  fail "make install: ExecStart= does not follow PREFIX"

(cd "$BUILD" && cpack -G DEB -B "$SCRATCH/pkg" >"$SCRATCH/cpack.log" 2>&1) ||
  { fail "cpack: $(tail -n 20 "$SCRATCH/cpack.log")"; finish; }
DEB=$(ls "$SCRATCH"/pkg/livelog_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { fail "no .deb written"; finish; }
note "built $(basename "$DEB")"

R=$SCRATCH/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
: >"$R/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$R/etc/shadow"
printf 'root:*::\n' >"$R/etc/gshadow"
chmod 600 "$R/etc/shadow" "$R/etc/gshadow"
DPKG=(dpkg --root="$R" --force-script-chrootless --force-depends
  --log="$SCRATCH/dpkg.log")

"${DPKG[@]}" -i "$DEB" >"$SCRATCH/install.log" 2>&1 ||
  { fail "dpkg -i: $(cat "$SCRATCH/install.log")"; finish; }
expect_eq "status" "$(dpkg --root="$R" -s livelog | grep '^Status:')" \
  "Status: install ok installed"
for f in usr/bin/livelog usr/lib/systemd/system/livelog.service \
  usr/lib/systemd/system/livelog-forward.service \
  usr/share/man/man1/livelog.1.gz usr/share/man/man5/livelog.conf.5.gz \
  usr/share/man/man8/livelog-serve.8.gz usr/share/man/man8/livelog-forward.8.gz \
  usr/share/bash-completion/completions/livelog \
  usr/share/doc/livelog/copyright usr/share/doc/livelog/changelog.gz \
  usr/share/doc/livelog/examples/livelog.conf \
  usr/share/doc/livelog/examples/forward.conf etc/livelog/livelog.conf; do
  [ -e "$R/$f" ] || fail "not installed: /$f"
done
gz_ok "$R/usr/share/man/man8/livelog-serve.8.gz" "$BUILD/packaging/gen/livelog-serve.8"
# Debian's modes in the archive whatever the build's umask: 0755 for
# directories and the binary, 0644 for the rest (the conffile too: postinst
# makes it 0640), all root:root
odd=$(dpkg-deb -c "$DEB" | awk '$2 != "root/root" ||
  ($1 != "drwxr-xr-x" && $1 != "-rw-r--r--" && $6 != "./usr/bin/livelog") ||
  ($6 == "./usr/bin/livelog" && $1 != "-rwxr-xr-x")')
[ -z "$odd" ] || fail "unusual modes or owners in the package: $odd"
# stripped: no symbol table, no DWARF, no .comment
if command -v readelf >/dev/null; then
  secs=$(readelf -SW "$R/usr/bin/livelog" | grep -oE '\.(symtab|debug_[a-z]+|comment)\b' |
    sort -u | tr '\n' ' ')
  [ -z "$secs" ] || fail "the packaged binary is not stripped: $secs"
fi
grep -qx 'ExecStart=/usr/bin/livelog serve' "$R/usr/lib/systemd/system/livelog.service" ||
  fail "livelog.service: ExecStart is not /usr/bin/livelog serve"
expect_eq "conffiles" "$(dpkg-deb -f "$DEB" Package) $(dpkg-deb --ctrl-tarfile "$DEB" |
  tar -xO ./conffiles)" "livelog /etc/livelog/livelog.conf"
user=$(grep '^livelog:' "$R/etc/passwd")
uid=$(cut -d: -f3 <<<"$user")
gid=$(grep '^livelog:' "$R/etc/group" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || fail "no livelog system user: '$user'"
expect_eq "user's shell" "$(cut -d: -f7 <<<"$user")" /usr/sbin/nologin
expect_eq "data dir" "$(stat -c '%a %u %g' "$R/var/lib/livelog")" "750 $uid $gid"
expect_eq "/etc/livelog" "$(stat -c '%a %u %g' "$R/etc/livelog")" "750 0 $gid"
expect_eq "livelog.conf" "$(stat -c '%a %u %g' "$R/etc/livelog/livelog.conf")" "640 0 $gid"
[ -L "$R/etc/systemd/system/multi-user.target.wants/livelog.service" ] ||
  fail "livelog.service is not enabled"
[ -e "$R/etc/systemd/system/multi-user.target.wants/livelog-forward.service" ] &&
  fail "livelog-forward.service is enabled without a configuration"

# The installed binary with the installed configuration (every key
# commented out: the defaults) and data directory.
LIVELOG=$R/usr/bin/livelog
start installed -- serve --config "$R/etc/livelog/livelog.conf" \
  --data-dir "$R/var/lib/livelog" --write-addr 127.0.0.1:0 \
  --read-addr 127.0.0.1:0 || finish
curl -s --max-time 5 -T - "http://127.0.0.1:$PUT/v1/logs/pkg/public/a" \
  <<<"from the package" >/dev/null || fail "PUT"
expect_eq "GET" "$(curl -s --max-time 5 "http://127.0.0.1:$GET/v1/logs/pkg/public/a")" \
  "from the package"
stop
check_log "$LOG"
[ -n "$(ls -A "$R/var/lib/livelog")" ] || fail "nothing stored in the data dir"

# again (postinst configure with the old version): one user, data kept
"${DPKG[@]}" -i "$DEB" >"$SCRATCH/reinstall.log" 2>&1 ||
  fail "dpkg -i again: $(cat "$SCRATCH/reinstall.log")"
expect_eq "livelog users after reinstall" "$(grep -c '^livelog:' "$R/etc/passwd")" 1
expect_eq "/etc/livelog after reinstall" "$(stat -c '%a %u %g' "$R/etc/livelog")" "750 0 $gid"
expect_eq "livelog.conf after reinstall" \
  "$(stat -c '%a %u %g' "$R/etc/livelog/livelog.conf")" "640 0 $gid"

# remove: the data, the configuration and the user stay
"${DPKG[@]}" -r livelog >"$SCRATCH/remove.log" 2>&1 ||
  fail "dpkg -r: $(cat "$SCRATCH/remove.log")"
[ -e "$R/usr/bin/livelog" ] && fail "the binary stayed after remove"
[ -n "$(ls -A "$R/var/lib/livelog" 2>/dev/null)" ] || fail "remove deleted the data"
[ -e "$R/etc/livelog/livelog.conf" ] || fail "remove deleted the conffile"
grep -q '^livelog:' "$R/etc/passwd" || fail "remove deleted the user"

# purge: data and configuration go
"${DPKG[@]}" -P livelog >"$SCRATCH/purge.log" 2>&1 ||
  fail "dpkg -P: $(cat "$SCRATCH/purge.log")"
[ -e "$R/var/lib/livelog" ] && fail "purge kept /var/lib/livelog"
[ -e "$R/etc/livelog" ] && fail "purge kept /etc/livelog"
[ -e "$R/etc/systemd/system/multi-user.target.wants/livelog.service" ] &&
  fail "purge kept the enablement symlink"
dpkg --root="$R" -s livelog >/dev/null 2>&1 && fail "still known to dpkg after purge"
finish
