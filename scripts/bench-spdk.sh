#!/usr/bin/env bash
# bench-spdk.sh: issue 16's first table. Over loopback TCP, 4 KiB randread
# and randwrite at QD1 and QD32, one core each (target on TARGET_CPU,
# initiator on HOST_CPU, both with taskset):
#   host:   `nvmf-chaos bench` vs `spdk_nvme_perf`, both against SPDK's nvmf_tgt
#   target: `spdk_nvme_perf` against `nvmf-chaos target` vs against nvmf_tgt
# nvmf_tgt and `nvmf-chaos target` start once, each on the target CPU, and
# only the one being measured runs: the others are stopped (SIGSTOP), since
# nvmf_tgt's reactor polls its core at 100 % and would starve ours. Each
# round runs every case as bench→nvmf_tgt, spdk_nvme_perf→nvmf_tgt,
# spdk_nvme_perf→target, each compared run next to its reference, and
# every other round in reverse order. A 2-vCPU VM's runs swing by up to 2x
# (SPDK's alike); pairs measured back to back, in both orders, at least
# keep slow drift and the order of the runs out of the ratios. The ratios
# are medians of the rounds' ratios, the IOPS medians of the rounds.
#
# SPDK is never built here and nothing of it is in the repository: build
# it beside the project (README, Performance) and name it with
#   SPDK_DIR       an SPDK tree built in place (build/bin, scripts/rpc.py), or
#   SPDK_BIN       the directory holding nvmf_tgt and spdk_nvme_perf, and
#   SPDK_RPC       scripts/rpc.py (default: SPDK_DIR's, else rpc.py on PATH);
# with none of them, nvmf_tgt, spdk_nvme_perf and rpc.py come from PATH.
# Anything missing: the table is skipped with the reason, exit 0.
#   BENCH_RUNTIME  seconds per run, after BENCH_RAMP seconds of warm-up (default 10, 1)
#   BENCH_ROUNDS   rounds (default 3)
#   BENCH_CASES    "rw:qd ..." (default "randread:32 randread:1 randwrite:32 randwrite:1")
#   BENCH_PORT     first of the loopback ports used: nvmf_tgt's, then BIN's,
#                  then BIN_BEFORE's (default 4470)
#   TARGET_CPU, HOST_CPU  (default 0 and 1)
#   BIN_BEFORE     another nvmf-chaos binary (a build before a change): its
#                  bench and target are measured in every round too, bench
#                  before BIN's and its target after (reversed in every
#                  other round), in two more columns
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

bin=${BIN:-bin/nvmf-chaos}
before=${BIN_BEFORE:-}
runtime=${BENCH_RUNTIME:-10}
ramp=${BENCH_RAMP:-1}
rounds=${BENCH_ROUNDS:-3}
cases=${BENCH_CASES:-randread:32 randread:1 randwrite:32 randwrite:1}
port=${BENCH_PORT:-4470}
tcpu=${TARGET_CPU:-0}
hcpu=${HOST_CPU:-1}
addr=127.0.0.1
nqn=nqn.2016-06.io.spdk:bench
size_mib=256
bs=4096

skip() {
	echo "bench-spdk: skipped: $*"
	exit 0
}

# find NAME DIR: DIR/NAME when it is executable, else NAME on PATH.
find_tool() {
	if [ -n "$2" ]; then
		if [ -x "$2/$1" ]; then echo "$2/$1"; fi
		return 0
	fi
	command -v "$1" || true
}

spdk_bin=${SPDK_BIN:-${SPDK_DIR:+$SPDK_DIR/build/bin}}
nvmf_tgt=$(find_tool nvmf_tgt "$spdk_bin")
perf=$(find_tool spdk_nvme_perf "$spdk_bin")
rpc=${SPDK_RPC:-$(find_tool rpc.py "${SPDK_DIR:+$SPDK_DIR/scripts}")}
where="set SPDK_DIR to an SPDK tree built beside the project, or SPDK_BIN and SPDK_RPC, or put them on PATH"
[ -n "$nvmf_tgt" ] || skip "nvmf_tgt not found ($where)"
[ -n "$perf" ] || skip "spdk_nvme_perf not found ($where)"
[ -n "$rpc" ] && [ -f "$rpc" ] || skip "SPDK's scripts/rpc.py not found ($where)"
command -v taskset >/dev/null || skip "taskset not found (util-linux)"
taskset -c "$tcpu,$hcpu" true 2>/dev/null || skip "CPUs $tcpu and $hcpu are not both available here (set TARGET_CPU and HOST_CPU)"
command -v jq >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq jq >/dev/null; }
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
[ -z "$before" ] || [ -x "$before" ] || { echo "BIN_BEFORE=$before is not executable" >&2; exit 2; }

