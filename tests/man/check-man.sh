#!/usr/bin/env bash
# The generated man pages: they are what gen-man writes from today's tables (not stale),
# render without a single groff or man warning, are gzipped as Debian ships them (no file
# name, no time stamp: reproducible), and say everything --help says: every option and
# environment variable the binary's --help prints is in its page.
# Usage: check-man.sh MANDIR GEN_MAN DOCDIR BINARY...
set -uo pipefail
mandir=$1 gen=$2 docdir=$3
shift 3
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; failed=1; }

for bin in "$@"; do
  name=$(basename "$bin")
  page="$mandir/$name.1.gz"
  if [ ! -s "$page" ]; then
    fail "$page is missing or empty"
    continue
  fi
  if ! "$gen" "$name" "$docdir" "$tmp/$name.1"; then
    fail "$gen $name failed"
  elif ! zcat "$page" | cmp -s - "$tmp/$name.1"; then
    fail "$page is not what $gen writes now (stale?)"
  fi
  # gzip header: byte 3 flags (0: no file name), bytes 4-7 the time stamp (0)
  header=$(head -c 8 "$page" | od -An -tx1 | tr -d ' \n')
  [ "${header:6:10}" = "0000000000" ] || fail "$page: not gzip -n (header $header)"

  warnings=$(zcat "$page" | groff -man -Tutf8 -ww -z 2>&1)
  [ -z "$warnings" ] || fail "$page: groff -ww warns:"$'\n'"$warnings"
  rendered=$(MANWIDTH=100 man --warnings -l "$page" 2>"$tmp/man-stderr")
  [ -s "$tmp/man-stderr" ] && fail "$page: man -l warns:"$'\n'"$(cat "$tmp/man-stderr")"
  grep -q "^NAME" <<<"$rendered" || fail "$page: no NAME section rendered"

  help=$("$bin" --help) || fail "$bin --help exited $?"
  # every --option and every environment variable of --help
  words=$(grep -oE -- '--[a-z][a-z-]*|\bPG[A-Z_]+\b' <<<"$help" | sort -u)
  [ -n "$words" ] || fail "$bin --help lists no options"
  for w in $words; do
    grep -qF -- "$w" <<<"$rendered" || fail "$page does not mention $w (from $name --help)"
  done
  # and the synopsis as --help prints it
  synopsis=$(sed -n '/^Usage:/{n;s/^ *//;p}' <<<"$help")
  grep -qF -- "$synopsis" <<<"$rendered" || fail "$page lacks the synopsis \"$synopsis\""
done
[ "$failed" = 0 ] && echo "man pages ok: $*"
exit "$failed"
