#!/usr/bin/env bash
# packaging_lintian.sh: Debian's own checker on the Debian package (`make
# deb`: CPack's DEB generator, packaging/CMakeLists.txt) built from this
# build directory: `lintian --fail-on error,warning` passes, so no error
# and no warning tag (the info and pedantic tags it prints are listed in
# docs/OPERATIONS.md, "The Debian package", with why they stay). Also
# what lintian does not compare: the latest entry of
# /usr/share/doc/livelog/changelog.gz is the package's version and names
# the package's Maintainer. Skips (77) only when lintian is not
# installed (scripts/install-deps installs it), or without cpack.
# Run: bash packaging_lintian.sh LIVELOG_BINARY CHECK_SERVER_LOG "" BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=${4:?usage: $0 LIVELOG CHECK VERSION BUILD_DIR}

command -v lintian >/dev/null ||
  { echo "SKIP: lintian not installed (scripts/install-deps installs it)" >&2; exit 77; }
command -v cpack >/dev/null ||
  { echo "SKIP: cpack not installed" >&2; exit 77; }

(cd "$BUILD" && cpack -G DEB -B "$SCRATCH/pkg" >"$SCRATCH/cpack.log" 2>&1) ||
  { fail "cpack: $(tail -n 20 "$SCRATCH/cpack.log")"; finish; }
DEB=$(find "$SCRATCH/pkg" -maxdepth 1 -name 'livelog_*.deb' | head -n 1)
[ -n "$DEB" ] || { fail "no .deb written"; finish; }
note "built $(basename "$DEB")"

# Every tag, info and pedantic included, is printed; only E: and W: fail.
rc=0
lintian --fail-on error,warning --display-info --pedantic --tag-display-limit 0 \
  "$DEB" >"$SCRATCH/lintian.txt" 2>"$SCRATCH/lintian.err" || rc=$?
note "lintian $(lintian --version | awk '{print $2}'): $(grep -c '^[A-Z]: ' "$SCRATCH/lintian.txt") tag(s)"
sed 's/^/    /' "$SCRATCH/lintian.txt" >&2
bad=$(grep -E '^[EW]: ' "$SCRATCH/lintian.txt")
if [ "$rc" -ne 0 ]; then
  fail "lintian --fail-on error,warning exited $rc:
$bad
$(grep -v 'running with root privileges' "$SCRATCH/lintian.err")"
elif [ -n "$bad" ]; then
  fail "lintian exited 0 but printed errors or warnings: $bad"
fi

# The changelog's latest entry: "livelog (VERSION) DIST; urgency=..." and
# its trailer " -- MAINTAINER  DATE".
clog=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/doc/livelog/changelog.gz |
  gzip -dc)
first=$(head -n 1 <<<"$clog")
version=$(dpkg-deb -f "$DEB" Version)
maint=$(dpkg-deb -f "$DEB" Maintainer)
case "$first" in
"livelog ($version) "*) ;;
*) fail "changelog.gz's latest entry is not version $version: '$first'" ;;
esac
trailer=$(grep -m 1 '^ -- ' <<<"$clog")
case "$trailer" in
" -- $maint  "*) ;;
*) fail "changelog.gz's latest trailer does not name '$maint': '$trailer'" ;;
esac
finish
