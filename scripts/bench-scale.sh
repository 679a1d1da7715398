#!/usr/bin/env bash
# bench-scale.sh: issue 16's scaling check. `nvmf-chaos bench` drives
# `nvmf-chaos target` over loopback TCP, 4 KiB randread at QD32 per job,
# with N cores per side and N jobs (one I/O queue, so one target
# connection, each): the target on CPUs 0..N-1, the host on N..2N-1, each
# under taskset, so Go's GOMAXPROCS follows N. Every round runs each N
# once, in order, so machine noise hits all alike; the figures are medians
# of the rounds, the speedup the median of each round's IOPS(N) / IOPS(1),
# the efficiency speedup / N (1.00: every added core adds what the first
# gave).
#   SCALE_CORES    the Ns (default 1 2 4 8 ..., while the CPUs last)
#   SCALE_MODE     split (default: N cores each side, 2N CPUs) or shared
#                  (both sides on the same N CPUs: a check that fits a
#                  small machine, where the two sides compete for cores)
#   BENCH_RW       fio rw (default randread)
#   BENCH_IODEPTH  per job (default 32)
#   BENCH_RUNTIME  seconds per run, after BENCH_RAMP seconds of warm-up (default 10, 1)
#   BENCH_ROUNDS   rounds (default 3)
#   BENCH_PORT     loopback port of the target (default 4474)
# An N the machine cannot give is skipped with the reason; with no N left
# beyond 1 there is no scaling to measure, and the script says so (exit 0).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

bin=${BIN:-bin/nvmf-chaos}
mode=${SCALE_MODE:-split}
rw=${BENCH_RW:-randread}
qd=${BENCH_IODEPTH:-32}
runtime=${BENCH_RUNTIME:-10}
ramp=${BENCH_RAMP:-1}
rounds=${BENCH_ROUNDS:-3}
port=${BENCH_PORT:-4474}
addr=127.0.0.1
nqn=nqn.2016-06.io.nvmf-chaos:scale
for v in BENCH_IODEPTH=$qd BENCH_RUNTIME=$runtime BENCH_RAMP=$ramp BENCH_ROUNDS=$rounds BENCH_PORT=$port; do
	[[ ${v#*=} =~ ^[0-9]+$ ]] || { echo "bench-scale: $v: want a whole number" >&2; exit 2; }
done
case $mode in
split) per=2 ;;
shared) per=1 ;;
*) echo "bench-scale: SCALE_MODE=$mode: want split or shared" >&2; exit 2 ;;
esac
command -v taskset >/dev/null || { echo "bench-scale: skipped: taskset not found (util-linux)"; exit 0; }
command -v jq >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq jq >/dev/null; }
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }

# The CPUs this process may use, in order: N cores are the first N (target)
# and, split, the next N (host).
mapfile -t cpus < <(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
	awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }')
ncpu=${#cpus[@]}
if [ -z "${SCALE_CORES:-}" ]; then
	SCALE_CORES=
	for ((n = 1; n * per <= ncpu; n *= 2)); do SCALE_CORES+="$n "; done
fi
ns=()
for n in $SCALE_CORES; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench-scale: SCALE_CORES: $n: want a positive whole number" >&2; exit 2; }
	if ((n * per > ncpu)); then
		echo "bench-scale: N=$n skipped: SCALE_MODE=$mode needs $((n * per)) CPUs, this process has $ncpu"
	else
		ns+=("$n")
	fi
done
((${#ns[@]})) || { echo "bench-scale: skipped: no N fits $ncpu CPUs"; exit 0; }
[ "${ns[0]}" = 1 ] || ns=(1 "${ns[@]}") # the speedups are against N=1

cpulist() { # first count
	local s=${cpus[$1]}
	for ((i = $1 + 1; i < $1 + $2; i++)); do s+=,${cpus[i]}; done
	echo "$s"
}

work=$(mktemp -d /tmp/bench-scale.XXXXXX)
trap 'stop_targets; rm -rf "$work"' EXIT
trap 'exit 2' INT TERM

# The target starts and stops in this shell, not in the command
# substitution that runs bench: a target started in a subshell outlives
# the EXIT trap when bench fails.
start_target() { # n
	taskset -c "$(cpulist 0 "$1")" "$bin" target --listen "$addr:$port" --nqn "$nqn" --malloc 256MiB \
		--log-level warn >"$work/target.log" 2>&1 &
	track_target $!
	wait_port "$addr" "$port" "$tgt_pid" || { cat "$work/target.log" >&2; echo "bench-scale: target does not listen on $addr:$port" >&2; exit 2; }
}

bench_iops() { # n: bench's total IOPS with N jobs on its N CPUs
	local hcpus
	if [ "$mode" = split ]; then hcpus=$(cpulist "$1" "$1"); else hcpus=$(cpulist 0 "$1"); fi
	taskset -c "$hcpus" "$bin" bench --target "nvme+tcp://$addr:$port/$nqn" --rw "$rw" --bs 4k \
		--iodepth "$qd" --numjobs "$1" --ramp_time "${ramp}s" --runtime "${runtime}s" --time_based \
		--output-format json >"$work/bench.json" 2>"$work/bench.err" ||
		{ cat "$work/bench.err" >&2; echo "bench-scale: bench failed at N=$1" >&2; exit 2; }
	jq '[.jobs[] | .read.iops + .write.iops] | add | round' "$work/bench.json"
}

declare -A got
for ((i = 0; i < rounds; i++)); do
	for n in "${ns[@]}"; do
		start_target "$n"
		got[$n]+="$(bench_iops "$n") "
		stop_targets
	done
	echo "bench-scale: round $((i + 1))/$rounds done" >&2
done

read -ra one <<<"${got[1]}"
echo "4 KiB $rw, QD$qd per job, N jobs, loopback TCP, 256 MiB malloc namespace; SCALE_MODE=$mode"
echo "(N cores $([ "$mode" = split ] && echo "each side: target on the first N CPUs, host on the next N" || echo "shared by target and host"));"
echo "medians of $rounds rounds of ${runtime} s (+${ramp} s warm-up)"
printf '%4s %12s %8s %10s   %s\n' N IOPS speedup efficiency "per round"
for n in "${ns[@]}"; do
	read -ra r <<<"${got[$n]}"
	s=()
	for j in "${!r[@]}"; do s+=("$(ratio "${r[j]}" "${one[j]}")"); done
	sp=$(med "${s[@]}")
	printf '%4s %12.0f %8s %10s   %s\n' "$n" "$(med "${r[@]}")" "$sp" "$(ratio "$sp" "$n")" "${got[$n]}"
done
((${#ns[@]} > 1)) || echo "bench-scale: only N=1 fits $ncpu CPUs in SCALE_MODE=$mode: no scaling measured; SCALE_MODE=shared puts both sides on the same N CPUs"
