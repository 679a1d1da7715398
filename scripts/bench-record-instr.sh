#!/usr/bin/env bash
# bench-record-instr.sh: latency recording's cost on null:// in instructions
# per I/O, counted by valgrind's callgrind, with and without recording.
#
# Why instructions: the CPU-time ratio of BenchmarkRecordingOverhead swings
# by +-5 % between runs on a shared 2-vCPU VM, more than the 3 % it judges.
# Callgrind counts the same instructions for the same binary and input
# whatever the machine does. Instructions are not time (a cache miss or an
# atomic costs many cycles for one instruction), so this is the second
# figure beside the CPU-time one, not a replacement.
#
# How: BenchmarkNullEngine/latency={true,false} runs at two I/O counts; the
# difference between them is the cost per I/O, free of the fixed costs of
# building and summarizing a run. GOMAXPROCS=1 keeps idle Ps from spinning
# (their counts vary run to run) and asyncpreemptoff keeps callgrind off
# the preemption signals, which it mishandles. Under callgrind a run is
# ~50x slower, so the recording interval is stretched to 5 s
# (BENCH_INTERVAL): the per-interval folds then come about as often per
# I/O as at 100 ms natively, and two runs count within 0.1 %.
#
# Settings: INSTR_IOS (default "100000 300000"), the two I/O counts.
set -euo pipefail

command -v valgrind >/dev/null || { echo "bench-record-instr: skipped: valgrind is not installed (apt-get install valgrind)"; exit 0; }
read -r small large <<<"${INSTR_IOS:-100000 300000}"
case "$small$large" in *[!0-9]*|'') echo "INSTR_IOS=${INSTR_IOS:-} must be two I/O counts" >&2; exit 2 ;; esac
[ "$large" -gt "$small" ] || { echo "INSTR_IOS: the second count must be larger than the first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/workloads.test" ./workloads

# count prints the instructions callgrind collected for one run.
count() { # latency ios
	local out="$tmp/cg.$1.$2"
	BENCH_INTERVAL=5s GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$tmp/workloads.test" -test.run='^$' -test.bench="^BenchmarkNullEngine/latency=$1\$" \
		-test.benchtime="${2}x" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 2; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.log"
}

declare -A per
for lat in true false; do
	a=$(count "$lat" "$small")
	b=$(count "$lat" "$large")
	per[$lat]=$(awk -v a="$a" -v b="$b" -v n=$((large - small)) 'BEGIN { printf "%.1f", (b - a) / n }')
done
awk -v on="${per[true]}" -v off="${per[false]}" 'BEGIN {
	printf "instructions per I/O on null:// (callgrind, GOMAXPROCS=1): recording %s, without %s: +%.1f (%.1f %%)\n",
		on, off, on - off, (on / off - 1) * 100 }'
