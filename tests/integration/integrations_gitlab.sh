#!/usr/bin/env bash
# integrations_gitlab.sh: the "GitLab Runner or any CI" recipe of
# docs/INTEGRATIONS.md. The jobs of packaging/examples/gitlab-ci.yml run
# as GitLab Runner's bash shell runs a job's script (shells/bash.go: the
# script under `set -o pipefail` and `set -o errexit`, fed to eval with
# an empty stdin), with the CI_* variables set, `livelog`,
# packaging/examples/livelog-job and a fake `make` on the PATH; a real
# `livelog serve` receives the log. Checked:
#   - the plain pipe (`make test 2>&1 | livelog put NAME`): a reader
#     follows the log while make runs (every line within 1 s), the log is
#     complete and byte for byte make's output (stdout and stderr), none
#     of it in the job's own output; make failing fails the job with
#     make's status (1 without FF_USE_NEW_BASH_EVAL_STRATEGY); livelog put
#     failing (here: the name exists, 409) fails the job too;
#   - livelog-job: the same log, and the output in the job's own output
#     too; the job's status is make's (0 and 5), also when livelog put
#     gives up at once (make is not killed by a SIGPIPE and writes on).
# Run: bash integrations_gitlab.sh LIVELOG CHECK_SERVER_LOG
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/integrations_lib.sh"
need curl python3 tee mkfifo
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
tee -p </dev/null >/dev/null 2>&1 || skip "tee has no -p (GNU coreutils)"
LINES=8
INTERVAL=0.25
doc_includes gitlab-ci.yml
doc_has "packaging/examples/livelog-job"
doc_has "shells/bash.go"

mkdir -p "$SCRATCH/data" "$SCRATCH/bin" "$SCRATCH/build"
start srv -- serve --config /dev/null --data-dir "$SCRATCH/data" \
  --write-addr 127.0.0.1:0 --read-addr 127.0.0.1:0 || finish
W=http://127.0.0.1:$PUT
R=http://127.0.0.1:$GET/v1/logs
ln -s "$LIVELOG" "$SCRATCH/bin/livelog"
cp "$EXAMPLES/livelog-job" "$SCRATCH/bin/"
cat >"$SCRATCH/bin/make" <<'EOF'
#!/usr/bin/env bash
# a `make test` whose output and status the test knows
for ((i = 1; i <= FAKE_LINES; i++)); do
  printf 'make %d %s\n' "$i" "$EPOCHREALTIME"
  [ "$i" -lt "$FAKE_LINES" ] && sleep "$FAKE_INTERVAL"
done
if [ "${FAKE_STATUS:-0}" != 0 ]; then
  echo "make: *** [Makefile:3: test] Error $FAKE_STATUS" >&2
fi
exit "${FAKE_STATUS:-0}"
EOF
chmod +x "$SCRATCH/bin/make"

# job JOB ID STATUS URL [legacy]: runs JOB's script of gitlab-ci.yml as
# GitLab's bash does (shells/bash.go, BashWriter.Finish: `: | eval
# SCRIPT`, or `: | (eval SCRIPT)` with FF_USE_NEW_BASH_EVAL_STRATEGY,
# which the file sets and "legacy" unsets), with CI_JOB_ID=ID, make
# exiting STATUS and LIVELOG_URL=URL (the file's variable, pointed at
# this test's server). Sets JOBRC; the job's output is in
# $SCRATCH/job-ID.out and job-ID.err.
job() {
  local name=$1 id=$2 status=$3 url=$4 legacy=${5:-}
  python3 - "$EXAMPLES/gitlab-ci.yml" "$name" "$legacy" >"$SCRATCH/job-$id.sh" <<'EOF2'
import shlex, sys, yaml
ci = yaml.safe_load(open(sys.argv[1]))
body = "\n".join(ci[sys.argv[2]]["script"])
variables = dict(ci.get("variables", {}))
if sys.argv[3] == "legacy":
    variables.pop("FF_USE_NEW_BASH_EVAL_STRATEGY", None)
print("if set -o | grep pipefail > /dev/null; then set -o pipefail; fi; set -o errexit")
print("set +o noclobber")
for k, v in variables.items():
    print("export %s=%s" % (k, shlex.quote(str(v))))
print('[ -n "${TEST_LIVELOG_URL:-}" ] && export LIVELOG_URL="$TEST_LIVELOG_URL"')
if str(variables.get("FF_USE_NEW_BASH_EVAL_STRATEGY", "")).lower() == "true":
    print(": | (eval %s)" % shlex.quote(body))
else:
    print(": | eval %s" % shlex.quote(body))
print("exit 0")
EOF2
  set +e
  (
    cd "$SCRATCH/build"
    env -i PATH="$SCRATCH/bin:$PATH" HOME="$SCRATCH" TMPDIR="$SCRATCH" \
      ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
      ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
      CI_PROJECT_PATH_SLUG=group-project CI_JOB_ID="$id" \
      FAKE_LINES="$LINES" FAKE_INTERVAL="$INTERVAL" FAKE_STATUS="$status" \
      TEST_LIVELOG_URL="$url" \
      timeout -s KILL 60 bash "$SCRATCH/job-$id.sh" >"$SCRATCH/job-$id.out" \
      2>"$SCRATCH/job-$id.err"
  )
  JOBRC=$?
  set -e
}

