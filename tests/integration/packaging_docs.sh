#!/usr/bin/env bash
# packaging_docs.sh: the generated man pages and bash completion
# (packaging/gen-man, src/man.c) against the binary's --help. For serve
# and forward every flag --help prints is in the man page's OPTIONS and
# every flag of OPTIONS is in --help; every flag of the drop-in's and the
# client verbs' --help is in livelog(1); livelog.conf(5) has a key for
# every flag but --config and --help. Each page renders with groff
# -ww (all warnings) without a warning, and with man -l; the installed,
# gzip-compressed page (GEN_DIR/../gz, packaging/CMakeLists.txt) renders
# the same. The completion loads in bash and completes verbs, flags and
# values.
# Run: bash packaging_docs.sh LIVELOG_BINARY CHECK_SERVER_LOG GEN_DIR
. "$(dirname "$0")/lib.sh"
GEN=${4:?usage: $0 LIVELOG CHECK VERSION GEN_DIR}

# flags FILE: the --flags a text names, one per line, sorted, unique.
flags() { grep -oE -- '(^|[][ (,|])--[a-z][a-z-]*' "$1" | grep -oE -- '--[a-z-]+' | sort -u; }
# render PAGE: the page as plain ASCII text.
render() { groff -man -Tascii -P-cbou "$1" 2>/dev/null; }
# section TEXT NAME: lines of section NAME (up to the next heading).
section() { awk -v s="$2" '/^[A-Z]/ {on = ($0 == s)} on' "$1"; }

command -v groff >/dev/null || { echo "groff not installed" >&2; exit 77; }

for v in serve forward; do
  page=$GEN/livelog-$v.8
  [ -s "$page" ] || { fail "$page missing"; continue; }
  "$LIVELOG" $v --help >"$SCRATCH/$v.help" 2>&1
  render "$page" >"$SCRATCH/$v.txt"
  section "$SCRATCH/$v.txt" OPTIONS >"$SCRATCH/$v.opts"
  flags "$SCRATCH/$v.help" | grep -v -- '^--help$' >"$SCRATCH/$v.hf"
  flags "$SCRATCH/$v.opts" | grep -v -- '^--help$' >"$SCRATCH/$v.mf"
  [ "$(wc -l <"$SCRATCH/$v.hf")" -ge 10 ] || fail "$v --help: too few flags"
  d=$(diff "$SCRATCH/$v.hf" "$SCRATCH/$v.mf") ||
    fail "$v: --help and livelog-$v(8) disagree (< --help, > man): $d"
  # every key of livelog.conf(5), per verb
  conf=$SCRATCH/conf.txt
  render "$GEN/livelog.conf.5" >"$conf"
  while read -r f; do
    [ "$f" = --config ] && continue
    section "$conf" "KEYS OF livelog $v" | grep -qE "^ +${f#--} = " ||
      fail "livelog.conf(5) has no key ${f#--} for $v"
  done <"$SCRATCH/$v.hf"
done

render "$GEN/livelog.1" >"$SCRATCH/livelog.txt"
flags "$SCRATCH/livelog.txt" >"$SCRATCH/livelog.mf"
for v in "" put tail token stats; do
  # shellcheck disable=SC2086 # the drop-in has no verb
  "$LIVELOG" $v --help >"$SCRATCH/v.help" 2>&1
  for f in $(flags "$SCRATCH/v.help"); do
    grep -qx -- "$f" "$SCRATCH/livelog.mf" || fail "livelog(1) lacks $f of '${v:-livelog} --help'"
  done
done
for v in serve forward put tail token stats; do
  grep -q "livelog $v" "$SCRATCH/livelog.txt" || fail "livelog(1) lacks the verb $v"
done

for p in livelog.1 livelog-serve.8 livelog-forward.8 livelog.conf.5; do
  w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$GEN/$p" 2>&1)
  [ -z "$w" ] || fail "$p: groff warnings: $w"
  if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man -l "$GEN/$p" 2>&1 >/dev/null)
    [ -z "$out" ] || fail "$p: man -l says: $out"
    [ "$(MANWIDTH=80 man -l "$GEN/$p" 2>/dev/null | wc -l)" -gt 20 ] ||
      fail "$p: man -l rendered almost nothing"
    if [ -e "$GEN/../gz/$p.gz" ]; then
      [ "$(MANWIDTH=80 man -l "$GEN/../gz/$p.gz" 2>&1)" = \
        "$(MANWIDTH=80 man -l "$GEN/$p" 2>&1)" ] ||
        fail "$p.gz: man -l renders it unlike $p"
    else
      fail "$p.gz: not built (packaging/CMakeLists.txt, gz/)"
    fi
  fi
done

# ---- bash completion ------------------------------------------------------
complete_words() { # complete_words WORD...: what <TAB> offers after them
  bash --norc --noprofile -c '
    . "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _livelog
    printf "%s\n" "${COMPREPLY[@]}"' "$GEN/livelog.bash" livelog "$@" |
    tr '\n' ' '
}
bash -n "$GEN/livelog.bash" || fail "the completion does not parse"
bash --norc -c '. "$0"; complete -p livelog' "$GEN/livelog.bash" >/dev/null ||
  fail "the completion does not register for livelog"
expect_eq "complete 'se'" "$(complete_words se)" "serve "
expect_eq "complete 'fo'" "$(complete_words fo)" "forward "
expect_eq "complete 'serve --data-'" "$(complete_words serve --data-)" "--data-dir "
expect_eq "complete 'serve --fsync '" "$(complete_words serve --fsync '')" "always interval never "
expect_eq "complete 'forward --to '" "$(complete_words forward --to '')" "stdout "
expect_eq "complete 'forward --complete'" "$(complete_words forward --complete)" "--complete-on-exit "
expect_eq "complete 'put --ret'" "$(complete_words put --ret)" "--retries "
expect_eq "complete 'tail --fol'" "$(complete_words tail --fol)" "--follow "
mkdir -p "$SCRATCH/cdir/sub"
touch "$SCRATCH/cdir/file"
expect_eq "complete 'serve --data-dir DIR/'" \
  "$(complete_words serve --data-dir "$SCRATCH/cdir/")" "$SCRATCH/cdir/sub "
# every flag; one may be the prefix of another (--poll, --poll-interval)
for v in serve forward; do
  while read -r f; do
    case " $(complete_words $v "$f")" in
    *" $f "*) ;;
    *) fail "completion lacks $v $f" ;;
    esac
  done <"$SCRATCH/$v.hf"
done

finish
