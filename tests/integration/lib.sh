# lib.sh: shared by tests/integration/*.test.  Starts a real ocmd on a
# free loopback port with a throwaway state dir, and offers helpers to
# drive ocm-peer and ocm-client against it.  Every wait is bounded; every
# process started here is stopped by PID on exit.
set -eu
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"

OCMD=$top_builddir/daemon/ocmd
PEER=$top_builddir/tests/integration/ocm-peer
CLIENT=$top_builddir/client/ocm-client
T=$(mktemp -d "${TMPDIR:-/tmp}/ocm-test.XXXXXX")
PIDS=""
OCMD_PID=""
PORT=""

# OCM_TEST_VALGRIND=1 (make check-valgrind): ocmd_start runs ocmd under
# valgrind's memcheck.  An error, or a block lost for good at exit, makes
# it exit 99, which ocmd_stop fails on; cleanup fails the test on any
# report left in $T/valgrind.*, for the tests that leave ocmd to it.
# Under valgrind ocmd runs tens of times slower: wait_for waits SLOW
# times as long.
SLOW=1
if [ -n "${OCM_TEST_VALGRIND:-}" ]; then
	SLOW=${OCM_TEST_SLOW:-5}
fi

cleanup() {
	status=$?
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for f in "$T"/valgrind.*; do
		[ -s "$f" ] || continue
		echo "--- valgrind report (ocmd): $f"
		cat "$f"
		status=1
	done
	# A sanitizer report in any log fails the test, whatever it asserted
	# (ThreadSanitizer lets the process go on after a race).
	if grep -qs "ThreadSanitizer\|AddressSanitizer\|runtime error:" "$T"/*.log \
		"$T"/*.err 2>/dev/null; then
		for f in "$T"/*.log "$T"/*.err; do
			grep -q "Sanitizer\|runtime error:" "$f" 2>/dev/null && { echo "--- $f"; cat "$f"; }
		done
		status=1
	fi
	rm -rf "$T"
	exit "$status"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	if [ -f "$T/ocmd.log" ]; then
		echo "--- ocmd log"
		cat "$T/ocmd.log"
	fi
	exit 1
}

pass() {
	echo "ok: $*"
}

# wait_for FILE PATTERN [SECONDS]: until grep finds PATTERN in FILE
# (SECONDS times SLOW, at most).
wait_for() {
	n=$(( ${3:-10} * 20 * SLOW ))
	while [ "$n" -gt 0 ]; do
		if [ -f "$1" ] && grep -q -- "$2" "$1"; then
			return 0
		fi
		sleep 0.05
		n=$((n - 1))
	done
	fail "waited $(( ${3:-10} * SLOW )) s for '$2' in $(basename "$1")"
}

# wait_online ROOM USER: until ocmd logs USER online in ROOM (its first
# datagram came), so that what follows finds the room and its member
# however slow ocmd runs.
wait_online() {
	wait_for "$T/ocmd.log" "'$2' is online in room '$1'"
}

# ocmd_exec ARGS...: becomes ocmd, or valgrind running it (see SLOW);
# run it in the background, so that $! is ocmd's PID either way.
ocmd_exec() {
	if [ -z "${OCM_TEST_VALGRIND:-}" ]; then
		exec "$OCMD" "$@"
	fi
	exec valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		--log-file="$T/valgrind.%p" "$OCMD" "$@"
}

# ocmd_start [LIMITS...]: each argument is a "key = value" line for [limits].
# OCM_TEST_WORKERS sets [server] workers (default auto), so that the whole
# suite runs with one worker and with several.
ocmd_start() {
	PORT=$("$PEER" free-port)
	{
		echo "[server]"
		echo "listen = 127.0.0.1:$PORT"
		echo "state_dir = $T/state"
		echo "control_socket = $T/control.sock"
		echo "workers = ${OCM_TEST_WORKERS:-auto}"
		echo "[limits]"
		for line in "$@"; do
			echo "$line"
		done
	} > "$T/ocmd.conf"
	: > "$T/ocmd.log"
	ocmd_exec -f -c "$T/ocmd.conf" 2>>"$T/ocmd.log" &
	OCMD_PID=$!
	PIDS="$PIDS $OCMD_PID"
	wait_for "$T/ocmd.log" "ready; server fingerprint" 10
}

# ocmd_stop: SIGTERM, and ocmd must exit 0 within 10 s (times SLOW).
ocmd_stop() {
	kill -TERM "$OCMD_PID"
	n=$(( 200 * SLOW ))
	while kill -0 "$OCMD_PID" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	if kill -0 "$OCMD_PID" 2>/dev/null; then
		kill -KILL "$OCMD_PID" 2>/dev/null || true
		fail "ocmd still running $(( 10 * SLOW )) s after SIGTERM"
	fi
	status=0
	wait "$OCMD_PID" || status=$?
	[ "$status" -ne 99 ] || [ -z "${OCM_TEST_VALGRIND:-}" ] ||
		fail "valgrind found errors or leaks in ocmd (report at the end)"
	[ "$status" -eq 0 ] || fail "ocmd exited with status $status after SIGTERM"
}

peer() {
	"$PEER" -p "$PORT" -k "$T/known_servers" "$@"
}

# peer_bg NAME COMMANDS...: a peer in the background, output in $T/NAME.out
peer_bg() {
	name=$1
	shift
	"$PEER" -p "$PORT" -k "$T/known_servers" "$@" > "$T/$name.out" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$name=\$!"
}

# peer_wait NAME: waits for a background peer; fails if it failed.
peer_wait() {
	eval "pid=\$PID_$1"
	status=0
	wait "$pid" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "--- $1"
		cat "$T/$1.out"
		fail "peer $1 exited with status $status"
	fi
}

# has FILE LINE: FILE contains exactly that line.
has() {
	grep -qxF -- "$2" "$1" || { echo "--- $(basename "$1")"; cat "$1"; fail "no line '$2' in $(basename "$1")"; }
}

# lacks FILE TEXT: FILE does not contain TEXT.
lacks() {
	if grep -qF -- "$2" "$1"; then
		echo "--- $(basename "$1")"
		cat "$1"
		fail "unexpected '$2' in $(basename "$1")"
	fi
}

# stat_is NAME VALUE: the exit stats line of the log has NAME=VALUE.
stat_is() {
	line=$(grep 'stats:' "$T/ocmd.log" | tail -n 1)
	case " $line " in
	*" $1=$2"[\ \;]*) ;;
	*) fail "expected $1=$2 in: $line" ;;
	esac
}

# client_start NAME ARGS...: ocm-client in pipe mode reading the FIFO
# $T/NAME.in (open it for writing with: exec N> "$T/NAME.in"), writing
# $T/NAME.out and $T/NAME.err.
client_start() {
	name=$1
	shift
	mkfifo "$T/$name.in"
	# Without the other clients' FIFO write ends (fds 3-9), so that
	# closing one is that client's EOF.
	"$CLIENT" -s 127.0.0.1 -p "$PORT" --known-servers "$T/known_servers" "$@" \
		< "$T/$name.in" > "$T/$name.out" 2> "$T/$name.err" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	PIDS="$PIDS $!"
	eval "CPID_$name=\$!"
}

# client_wait NAME: waits (at most 10 s) for the client; its exit status
# is then in $STATUS.  (Not in $(...): only this shell can wait for it.)
client_wait() {
	eval "pid=\$CPID_$1"
	n=200
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	STATUS=0
	wait "$pid" || STATUS=$?
}
