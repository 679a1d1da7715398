# shellcheck shell=bash disable=SC2034 # tgt_pid and tgt_pids are read by the scripts that source this
# bench-lib.sh: helpers the bench-*.sh scripts share; source it, do not run it.
# Scripts record every target they start with track_target, so one EXIT
# trap (stop_targets) ends all of them, whatever failed.

# ratio A B: A / B to two decimals, n/a when B is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# median: of the numbers on stdin, one per line (the lower middle of an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
# med N...: the median of its arguments.
med() { printf '%s\n' "$@" | median; }

# track_target PID: a target started; tgt_pid is the last one.
tgt_pid='' tgt_pids=()
track_target() {
	tgt_pid=$1
	tgt_pids+=("$1")
}
# stop_targets: ends the tracked targets and waits for them. One held with
# SIGSTOP is continued after the TERM, or it would never act on it.
stop_targets() {
	local p
	for p in "${tgt_pids[@]}"; do kill -TERM "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null; done
	for p in "${tgt_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	tgt_pid=''
	tgt_pids=()
}

# wait_port ADDR PORT PID: until ADDR:PORT accepts connections (10 s at
# most), or the process PID is gone.
wait_port() {
	for _ in $(seq 100); do
		kill -0 "$3" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
