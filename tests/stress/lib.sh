# lib.sh: shared by tests/stress/*.test (make check-stress).  Builds on
# the integration tests' lib.sh (a real ocmd on a free loopback port, every
# process stopped by PID) and adds what a stress test needs: ocm-bench,
# ocmctl, /proc readers for ocmd's RSS and descriptors, background loops
# that stop on their own, and the one RESULT line each test prints, which
# tests/stress/report.sh turns into RELIABILITY.md.
. "$top_srcdir/tests/integration/lib.sh"

BENCH=$top_builddir/tests/bench/ocm-bench
CTL=$top_builddir/ctl/ocmctl
RESULT_NAME=""
RESULT_TARGET=""
RESULT_DONE=""
FIGURE=""
UNIT=""

# stress_begin NAME TARGET: the test's name and the target it checks, as
# RELIABILITY.md states it.
stress_begin() {
	RESULT_NAME=$1
	RESULT_TARGET=$2
}

# result PASS DETAIL: the one machine-readable line of the test, with
# $FIGURE and $UNIT (one word each), the date, the commit measured and the
# machine's size.  PASS is yes, no, or partial: ocmd met the target at a
# load short of the one it names, which this machine could not generate.
# The detail goes on one line, its double quotes made single.
result() {
	commit=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown)
	detail=$(printf '%s' "$2" | tr '\n"' " '")
	echo "RESULT name=$RESULT_NAME pass=$1 figure=${FIGURE:-none} unit=${UNIT:--}" \
		"target=\"$RESULT_TARGET\" detail=\"$detail\" date=$(date -u +%Y-%m-%d)" \
		"commit=$commit workers=${OCM_TEST_WORKERS:-auto} cpus=$(nproc)"
	RESULT_DONE=1
}

# verdict DETAIL CONDITION...: pass=yes when the shell condition holds;
# exits 1 (the test fails) when it does not.
verdict() {
	detail=$1
	shift
	if "$@"; then
		result yes "$detail"
		return 0
	fi
	result no "$detail"
	fail "$RESULT_NAME: $detail"
}

# Every failure still yields a RESULT line, pass=no, so that the report
# shows the test; the ocmd log is cut to its end (stress runs are long).
fail() {
	[ -n "$RESULT_DONE" ] || result no "$*"
	echo "FAIL: $*"
	if [ -f "$T/ocmd.log" ]; then
		echo "--- ocmd log (last 40 lines)"
		tail -n 40 "$T/ocmd.log"
	fi
	exit 1
}

# Background loops (loop_start) see $T/stop and end by themselves; the
# EXIT trap raises it before lib.sh's cleanup stops what is left.
stress_cleanup() {
	status=$?
	set +e
	: > "$T/stop"
	(exit "$status")	# cleanup takes the test's status from $?
	cleanup
}
trap stress_cleanup EXIT

# loop_start NAME FUNCTION ARGS...: FUNCTION ARGS... in the background,
# output in $T/NAME.out; the function should return once $T/stop exists.
loop_start() {
	name=$1
	shift
	"$@" > "$T/$name.out" 2>&1 &
	PIDS="$PIDS $!"
	eval "LOOP_$name=\$!"
}

# loop_stop NAME: raises $T/stop and waits for the loop.
loop_stop() {
	: > "$T/stop"
	eval "pid=\$LOOP_$1"
	wait "$pid" || true
}

stopping() {
	[ -e "$T/stop" ]
}

# nofile_at_least N: raises this shell's RLIMIT_NOFILE (and so that of
# everything it starts) to N descriptors, or fails saying why.
nofile_at_least() {
	[ "$(ulimit -n)" = unlimited ] && return 0
	[ "$(ulimit -n)" -ge "$1" ] && return 0
	ulimit -n "$1" 2>/dev/null ||
		fail "cannot raise the descriptor limit to $1 (hard limit $(ulimit -Hn)): raise it, e.g. as root"
}

# fd_count PID: descriptors the process has open.
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# rss_kib PID [FIELD]: its resident set in KiB, or another field of
# /proc/PID/status (RssAnon: the anonymous part, which a leak grows and
# the page cache does not shrink).
rss_kib() {
	sed -n "s/^${2:-VmRSS}:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"
}

# udp_drops PID: datagrams the kernel has dropped so far, for want of
# buffer space, on the UDP sockets that process holds (from /proc/net/udp,
# matched by inode).  Read for ocmd and for ocm-bench while the load runs,
# it tells on which side a lost copy was lost.
udp_drops() {
	ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' \
		> "$T/inodes.$1" || true
	awk 'NR == FNR { own[$1] = 1; next }
	    FNR > 1 && ($10 in own) { d += $NF }
	    END { print d + 0 }' "$T/inodes.$1" /proc/net/udp
}

ctl() {
	"$CTL" -s "$T/control.sock" "$@"
}

# ctl_stat FILE KEY: the first number named KEY in an "ocmctl --json"
# output (drop reasons and handshake failures have unique names).
ctl_stat() {
	sed -n "s/^ *\"$2\": \([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# bench ARGS...: ocm-bench --json against the test's ocmd.  In the
# background, run "$BENCH" itself instead: $! must be its PID (it names
# the rooms after it).
bench() {
	"$BENCH" -p "$PORT" --known-servers "$T/known_servers" --json "$@"
}

# bench_val FILE KEY: one number of the ocmd column of a --json output.
bench_val() {
	sed -n "s/.*\"ocmd\":{\([^}]*\)}.*/\1/p" "$1" | tr ',' '\n' |
		sed -n "s/^\"$2\":\(.*\)$/\1/p"
}

# pct_change A B: (B - A) / A in per cent, one decimal.
pct_change() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a > 0 ? 100 * (b - a) / a : 0) }'
}

# within_pct X LIMIT: |X| <= LIMIT.
within_pct() {
	awk -v x="$1" -v l="$2" 'BEGIN { exit !(x <= l && -x <= l) }'
}

# now_ms: milliseconds since the epoch.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}
