#!/bin/sh
# cluster-bench.sh: the cluster's figures of BENCHMARKS.md ("Cluster").
#
#   make bench-cluster             (from the build directory), or
#   tests/bench/cluster-bench.sh [--ocmd PATH] [--bench PATH] [--out DIR] [--runs N] [--quick]
#
# Starts, on loopback only, its own nats-server -js (a port it picks, a
# store in DIR) and three ocmd nodes n1, n2, n3 on 127.0.0.1, .2 and .3
# (one port, workers = auto, [cluster] through that nats-server), fresh
# for every run (its keys kept), and one plain ocmd without [cluster] on
# 127.0.0.4; all servers on CPU 0, ocm-bench on CPU 1.  Then, --runs
# times each (default 3), interleaved:
#   a. join, rooms of 10 made on n1, JOINs on n1              -> joins/s
#   b. join, rooms of 10 made on n1, JOINs through n2 (hand-off) -> joins/s
#   c. relay, one room of 10, every member joined on n1       -> copies/s
#   d. relay, the same, members joined through n1, n2, n3    -> copies/s
#   e. relay, the same, against the plain ocmd               -> copies/s
# (ocm-bench --join-via makes a join run's rooms before the clock starts
# and times the JOINs only), and prints a markdown table of the medians
# with the ratios b/a, d/c and d/e.  The other processes' CPU that
# ocm-bench reports (all but itself and n1, or the plain ocmd) includes
# n2, n3 and nats-server: in b they do the hand-off's work.  A run starts
# once the CPUs have been 90 % idle for 3 s (20 tries at most).  Every
# run's JSON is kept in DIR/cluster.jsonl.  --quick makes every run short
# and does not wait for a quiet machine: a smoke run of this script, not
# a measurement.  Needs nats-server, an ocmd built with NATS, taskset
# (util-linux) and jq.  About 4 minutes.
set -eu

OCMD=daemon/ocmd
BENCH=tests/bench/ocm-bench
OUT=bench-cluster-results
RUNS=3
QUICK=0

usage() {
	sed -n '4,5s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
	case $1 in
	--ocmd) OCMD=$2; shift ;;
	--bench) BENCH=$2; shift ;;
	--out) OUT=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--quick) QUICK=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "cluster-bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

die() {
	echo "cluster-bench.sh: $*" >&2
	exit 1
}

for need in taskset:util-linux jq:jq ss:iproute2 nats-server:nats-server; do
	command -v "${need%:*}" > /dev/null || die "needs ${need%:*}: apt-get install ${need#*:}"
done
for f in "$OCMD" "$BENCH"; do
	[ -x "$f" ] || die "$f is not an executable (build first, or see --help)"
done
case $RUNS in
''|*[!0-9]*|0) die "--runs '$RUNS': give a whole number from 1" ;;
esac
OCMD=$(cd "$(dirname "$OCMD")" && pwd)/$(basename "$OCMD")
BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")

SCPU=0
CCPU=1
if [ "$(nproc)" -lt 2 ]; then
	echo "cluster-bench.sh: one CPU only: the servers and ocm-bench share it" >&2
	CCPU=0
fi

if [ "$QUICK" = 1 ]; then
	JOIN="--count 40 --duration 10"
	RELAY="--duration 0.5 --warmup 0.2"
	QUIET_TRIES=0
else
	JOIN="--count 2000 --duration 10"
	RELAY="--duration 5 --warmup 1"
	QUIET_TRIES=20
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/state"* "$OUT/nats-store"
: > "$OUT/cluster.jsonl"

