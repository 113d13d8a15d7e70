#!/usr/bin/env bash
# valgrind_run.sh DIR CMD...: runs one integration test whose `livelog`
# is DIR/livelog (a generated wrapper that runs it under valgrind memcheck
# with its logs in DIR/memcheck-PID.log), then fails when any of those
# logs is not empty: with --quiet, memcheck writes only errors (invalid
# reads and writes, uninitialised values, definitely-lost blocks). Prints
# how many `livelog` processes ran under memcheck, so a test that never
# used the wrapper cannot pass unnoticed.
set -uo pipefail
dir=${1:?usage: valgrind_run.sh DIR CMD...}
shift
rm -f "$dir"/memcheck-*.log
"$@"
rc=$?
shopt -s nullglob
logs=("$dir"/memcheck-*.log)
if [ "$rc" -eq 0 ] && [ "${#logs[@]}" -eq 0 ]; then
    echo "valgrind_run: no livelog process ran under memcheck" >&2
    exit 1
fi
dirty=0
for f in "${logs[@]}"; do
    if [ -s "$f" ]; then
        dirty=$((dirty + 1))
        echo "---- memcheck found errors: $f ----" >&2
        head -c 20000 "$f" >&2
    fi
done
echo "valgrind_run: ${#logs[@]} livelog process(es) under memcheck, $dirty with errors"
[ "$dirty" -eq 0 ] || exit 1
exit "$rc"