work=$(mktemp -d /tmp/bench-spdk.XXXXXX)
sock=$work/spdk.sock
trap 'stop_targets; rm -rf "$work"' EXIT
trap 'exit 2' INT TERM

rpc_call() { python3 "$rpc" -s "$sock" -t 10 "$@" >/dev/null; }

start_nvmf_tgt() { # port
	taskset -c "$tcpu" "$nvmf_tgt" -m "$((1 << tcpu))" --no-huge -s 1024 --no-pci \
		--disable-cpumask-locks -r "$sock" >"$work/nvmf_tgt.log" 2>&1 &
	track_target $!
	for _ in $(seq 100); do
		[ -S "$sock" ] && rpc_call framework_wait_init 2>/dev/null && break
		kill -0 "$tgt_pid" 2>/dev/null || { cat "$work/nvmf_tgt.log" >&2; echo "nvmf_tgt exited" >&2; exit 2; }
		sleep 0.1
	done
	rpc_call nvmf_create_transport -t TCP
	rpc_call bdev_malloc_create -b Malloc0 "$size_mib" "$bs"
	rpc_call nvmf_create_subsystem "$nqn" -a -s SPDK00000000000001
	rpc_call nvmf_subsystem_add_ns "$nqn" Malloc0
	rpc_call nvmf_subsystem_add_listener "$nqn" -t tcp -f ipv4 -a "$addr" -s "$1"
	wait_port "$addr" "$1" "$tgt_pid" || { cat "$work/nvmf_tgt.log" >&2; echo "nvmf_tgt does not listen on $addr:$1" >&2; exit 2; }
}

start_ours() { # port binary log
	taskset -c "$tcpu" "$2" target --listen "$addr:$1" --nqn "$nqn" --malloc "${size_mib}MiB" \
		--block-size "$bs" --log-level warn >"$3" 2>&1 &
	track_target $!
	wait_port "$addr" "$1" "$tgt_pid" || { cat "$3" >&2; echo "nvmf-chaos target does not listen on $addr:$1" >&2; exit 2; }
}

# perf_iops RW QD PORT: spdk_nvme_perf's total IOPS.
perf_iops() {
	taskset -c "$hcpu" "$perf" --no-huge -s 1024 -c "$((1 << hcpu))" -q "$2" -o "$bs" -w "$1" \
		-t "$runtime" -a "$ramp" \
		-r "trtype:TCP adrfam:IPv4 traddr:$addr trsvcid:$3 subnqn:$nqn" >"$work/perf.out" 2>&1 ||
		{ cat "$work/perf.out" >&2; echo "spdk_nvme_perf failed" >&2; exit 2; }
	awk -F: '/^Total/ { split($2, v, " "); print v[1] }' "$work/perf.out"
}

# ours_iops RW QD PORT BINARY: nvmf-chaos bench's total IOPS.
ours_iops() {
	taskset -c "$hcpu" "$4" bench --target "nvme+tcp://$addr:$3/$nqn" --rw "$1" --bs "$bs" \
		--iodepth "$2" --ramp_time "${ramp}s" --runtime "${runtime}s" --time_based \
		--output-format json >"$work/bench.json" 2>"$work/bench.err" ||
		{ cat "$work/bench.err" >&2; echo "nvmf-chaos bench failed" >&2; exit 2; }
	jq '[.jobs[] | .read.iops + .write.iops] | add' "$work/bench.json"
}

# The targets: nvmf_tgt on port, BIN's on port+1, BIN_BEFORE's on port+2.
start_nvmf_tgt "$port"
spdk_pid=$tgt_pid
start_ours "$((port + 1))" "$bin" "$work/target.log"
ours_pid=$tgt_pid
before_pid=''
if [ -n "$before" ]; then
	start_ours "$((port + 2))" "$before" "$work/target-before.log"
	before_pid=$tgt_pid
fi

