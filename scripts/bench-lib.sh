# shellcheck shell=bash
# bench-lib.sh: helpers the bench-*.sh scripts share; source it, do not run it.
# The target helpers keep the running target's pid in tgt_pid, so one EXIT
# trap (stop_target) ends whichever target a script started last.

# ratio A B: A / B to two decimals, n/a when B is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# median: of the numbers on stdin, one per line (the lower middle of an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
# med N...: the median of its arguments.
med() { printf '%s\n' "$@" | median; }

tgt_pid=''
stop_target() {
	[ -n "$tgt_pid" ] || return 0
	kill "$tgt_pid" 2>/dev/null || true
	wait "$tgt_pid" 2>/dev/null || true
	tgt_pid=''
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
