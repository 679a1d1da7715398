#!/usr/bin/env bash
# soak.sh: the memory check of issue 16. `nvmf-chaos bench` drives
# `nvmf-chaos target` over loopback TCP (4 KiB randrw 70 % reads, QD32) for
# SOAK_DURATION; the resident set of both processes is sampled every
# SOAK_INTERVAL. Past SOAK_WARMUP, the peak of each over the next
# SOAK_REFWINDOW seconds is its reference, and no later sample may exceed
# it by more than SOAK_TOLERANCE % (a growth past it is a leak or an
# unbounded buffer; a shrink is only reported). The reference is a peak
# over a window, not one sample, because a Go heap is a sawtooth: it grows
# with garbage from the live heap towards the collector's goal (twice the
# live heap) and falls back after a collection, and at bench's garbage
# rate (4-5 MB between collections, most of it the latency histograms
# folded every 100 ms) that collection is the runtime's forced one, every
# 2 minutes; a single sample lands anywhere on a tooth. A leak raises
# every later tooth above the reference window's. Samples after the run's
# end, while bench builds its result, are printed apart, not judged. Prints
# every sample and a verdict; exit 0 flat, 1 grew, 2 could not run. Both
# VmRSS and RssAnon are judged: VmRSS includes some 37 MiB of the
# binary's mapped pages, which hide a heap that grows by a few MiB;
# RssAnon is the heap and stacks alone.
#   SOAK_DURATION   run length (default 1h, the issue's check)
#   SOAK_INTERVAL   seconds between samples (default 10)
#   SOAK_WARMUP     seconds before the reference window (default 900: what
#                   bench keeps grows by design until its count grids hold
#                   their 8192 entries, 819 s at the 100 ms interval; see
#                   workloads/record.go)
#   SOAK_REFWINDOW  seconds of the reference window (default 150: more
#                   than one forced collection period of 2 minutes)
#   SOAK_TOLERANCE  allowed growth in % (default 10)
#   SOAK_PORT       loopback port of the target (default 4472)
#   SOAK_OUT        folder to keep the samples and both logs in (default: none)
#   TARGET_CPU, HOST_CPU  taskset CPUs when both exist (default 0 and 1)
# Both processes run with GODEBUG=gctrace=1: the live heap after each
# collection (the third figure of "A->B->C MB") is what a leak grows, and
# the script prints it next to the RSS verdicts.
set -euo pipefail