# follow ID: a reader of job ID's log, started before the job (it waits
# for the writer). Sets FOLLOWER.
follow() {
  curl -sN --max-time 60 "$R/gitlab/group-project/$1/public/job.log" | stamp \
    >"$SCRATCH/follow-$1.read" &
  FOLLOWER=$!
  PIDS+=("$FOLLOWER")
}

# the_log ID: the complete log of job ID on stdout.
the_log() {
  local url="$R/gitlab/group-project/$1/public/job.log"
  expect_eq "job $1: state" "$(curl -s -I "$url" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "livelog-state" { print $2 }')" complete
  curl -s --max-time 10 "$url?follow=0"
}

# check_make_output FILE STATUS WHAT: FILE is what make printed: LINES
# lines, then (failing) its error line.
check_make_output() {
  python3 - "$@" "$LINES" <<'EOF' || fail "$3: not make's output"
import sys
text = open(sys.argv[1], encoding="utf-8").read().splitlines()
status, n = int(sys.argv[2]), int(sys.argv[4])
made = [l for l in text if l.startswith("make ") and len(l.split(" ")) == 3]
assert [int(l.split(" ")[1]) for l in made] == list(range(1, n + 1)), made
err = [l for l in text if l.startswith("make: ***")]
assert err == ([] if status == 0 else ["make: *** [Makefile:3: test] Error %d" % status]), err
EOF
}

# ---- the plain pipe ----
follow 101
job test 101 0 "$W"
expect_eq "pipe, make ok: job status" "$JOBRC" 0
wait "$FOLLOWER" || fail "pipe: the follower failed"
check_latency "$SCRATCH/follow-101.read" make "$LINES" 1.0 "pipe: the log followed while make runs"
the_log 101 >"$SCRATCH/log-101"
check_make_output "$SCRATCH/log-101" 0 "pipe, make ok: the log"
grep -q '^make ' "$SCRATCH/job-101.out" &&
  fail "pipe: make's output is in the job's output (the doc says livelog only)"

job test 102 3 "$W"
expect_eq "pipe, make fails: job status" "$JOBRC" 3
the_log 102 >"$SCRATCH/log-102"
check_make_output "$SCRATCH/log-102" 3 "pipe, make fails: the log"
# without the feature flag the job still fails, with status 1
job test 104 3 "$W" legacy
expect_eq "pipe, make fails, legacy eval: job status" "$JOBRC" 1

# livelog put failing: the name exists already (409)
existing() { # ID: job ID's log, written by someone else before the job
  printf 'an earlier writer\n' | curl -sS -o /dev/null -T - \
    "$W/v1/logs/gitlab/group-project/$1/public/job.log"
}
existing 103
job test 103 0 "$W"
[ "$JOBRC" != 0 ] || fail "pipe, put fails: the job passed (the doc says it fails)"
grep -q 'livelog put: .*already exists' "$SCRATCH/job-103.err" ||
  fail "pipe, put fails: no message from livelog put"

# ---- livelog-job ----
follow 201
job test-tee 201 0 "$W"
expect_eq "livelog-job, make ok: job status" "$JOBRC" 0
wait "$FOLLOWER" || fail "livelog-job: the follower failed"
check_latency "$SCRATCH/follow-201.read" make "$LINES" 1.0 "livelog-job: the log followed while make runs"
the_log 201 >"$SCRATCH/log-201"
check_make_output "$SCRATCH/log-201" 0 "livelog-job, make ok: the log"
check_make_output "$SCRATCH/job-201.out" 0 "livelog-job, make ok: the job's own output"

job test-tee 202 5 "$W"
expect_eq "livelog-job, make fails: job status" "$JOBRC" 5
the_log 202 >"$SCRATCH/log-202"
check_make_output "$SCRATCH/log-202" 5 "livelog-job, make fails: the log"
check_make_output "$SCRATCH/job-202.out" 5 "livelog-job, make fails: the job's own output"

existing 203
job test-tee 203 0 "$W"
expect_eq "livelog-job, put fails: job status" "$JOBRC" 0
expect_eq "livelog-job, put fails: the other writer's log" "$(the_log 203)" \
  "an earlier writer"
check_make_output "$SCRATCH/job-203.out" 0 "livelog-job, put fails: the job's own output"
grep -q 'livelog-job: the livelog copy' "$SCRATCH/job-203.err" ||
  fail "livelog-job, put fails: no warning"
left=$(find "$SCRATCH" -maxdepth 1 -name 'livelog-job.*' | wc -l)
expect_eq "livelog-job: temporary directories left" "$left" 0

stop || true
check_log "$LOG"
finish