# Every process started here, stopped by PID: the cluster's (CLUSTER)
# after each of its runs, the rest (PIDS) at the end.
PIDS=""
CLUSTER=""
stop_pids() {
	for p in "$@"; do
		kill "$p" 2> /dev/null || true
	done
	for p in "$@"; do
		wait "$p" 2> /dev/null || true
	done
}
stop_all() {
	# shellcheck disable=SC2086
	stop_pids $CLUSTER $PIDS
	CLUSTER=""
	PIDS=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# wait_log FILE PATTERN PID: until FILE has PATTERN (10 s at most, and
# only while PID lives).
wait_log() {
	n=0
	until grep -q -- "$2" "$1" 2> /dev/null; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$3" 2> /dev/null; then
			cat "$1" >&2
			die "waited in vain for '$2' in $1"
		fi
		sleep 0.1
	done
}

# A TCP and UDP port free on 127.0.0.1 to .4 (the nodes share one).
free_port() {
	used=$(ss -Htuan | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u)
	p=$((20000 + $$ % 20000))
	while [ $p -lt 60000 ]; do
		echo "$used" | grep -qx "$p" || { echo "$p"; return 0; }
		p=$((p + 1))
	done
	die "no free port"
}

nats_start() {
	rm -rf "$OUT/nats-store"
	taskset -c "$SCPU" nats-server -js -a 127.0.0.1 -p -1 -sd "$OUT/nats-store" \
		> "$OUT/nats.log" 2>&1 &
	NATS_PID=$!
	CLUSTER="$CLUSTER $NATS_PID"
	wait_log "$OUT/nats.log" "Server is ready" "$NATS_PID"
	NATS_PORT=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$OUT/nats.log" | head -n 1)
	[ -n "$NATS_PORT" ] || die "cannot tell nats-server's port from $OUT/nats.log"
}

# ocmd_conf N [NODE]: 127.0.0.N, in the cluster as NODE if given.  The
# limits are bench-all.sh's (the load generator is one address with every
# member and room), and failed joins are not held against it.
ocmd_conf() {
	cat <<EOF
[server]
listen = 127.0.0.$1:$PORT
state_dir = $OUT/state$1
control_socket = $OUT/control$1.sock
workers = auto
[limits]
chat_rate = 0
max_members = 200000
max_rooms = 100000
max_members_per_room = 1000
max_handshakes_per_address = 100000
max_rooms_per_address = 1000000
max_members_per_address = 10000000
max_failed_joins = 100000
EOF
	[ $# -lt 2 ] || printf '[cluster]\nnats = nats://127.0.0.1:%s\nnode = %s\n' \
		"$NATS_PORT" "$2"
}

# ocmd_start N [NODE]: sets OCMD_PID.
ocmd_start() {
	ocmd_conf "$@" > "$OUT/ocmd$1.conf"
	taskset -c "$SCPU" "$OCMD" -f -c "$OUT/ocmd$1.conf" 2> "$OUT/ocmd$1.log" &
	OCMD_PID=$!
	if [ $# -lt 2 ]; then PIDS="$PIDS $OCMD_PID"; else CLUSTER="$CLUSTER $OCMD_PID"; fi
	wait_log "$OUT/ocmd$1.log" "ready; server fingerprint" "$OCMD_PID"
	[ $# -lt 2 ] || wait_log "$OUT/ocmd$1.log" "cluster: node $2 joined through NATS" "$OCMD_PID"
}

# Waits until the CPUs have been idle for 90 % of 3 s (QUIET_TRIES times
# at most), so that other jobs do not skew a run.
wait_quiet() {
	[ "$QUIET_TRIES" -gt 0 ] || return 0
	n=0
	while [ $n -lt $QUIET_TRIES ]; do
		a=$(head -n 1 /proc/stat)
		sleep 3
		b=$(head -n 1 /proc/stat)
		idle=$(printf '%s\n%s\n' "$a" "$b" | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i
			if (NR == 1) { t0 = t; i0 = $5 + $6 } else printf "%d", 100 * ($5 + $6 - i0) / (t - t0) }')
		[ "$idle" -ge 90 ] && return 0
		n=$((n + 1))
	done
	echo "cluster-bench.sh: the machine is busy (${idle}% idle); measuring anyway" >&2
}

# run CASE PID ARGS...: one ocm-bench run, its JSON tagged with CASE and
# appended to cluster.jsonl; a run with losses or join retries says so.
run() {
	c=$1
	pid=$2
	shift 2
	wait_quiet
	if ! timeout 300 taskset -c "$CCPU" "$BENCH" "$@" -p "$PORT" --pid "$pid" --json \
	    --known-servers "$OUT/known_servers" > "$OUT/last.json" 2> "$OUT/last.err"; then
		cat "$OUT/last.err" >&2
		die "ocm-bench $* failed"
	fi
	jq -c --arg c "$c" '.params.case = $c' "$OUT/last.json" >> "$OUT/cluster.jsonl"
	echo "  $c: $(jq -c '.results.ocmd | {handshakes_per_s, copies_per_s, lost_copies,
	    join_retries, other_cpu_pct} | with_entries(select(.value != null))' \
	    "$OUT/last.json")" >&2
}

# A fresh cluster for every run: a node learns of rooms, and of their
# member counts, a few dozen a second (its watch of the rooms bucket), so
# what one run leaves behind would delay the next one's JOINs through
# another node.
cluster_start() {
	nats_start
	ocmd_start 1 n1
	N1=$OCMD_PID
	ocmd_start 2 n2
	ocmd_start 3 n3
}

cluster_stop() {
	# shellcheck disable=SC2086
	stop_pids $CLUSTER
	CLUSTER=""
}

# on_cluster CASE ARGS...: run with a fresh cluster.
on_cluster() {
	cluster_start
	c=$1
	shift
	run "$c" "$N1" "$@"
	cluster_stop
}

PORT=$(free_port)
ocmd_start 4
PLAIN=$OCMD_PID
echo "cluster-bench.sh: ocmd on port $PORT" >&2

ROOM="--rooms 1 --members 10"
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	echo "round $i of $RUNS" >&2
	# shellcheck disable=SC2086
	{
		on_cluster a join -s 127.0.0.1 --join-via 127.0.0.1 --members 10 $JOIN
		on_cluster b join -s 127.0.0.1 --join-via 127.0.0.2 --members 10 $JOIN
		on_cluster c relay -s 127.0.0.1 $ROOM $RELAY
		on_cluster d relay -s 127.0.0.1 --join-via 127.0.0.1,127.0.0.2,127.0.0.3 $ROOM $RELAY
		run e "$PLAIN" relay -s 127.0.0.4 $ROOM $RELAY
	}
done
stop_all

# The table: the median of each case, its runs, and the ratios.
jq -r -s '
def median: sort | .[length / 2 | floor];
def rate: .results.ocmd.handshakes_per_s // .results.ocmd.copies_per_s;
def cases: group_by(.params.case) | map({key: .[0].params.case, value: .}) | from_entries;
def fmt: . * 10 | round / 10 | tostring;
cases as $c |
($c | map_values(map(rate) | median)) as $m |
def row(k; what; unit):
	"| \(k) | \(what) | \(unit) | **\($m[k] | fmt)** [\($c[k] | map(rate | fmt) | join(" "))] | \($c[k] | map(.results.ocmd.lost_copies // 0) | add) | \($c[k] | map(.results.ocmd.join_retries // 0) | add) | \($c[k] | map(.results.ocmd.other_cpu_pct // 0) | max | fmt) |";
"| case | what | unit | median [runs] | copies lost | JOINs asked again | other processes\u0027 CPU, max (%) |",
"| --- | --- | --- | --- | --- | --- | --- |",
row("a"; "join: JOINs on n1, the home"; "joins/s"),
row("b"; "join: JOINs through n2, handed to n1"; "joins/s"),
row("c"; "relay, 1 room of 10, all joined on n1"; "copies/s"),
row("d"; "relay, the same, joined through n1, n2, n3"; "copies/s"),
row("e"; "relay, the same, one plain ocmd"; "copies/s"),
"",
"| ratio | value |",
"| --- | --- |",
"| b/a (JOIN through another node / through the home) | **\($m.b / $m.a * 1000 | round / 1000)** |",
"| d/c (members through three nodes / through the home) | **\($m.d / $m.c * 1000 | round / 1000)** |",
"| d/e (members through three nodes / a single ocmd) | **\($m.d / $m.e * 1000 | round / 1000)** |"
' "$OUT/cluster.jsonl" > "$OUT/table.md"
cat "$OUT/table.md"
echo "cluster-bench.sh: runs in $OUT/cluster.jsonl, the table in $OUT/table.md" >&2