bin=${BIN:-bin/nvmf-chaos}
duration=${SOAK_DURATION:-1h}
interval=${SOAK_INTERVAL:-10}
warmup=${SOAK_WARMUP:-900}
refwindow=${SOAK_REFWINDOW:-150}
tolerance=${SOAK_TOLERANCE:-10}
port=${SOAK_PORT:-4472}
for v in SOAK_INTERVAL=$interval SOAK_WARMUP=$warmup SOAK_REFWINDOW=$refwindow SOAK_TOLERANCE=$tolerance SOAK_PORT=$port; do
	[[ ${v#*=} =~ ^[0-9]+$ ]] || { echo "soak: $v: want a whole number" >&2; exit 2; }
done
# The run's length in seconds: samples from then on are bench draining
# and building its result, judged apart (see verdict).
runsec=$(awk -v d="$duration" 'BEGIN {
	while (match(d, /^[0-9]+[hms]/)) {
		u = substr(d, RLENGTH, 1); s += substr(d, 1, RLENGTH - 1) * (u == "h" ? 3600 : u == "m" ? 60 : 1)
		d = substr(d, RLENGTH + 1)
	}
	if (d != "" || !s) exit 1
	print s
}') || { echo "soak: SOAK_DURATION=$duration: want a duration such as 1h, 30m, 90s or 1h30m" >&2; exit 2; }
addr=127.0.0.1
nqn=nqn.2016-06.io.nvmf-chaos:soak

[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
tpin=() hpin=()
if taskset -c "${TARGET_CPU:-0},${HOST_CPU:-1}" true 2>/dev/null; then
	tpin=(taskset -c "${TARGET_CPU:-0}") hpin=(taskset -c "${HOST_CPU:-1}")
fi

work=$(mktemp -d /tmp/soak.XXXXXX)
tgt_pid='' bench_pid=''
cleanup() {
	for p in $bench_pid $tgt_pid; do kill "$p" 2>/dev/null || true; done
	for p in $bench_pid $tgt_pid; do wait "$p" 2>/dev/null || true; done
	if [ -n "${SOAK_OUT:-}" ]; then
		mkdir -p "$SOAK_OUT" && cp "$work"/* "$SOAK_OUT"/ ||
			echo "soak: SOAK_OUT=$SOAK_OUT: could not keep the samples and logs there" >&2
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
export GODEBUG=${GODEBUG:+$GODEBUG,}gctrace=1

"${tpin[@]}" "$bin" target --listen "$addr:$port" --nqn "$nqn" --malloc 256MiB --log-level warn \
	>"$work/target.log" 2>&1 &
tgt_pid=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && break
	kill -0 "$tgt_pid" 2>/dev/null || { cat "$work/target.log" >&2; exit 2; }
	sleep 0.1
done

"${hpin[@]}" "$bin" bench --target "nvme+tcp://$addr:$port/$nqn" --rw randrw --rwmixread 70 --bs 4k \
	--iodepth 32 --runtime "$duration" --time_based >"$work/bench.out" 2>&1 &
bench_pid=$!

# status_kib PID FIELD: a /proc/PID/status field in KiB (0 once gone).
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

printf '%8s %14s %14s %14s %14s\n' seconds bench-RSS-KiB target-RSS-KiB bench-Anon-KiB target-Anon-KiB
start=$SECONDS
samples=$work/samples
while kill -0 "$bench_pid" 2>/dev/null; do
	b=$(status_kib "$bench_pid" VmRSS) t=$(status_kib "$tgt_pid" VmRSS)
	ba=$(status_kib "$bench_pid" RssAnon) ta=$(status_kib "$tgt_pid" RssAnon)
	# A sample taken as bench exits reads 0: not a measurement.
	if [ "${b:-0}" -gt 0 ] && [ "${t:-0}" -gt 0 ] && [ "${ba:-0}" -gt 0 ]; then
		printf '%8d %14d %14d %14d %14d\n' "$((SECONDS - start))" "$b" "$t" "$ba" "$ta" | tee -a "$samples"
	fi
	# In the background: bash runs the INT/TERM trap only once a foreground
	# command ends, so a foreground sleep delayed Ctrl-C by up to an interval.
	sleep "$interval" &
	wait $!
done
if ! wait "$bench_pid"; then
	bench_pid=
	cat "$work/bench.out" >&2
	echo "soak: bench failed" >&2
	exit 2
fi
bench_pid=
grep -E 'IOPS|lat \(' "$work/bench.out" | head -4 || true

# verdict COLUMN NAME: growth of one process past the reference window,
# judged until the run's end. Samples after it catch bench building its
# result, a one-off whose size the capped record bounds (about 10 MB of
# live heap for an hour): they are printed, not judged.
verdict() {
	awk -v col="$1" -v name="$2" -v warm="$warmup" -v win="$refwindow" -v tol="$tolerance" -v runsec="$runsec" '
		$1 >= runsec { if ($col > post) post = $col; npost++; next }
		$1 < warm { next }
		$1 < warm + win { if ($col > ref) ref = $col; nref++; next }
		{ n++; if ($col > max) max = $col; if (!min || $col < min) min = $col; last = $col }
		END {
			if (nref < 1 || n < 1) {
				printf "%s: %d samples in the reference window [%d s, %d s) and %d after it: run longer (SOAK_DURATION) or move the window (SOAK_WARMUP, SOAK_REFWINDOW)\n", name, nref, warm, warm + win, n
				exit 2
			}
			g = 100 * (max - ref) / ref; s = 100 * (min - ref) / ref
			printf "%s: reference %d KiB (peak of %d samples from %d s to %d s), then %d..%d KiB (%+.1f %% .. %+.1f %%), %d KiB last, over %d samples: %s\n",
				name, ref, nref, warm, warm + win, min, max, s, g, last, n, (g > tol ? "GREW past " tol " %" : "flat within " tol " %")
			if (npost) printf "%s: after the run (%d s), as the result is built: %d KiB (%+.1f %%), not judged\n", name, runsec, post, 100 * (post - ref) / ref
			exit (g > tol)
		}' "$samples"
}

# live_heap NAME LOG: the live heap after each collection past the
# warm-up, from gctrace's "A->B->C MB" (C; whole MB, so a report, not a
# verdict). Collections after the run's end are the result being built.
live_heap() {
	awk -v name="$1" -v warm="$warmup" -v end="$runsec" '
		/^gc [0-9]+ @/ {
			t = substr($3, 2) + 0
			if (t < warm) next
			for (i = 1; i <= NF; i++) if ($i ~ /->.*->/) { split($i, a, "->"); live = a[3] + 0 }
			if (t > end) { if (live > post) post = live; npost++; next }
			if (!n++) { first = live; lo = live; hi = live }
			if (live < lo) lo = live
			if (live > hi) hi = live
			last = live; lastt = t
		}
		END {
			if (!n) { printf "%s: no collection between %d s and %d s\n", name, warm, end; exit }
			printf "%s: live heap after %d collections from %d s: %d MB first, %d..%d MB, %d MB at %.0f s\n",
				name, n, warm, first, lo, hi, last, lastt
			if (npost) printf "%s: live heap after %d collections after the run, as the result is built: up to %d MB\n", name, npost, post
		}' "$2"
}
rc=0
for v in "2 bench-RSS" "3 target-RSS" "4 bench-RssAnon" "5 target-RssAnon"; do
	r=0
	verdict $v || r=$?
	rc=$((r > rc ? r : rc))
done
live_heap bench "$work/bench.out"
live_heap target "$work/target.log"
exit $rc
