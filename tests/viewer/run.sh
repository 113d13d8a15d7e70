#!/usr/bin/env bash
# run.sh: runs one viewer test (TEST.js) in Debian's chromium. Usage:
#   bash run.sh TEST LIVELOG CHECK_SERVER_LOG ARTIFACT_DIR
# Installs playwright-core from package-lock.json (npm ci) when
# node_modules is missing or older than the lockfile; a failure there
# fails the test. Exits 77 (CTest's skip) only when chromium is missing
# and cannot be installed (no root, no apt-get, or the install failed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
test=${1:?usage: run.sh TEST LIVELOG CHECK_SERVER_LOG ARTIFACT_DIR}
shift
chromium=${LIVELOG_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: $chromium is missing; installing chromium" >&2
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
      --no-install-recommends chromium >&2 || true
  fi
  if [ ! -x "$chromium" ]; then
    echo "run.sh: SKIP: chromium is not installed and cannot be (see scripts/install-deps)" >&2
    exit 77
  fi
fi
if [ ! -e "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  # one npm ci at a time when CTest runs the tests in parallel
  (
    flock 9
    if [ ! -e "$here/node_modules/.package-lock.json" ] ||
       [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
      cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2
    fi
  ) 9>"${TMPDIR:-/tmp}/livelog-viewer-npm-ci.lock" || { echo "run.sh: npm ci failed" >&2; exit 1; }
fi
exec node "$here/$test.js" "$@"