# only PID: continue the target PID and stop the others.
only() {
	local p
	for p in "${tgt_pids[@]}"; do
		kill -0 "$p" 2>/dev/null || { cat "$work"/*.log >&2; echo "bench-spdk: a target exited (pid $p)" >&2; exit 2; }
		[ "$p" = "$1" ] || kill -STOP "$p"
	done
	kill -CONT "$1"
}

# run STEP RW QD: one measurement, appended to its case's list. Per case,
# one IOPS figure per round: p* are spdk_nvme_perf's, o* bench's; *b the
# BIN_BEFORE runs.
declare -A pspdk ohost pours ohostb poursb
run() {
	local c=$2:$3
	case $1 in
	hostb) only "$spdk_pid"; ohostb[$c]+="$(ours_iops "$2" "$3" "$port" "$before") " ;;
	host) only "$spdk_pid"; ohost[$c]+="$(ours_iops "$2" "$3" "$port" "$bin") " ;;
	spdk) only "$spdk_pid"; pspdk[$c]+="$(perf_iops "$2" "$3" "$port") " ;;
	ours) only "$ours_pid"; pours[$c]+="$(perf_iops "$2" "$3" "$((port + 1))") " ;;
	oursb) only "$before_pid"; poursb[$c]+="$(perf_iops "$2" "$3" "$((port + 2))") " ;;
	esac
}
steps=(host spdk ours)
[ -z "$before" ] || steps=(hostb host spdk ours oursb)
for ((i = 0; i < rounds; i++)); do
	order=("${steps[@]}")
	if ((i % 2)); then
		order=()
		for ((j = ${#steps[@]} - 1; j >= 0; j--)); do order+=("${steps[j]}"); done
	fi
	for c in $cases; do
		for s in "${order[@]}"; do run "$s" "${c%:*}" "${c#*:}"; done
	done
	echo "bench-spdk: round $((i + 1))/$rounds done (${order[*]})" >&2
done

# cols "REFS" "OURS": median IOPS of each and the median of the rounds' ratios.
cols() {
	read -ra r <<<"$1"
	read -ra o <<<"$2"
	local q=()
	for j in "${!r[@]}"; do q+=("$(ratio "${o[j]}" "${r[j]}")"); done
	printf ' %10.0f %10.0f %6s' "$(med "${r[@]}")" "$(med "${o[@]}")" "$(med "${q[@]}")"
}
# row LABEL "REFS" "OURS" "OURS_BEFORE"
row() {
	printf '%-58s' "$1"
	cols "$2" "$3"
	if [ -n "$before" ]; then
		read -ra b <<<"$4"
		read -ra r <<<"$2"
		local q=()
		for j in "${!r[@]}"; do q+=("$(ratio "${b[j]}" "${r[j]}")"); done
		printf ' %10.0f %6s' "$(med "${b[@]}")" "$(med "${q[@]}")"
	fi
	echo
}

echo "4 KiB, loopback TCP, ${size_mib} MiB malloc namespace; target on CPU $tcpu, initiator on CPU $hcpu;"
echo "medians of $rounds rounds of ${runtime} s (+${ramp} s warm-up), pairs adjacent, every other round reversed${before:+; before: $before}"
printf '%-58s %10s %10s %6s' "case" "SPDK" "nvmf-chaos" "ratio"
[ -z "$before" ] || printf ' %10s %6s' "before" "ratio"
echo
for c in $cases; do
	row "${c%:*} QD${c#*:}: bench vs spdk_nvme_perf, against nvmf_tgt" "${pspdk[$c]}" "${ohost[$c]}" "${ohostb[$c]:-}"
done
for c in $cases; do
	row "${c%:*} QD${c#*:}: spdk_nvme_perf against target vs nvmf_tgt" "${pspdk[$c]}" "${pours[$c]}" "${poursb[$c]:-}"
done
echo "per round (IOPS, in run order):"
for c in $cases; do
	echo "  ${c%:*} QD${c#*:}: spdk_nvme_perf→nvmf_tgt ${pspdk[$c]}| bench→nvmf_tgt ${ohost[$c]}| spdk_nvme_perf→target ${pours[$c]}"
	[ -z "$before" ] || echo "  ${c%:*} QD${c#*:} before: bench→nvmf_tgt ${ohostb[$c]}| spdk_nvme_perf→target ${poursb[$c]}"
done
