#!/usr/bin/env bash
# fio-examples.sh: where fio's own example job files stand. Runs every
# example written for a generic I/O engine through `nvmf-chaos bench --fio
# FILE --target TARGET --runtime 1` and prints a Markdown table: the file,
# pass or fail, and the one-line reason of a failure; then the counts.
#
#   scripts/fio-examples.sh EXAMPLES_DIR [TARGET]
#
# EXAMPLES_DIR is fio's examples/ folder, fetched beside the project (this
# script fetches nothing, and fio's files are never copied into the repo).
# TARGET defaults to a sparse 8 GiB scratch file under /var/tmp (a
# device-sized target, as examples naming /dev/XXX expect; jobs addressing
# more extend it), removed afterwards.
#   BIN      nvmf-chaos binary (default bin/nvmf-chaos)
#   RUNTIME  runtime override per job (default 1; a cap, not time_based)
#   TIMEOUT  seconds before one example counts as hung (default 300;
#            1mbs_clients.fio starts its last job after 124 s)
#
# An example is for a generic engine when each ioengine= it sets is one of
# fio's generic engines, or it sets none (fio's default, psync) and its
# comments do not name another engine to run it with (xnvme-*.fio).
set -uo pipefail

dir=${1:?usage: $0 EXAMPLES_DIR [TARGET]}
scratch=/var/tmp/nvmf-chaos-fio-examples.dat
target=${2:-file://$scratch}
bin=${BIN:-bin/nvmf-chaos}
runtime=${RUNTIME:-1}
timeout=${TIMEOUT:-300}
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
[ -d "$dir" ] || { echo "$dir: not a directory" >&2; exit 2; }
bin=$(realpath "$bin") dir=$(realpath "$dir")
# Examples run in a scratch directory: fio's log files land where it runs.
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -z "${2:-}" ] && rm -f "$scratch"' EXIT

generic="libaio io_uring posixaio psync sync pvsync pvsync2 vsync null"

# engines FILE [commented]: the ioengine values the file sets, one a line
# (with "commented", those named in comments instead).
engines() {
	local re='^[[:space:]]*ioengine[[:space:]]*=[[:space:]]*'
	if [ "${2:-}" = commented ]; then
		grep -oiE -- '-?-?ioengine=[a-z0-9_-]+' "$1" | sed 's/.*=//'
	else
		grep -iE "$re" "$1" | sed -E "s/$re//; s/[[:space:]]*([;#].*)?$//"
	fi | tr 'A-Z' 'a-z' | sort -u
}

is_generic() {
	local e set
	set=$(engines "$1")
	[ -z "$set" ] && set=$(engines "$1" commented)
	for e in $set; do
		case " $generic " in *" $e "*) ;; *) return 1 ;; esac
	done
}

pass=0 total=0 skipped=0
printf '| example | result | reason |\n|---|---|---|\n'
for f in "$dir"/*.fio; do
	name=$(basename "$f")
	if ! is_generic "$f"; then
		skipped=$((skipped + 1))
		continue
	fi
	total=$((total + 1))
	err=$(mktemp)
	[ -z "${2:-}" ] && rm -f "$scratch" && truncate -s 8g "$scratch"
	(cd "$work" && timeout "$timeout" "$bin" bench --fio "$f" --target "$target" --runtime "$runtime" \
		>/dev/null 2>"$err")
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf '| %s | pass | |\n' "$name"
	else
		reason=$(grep -v '^note:' "$err" | tail -n 1 | sed "s|^nvmf-chaos: ||; s|$dir/||g; s/|/\\\\|/g")
		[ $rc -eq 124 ] && reason="timed out after ${timeout}s"
		printf '| %s | fail (exit %d) | %s |\n' "$name" "$rc" "${reason:0:200}"
	fi
	rm -f "$err"
done
printf '\n%d of %d generic-engine examples run (%d other examples use other engines)\n' \
	"$pass" "$total" "$skipped"
