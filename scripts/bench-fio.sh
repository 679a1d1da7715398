#!/usr/bin/env bash
# bench-fio.sh: the file backend against fio on the same file and job
# (4 KiB randread and randwrite, iodepth 32, O_DIRECT), IOPS side by side.
# fio runs with io_uring (iodepth 32) and psync (32 jobs of depth 1: psync
# has no queue, so clones give it the same concurrency); nvmf-chaos with
# engine=io_uring (its default where the kernel allows) and engine=psync
# (its fallback), each compared with fio's same engine. The four run back
# to back per pattern, BENCH_ROUNDS times, so machine noise hits all alike;
# the figures are medians of the rounds, the ratios medians of each
# round's ratio. Installs fio and jq with apt-get when missing.
#   BENCH_FILE     file to test on (default /var/tmp/nvmf-chaos-bench.dat; not tmpfs)
#   BENCH_SIZE     its size (default 1g)
#   BENCH_RUNTIME  seconds per run (default 10)
#   BENCH_ROUNDS   rounds per pattern (default 5)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

file=${BENCH_FILE:-/var/tmp/nvmf-chaos-bench.dat}
size=${BENCH_SIZE:-1g}
runtime=${BENCH_RUNTIME:-10}
rounds=${BENCH_ROUNDS:-5}
bin=${BIN:-bin/nvmf-chaos}

need() {
	command -v "$1" >/dev/null && return
	echo "installing $1" >&2
	apt-get update -qq >/dev/null && apt-get install -y -qq "$1" >/dev/null
}
need fio
need jq
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }

# Lay the file out with real writes, so neither side reads holes.
fio --name=layout --filename="$file" --size="$size" --rw=write --bs=1m --direct=1 \
	--ioengine=psync --output=/dev/null
trap 'rm -f "$file"' EXIT

iops() { jq '[.jobs[] | .read.iops + .write.iops] | add'; }

fio_iops() { # rw engine iodepth numjobs
	fio --name=fio --filename="$file" --size="$size" --rw="$1" --bs=4k --direct=1 \
		--ioengine="$2" --iodepth="$3" --numjobs="$4" --group_reporting \
		--runtime="$runtime" --time_based --randrepeat=1 --output-format=json 2>/dev/null | iops
}

ours_iops() { # rw engine
	"$bin" bench --target "file://$file?engine=$2" --size "$size" --rw "$1" --bs 4k --iodepth 32 \
		--runtime "${runtime}s" --time_based --output-format json | iops
}

# The engine the default picks here, as the notes say.
"$bin" bench --target "file://$file" --size "$size" --rw randread --bs 4k --iodepth 32 \
	--runtime 1s --time_based 2>&1 | grep '^note:' || true
echo "IOPS, medians of $rounds rounds of ${runtime}s; ratios of ours to fio: same engine, then our io_uring to fio's psync"
printf '%-10s %12s %12s %12s %12s %10s %10s %12s\n' rw fio-io_uring ours-io_uring fio-psync×32 ours-psync "/io_uring" "/psync" "uring/psync"
for rw in randread randwrite; do
	u=() o=() p=() q=() ru=() rp=() rx=()
	for ((i = 0; i < rounds; i++)); do
		u+=("$(fio_iops "$rw" io_uring 32 1 || echo 0)")
		o+=("$(ours_iops "$rw" io_uring)")
		p+=("$(fio_iops "$rw" psync 1 32)")
		q+=("$(ours_iops "$rw" psync)")
		ru+=("$(ratio "${o[i]}" "${u[i]:-0}")")
		rp+=("$(ratio "${q[i]}" "${p[i]}")")
		rx+=("$(ratio "${o[i]}" "${p[i]}")")
	done
	printf '%-10s %12.0f %12.0f %12.0f %12.0f %10s %10s %12s\n' "$rw" "$(med "${u[@]}")" "$(med "${o[@]}")" \
		"$(med "${p[@]}")" "$(med "${q[@]}")" "$(med "${ru[@]}")" "$(med "${rp[@]}")" "$(med "${rx[@]}")"
done
