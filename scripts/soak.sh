#!/usr/bin/env bash
# soak.sh: the memory check of issue 16. `nvmf-chaos bench` drives
# `nvmf-chaos target` over loopback TCP (4 KiB randrw 70 % reads, QD32) for
# SOAK_DURATION; the resident set of both processes is sampled every
# SOAK_INTERVAL. After SOAK_WARMUP, each must stay within SOAK_TOLERANCE %
# of its first sample past the warm-up (a growth past it is a leak or an
# unbounded buffer; a shrink is only reported). Prints every sample and a
# verdict; exit 0 flat, 1 grew, 2 could not run. Both VmRSS and RssAnon are
# judged: VmRSS includes some 37 MiB of the binary's mapped pages, which
# hide a heap that grows by a few MiB; RssAnon is the heap and stacks alone.
#   SOAK_DURATION   run length (default 10m; the issue's check is 1h)
#   SOAK_INTERVAL   seconds between samples (default 10)
#   SOAK_WARMUP     seconds before the reference sample (default 60)
#   SOAK_TOLERANCE  allowed growth in % (default 10)
#   SOAK_PORT       loopback port of the target (default 4472)
#   TARGET_CPU, HOST_CPU  taskset CPUs when both exist (default 0 and 1)
set -euo pipefail

bin=${BIN:-bin/nvmf-chaos}
duration=${SOAK_DURATION:-10m}
interval=${SOAK_INTERVAL:-10}
warmup=${SOAK_WARMUP:-60}
tolerance=${SOAK_TOLERANCE:-10}
port=${SOAK_PORT:-4472}
addr=127.0.0.1
nqn=nqn.2016-06.io.nvmf-chaos:soak

[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
tpin=() hpin=()
if taskset -c "${TARGET_CPU:-0},${HOST_CPU:-1}" true 2>/dev/null; then
	tpin=(taskset -c "${TARGET_CPU:-0}") hpin=(taskset -c "${HOST_CPU:-1}")
fi

work=$(mktemp -d /tmp/soak.XXXXXX)
tgt_pid= bench_pid=
cleanup() {
	for p in $bench_pid $tgt_pid; do kill "$p" 2>/dev/null || true; done
	for p in $bench_pid $tgt_pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

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
	sleep "$interval"
done
if ! wait "$bench_pid"; then
	bench_pid=
	cat "$work/bench.out" >&2
	echo "soak: bench failed" >&2
	exit 2
fi
bench_pid=
grep -E 'IOPS|lat \(' "$work/bench.out" | head -4 || true

# verdict COLUMN NAME: growth of one process past the warm-up.
verdict() {
	awk -v col="$1" -v name="$2" -v warm="$warmup" -v tol="$tolerance" '
		$1 >= warm { if (!n++) ref = $col; if ($col > max) max = $col; if (!min || $col < min) min = $col }
		END {
			if (n < 2) { printf "%s: only %d samples past the %d s warm-up: run longer\n", name, n, warm; exit 2 }
			g = 100 * (max - ref) / ref; s = 100 * (min - ref) / ref
			printf "%s: reference %d KiB at the warm-up, then %d..%d KiB (%+.1f %% .. %+.1f %%) over %d samples: %s\n",
				name, ref, min, max, s, g, n, (g > tol ? "GREW past " tol " %" : "flat within " tol " %")
			exit (g > tol)
		}' "$samples"
}
rc=0
for v in "2 bench-RSS" "3 target-RSS" "4 bench-RssAnon" "5 target-RssAnon"; do
	r=0
	verdict $v || r=$?
	rc=$((r > rc ? r : rc))
done
exit $rc
