#!/bin/sh
# bench-all.sh: every measurement of BENCHMARKS.md in one command.
#
#   make bench                     (from the build directory), or
#   tests/bench/bench-all.sh [--ocmd PATH] [--bench PATH] [--ctl PATH]
#                            [--out DIR] [--port N] [--runs N] [--quick]
#
# Starts its own ocmd (pinned to CPU 0, with the configuration below, in
# DIR), runs ocm-bench pinned to CPU 1: relay in the closed loop for
# rooms of 2, 10 and 100 with the baseline, relay at half (and lower
# fractions of) the closed loop's rate, joins against raw TLS, idle
# memory with a fresh ocmd for every run.  Then the workers' runs, all
# with ocm-bench --lean: one worker's ceiling (ocmd alone on CPU 0),
# workers = 1 and workers = 2 sharing every CPU with the load generator,
# and latency at 1/16 to 3/4 of one worker's closed loop for both, in
# rooms of 2, 10 and 100 (--quick: rooms of 10).  Every relay run keeps
# what ocmd's own counters say of it (its arrival-to-send histogram, its
# sockets' drops), and a last table checks the fixed-rate runs against
# the load targets.  Each configuration is run
# --runs times (default 3); a run is started only once the machine has
# been 95 % idle for 3 s, and made again (twice at most) when other
# processes took more than 5 % of a CPU during it.  Every run's JSON is
# kept in DIR/*.jsonl and the medians are printed as the tables of
# BENCHMARKS.md.  --quick makes every run short and small and does not
# wait for a quiet machine: a smoke test of this script, not a
# measurement.  Needs taskset (util-linux) and jq.
# A full run takes about 40 minutes.
set -eu

OCMD=daemon/ocmd
BENCH=tests/bench/ocm-bench
CTL=ctl/ocmctl
OUT=bench-results
PORT=7611
RUNS=3
QUICK=0

usage() {
	sed -n '4,5s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
	case $1 in
	--ocmd) OCMD=$2; shift ;;
	--bench) BENCH=$2; shift ;;
	--ctl) CTL=$2; shift ;;
	--out) OUT=$2; shift ;;
	--port) PORT=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--quick) QUICK=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench-all.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

for need in taskset:util-linux jq:jq; do
	command -v "${need%:*}" > /dev/null ||
		{ echo "bench-all.sh: needs ${need%:*}: apt-get install ${need#*:}" >&2; exit 1; }
done
for f in "$OCMD" "$BENCH" "$CTL"; do
	[ -x "$f" ] || { echo "bench-all.sh: $f is not an executable (build first, or see --help)" >&2; exit 1; }
done
OCMD=$(cd "$(dirname "$OCMD")" && pwd)/$(basename "$OCMD")
BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
CTL=$(cd "$(dirname "$CTL")" && pwd)/$(basename "$CTL")

# ocmd on CPU 0, the load generator on CPU 1; one CPU shares.
SCPU=0
CCPU=1
if [ "$(nproc)" -lt 2 ]; then
	echo "bench-all.sh: one CPU only: ocmd and ocm-bench share it, the figures mean little" >&2
	CCPU=0
fi

if [ "$QUICK" = 1 ]; then
	# A loaded machine (make -j check) may hold a copy back for a second
	# or more: the smoke run waits 5 s before it calls one lost.
	TIME="--duration 0.5 --warmup 0.2 --loss-timeout 5"
	JOIN="--count 40 --duration 10"
	IDLE_SIZES="200"
	IDLE="--rooms 20 --duration 1"
	QUIET_TRIES=0
	SWEEP_SHAPES="20x10"
else
	TIME="--duration 5 --warmup 1"
	JOIN="--count 2000 --duration 10"
	IDLE_SIZES="10000 100000"
	IDLE="--rooms 1000 --concurrency 64 --duration 15"
	QUIET_TRIES=100
	SWEEP_SHAPES="100x2 20x10 2x100"
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# write_conf WORKERS: the default configuration but for the flood limit
# and the caps (daemon-wide and per address), which the load would
# otherwise hit.
write_conf() {
	cat > "$OUT/ocmd.conf" <<EOF
[server]
listen = 127.0.0.1:$PORT
state_dir = $OUT/state
control_socket = $OUT/control.sock
workers = $1
[limits]
chat_rate = 0
max_members = 200000
max_rooms = 100000
max_members_per_room = 1000
# The load generator is one address with every member and room.
max_handshakes_per_address = 100000
max_rooms_per_address = 1000000
max_members_per_address = 10000000
EOF
}
write_conf 1
ALL_CPUS=0-$(($(nproc) - 1))
OCPU=$SCPU	# where start_ocmd puts ocmd
BCPU=$CCPU	# where run puts ocm-bench
TAG=""

OCMD_PID=""
stop_ocmd() {
	if [ -n "$OCMD_PID" ]; then
		kill "$OCMD_PID" 2> /dev/null || true
		wait "$OCMD_PID" 2> /dev/null || true
		OCMD_PID=""
	fi
}
trap stop_ocmd EXIT
trap 'exit 130' INT TERM

start_ocmd() {
	rm -rf "$OUT/state"
	mkdir -p "$OUT/state"
	# Emptied here, not by the redirection below (which the background
	# job makes later): the previous ocmd's "ready" must not be read as
	# this one's.
	: > "$OUT/ocmd.log"
	taskset -c "$OCPU" "$OCMD" -f -c "$OUT/ocmd.conf" 2> "$OUT/ocmd.log" &
	OCMD_PID=$!
	n=0
	until grep -q "ready; server fingerprint" "$OUT/ocmd.log"; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$OCMD_PID" 2> /dev/null; then
			echo "bench-all.sh: ocmd did not start:" >&2
			cat "$OUT/ocmd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# Waits until the CPUs have been idle for 95 % of 3 s (QUIET_TRIES times
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
		[ "$idle" -ge 95 ] && return 0
		n=$((n + 1))
	done
	echo "bench-all.sh: the machine is busy (${idle}% idle); measuring anyway" >&2
}

# ocmd's own counters, for what a run added to them.
ocmd_stats() {
	"$CTL" -s "$OUT/control.sock" --json stats
}

# held FILE_BEFORE FILE_AFTER: from ocmd's arrival-to-send histogram, what
# one run added: its copies, the longest any was held inside ocmd (the
# upper bound of the highest bucket that grew, in ms) and how many were
# held 8 ms or more, and the kernel's drops at its sockets.
held() {
	jq -c --slurpfile b "$1" '($b[0].latency_us.buckets) as $b0 |
	    [.latency_us.buckets | to_entries[] | select(.key != "+Inf") |
	     {us: (.key | tonumber), n: (.value - $b0[.key])} | select(.n > 0)] as $d |
	    {ocmd_held_copies: ([$d[].n] | add // 0),
	     ocmd_held_max_ms: (([$d[].us] | max // 0) / 1000),
	     ocmd_held_8ms: ([$d[] | select(.us > 8192) | .n] | add // 0),
	     ocmd_socket_drops: (.socket_drops - $b[0].socket_drops)}' "$2"
}

# run FILE ARGS...: one ocm-bench run appended to FILE as a JSON line,
# with what ocmd's own counters say of a relay run.
run() {
	file=$1
	shift
	for try in 1 2 3; do
		wait_quiet
		ocmd_stats > "$OUT/stats-before.json"
		if ! taskset -c "$BCPU" "$BENCH" "$@" -p "$PORT" --pid "$OCMD_PID" --json \
		    > "$OUT/last.json" 2> "$OUT/last.err"; then
			echo "bench-all.sh: ocm-bench $* failed:" >&2
			cat "$OUT/last.err" >&2
			exit 1
		fi
		ocmd_stats > "$OUT/stats-after.json"
		other=$(jq '[.results[].other_cpu_pct // 0] | max' "$OUT/last.json")
		awk "BEGIN { exit !($other <= 5) }" && break
		echo "bench-all.sh: disturbed (other processes at $other %), again" >&2
	done
	own=$(held "$OUT/stats-before.json" "$OUT/stats-after.json")
	if [ "$1" = relay ]; then
		jq -c --argjson own "$own" '.results.ocmd += $own' "$OUT/last.json" > "$OUT/last2.json"
		mv "$OUT/last2.json" "$OUT/last.json"
	fi
	if [ -n "$TAG" ]; then
		# The workers' runs: how ocmd ran, and the hand-offs beyond the
		# joins that the run made (chat must make none).
		before=$(jq .handoffs "$OUT/stats-before.json")
		after=$(jq .handoffs "$OUT/stats-after.json")
		jq -c --argjson tag "$TAG" --argjson extra "$((after - before - JOINS))" \
		    '.params += $tag | .results.ocmd.extra_handoffs = $extra' "$OUT/last.json" \
		    >> "$file"
	else
		cat "$OUT/last.json" >> "$file"
	fi
	echo "  $(jq -c '{mode, params: (.params | del(.server, .port, .pid))}' "$OUT/last.json")" >&2
}

repeat() {
	i=0
	while [ $i -lt "$RUNS" ]; do
		run "$@"
		i=$((i + 1))
	done
}

# Half (or another fraction) of the median closed-loop message rate.
rate_of() {
	jq -s --argjson rooms "$1" --argjson members "$2" --argjson div "$3" '
	    [.[] | select(.params.rooms == $rooms and .params.members == $members and
	        .params.rate == 0 and .results.ocmd.sockets == $rooms * $members) |
	     .results.ocmd.msgs_per_s // empty] | sort | .[length / 2 | floor] // 0 | . / $div |
	    floor' "$OUT/relay.jsonl"
}
# need_rate RATE WHAT: a fixed rate needs the closed-loop run it comes from.
need_rate() {
	[ "$1" -gt 0 ] 2> /dev/null && return 0
	echo "bench-all.sh: no closed-loop run of $2 to take a rate from; the runs:" >&2
	jq -c '{params: (.params | del(.server, .port, .pid)), ocmd: .results.ocmd}' \
	    "$OUT/relay.jsonl" "$OUT/workers.jsonl" >&2 2> /dev/null
	exit 1
}

: > "$OUT/relay.jsonl"
: > "$OUT/latency.jsonl"
: > "$OUT/join.jsonl"
: > "$OUT/idle.jsonl"

echo "relay, closed loop" >&2
start_ocmd
# shellcheck disable=SC2086
for shape in "100 2" "20 10" "2 100" "100 2 --sockets 2" "1 2" "1 10" "1 100"; do
	set -- $shape
	rooms=$1 members=$2
	shift 2
	repeat "$OUT/relay.jsonl" relay --rooms "$rooms" --members "$members" "$@" \
	    --baseline --server-cpu "$SCPU" $TIME
done

echo "relay, fixed rates" >&2
# shellcheck disable=SC2086
for spec in "20 10 2" "20 10 4" "20 10 8" "1 10 2"; do
	set -- $spec
	rate=$(rate_of "$1" "$2" "$3")
	need_rate "$rate" "$1 rooms of $2"
	repeat "$OUT/latency.jsonl" relay --rooms "$1" --members "$2" --rate "$rate" $TIME
done

echo "joins" >&2
# shellcheck disable=SC2086
for c in 1 2; do
	repeat "$OUT/join.jsonl" join --concurrency "$c" --server-cpu "$SCPU" $JOIN
done
stop_ocmd

echo "idle memory" >&2
for k in $IDLE_SIZES; do
	i=0
	while [ $i -lt "$RUNS" ]; do
		# A fresh ocmd: memory an earlier run freed would be reused.
		start_ocmd
		# shellcheck disable=SC2086
		run "$OUT/idle.jsonl" idle --members "$k" $IDLE
		stop_ocmd
		i=$((i + 1))
	done
done

# Workers, with the lean load generator throughout.  TAG marks the runs
# (workers, and whether ocmd had CPU 0 alone or shared every CPU with
# ocm-bench); JOINS is what each run joins, to tell chat hand-offs apart.
echo "workers: one worker alone on CPU $SCPU" >&2
: > "$OUT/workers.jsonl"
: > "$OUT/workers-latency.jsonl"
start_ocmd
# shellcheck disable=SC2086
for shape in "100 2" "20 10" "2 100"; do
	set -- $shape
	JOINS=$(($1 * $2))
	TAG='{"workers":1,"cpus":"alone"}'
	repeat "$OUT/workers.jsonl" relay --rooms "$1" --members "$2" --lean \
	    --server-cpu "$SCPU" $TIME
done
stop_ocmd
OCPU=$ALL_CPUS
BCPU=$ALL_CPUS
for w in 1 2; do
	echo "workers: workers = $w, sharing CPUs $ALL_CPUS with ocm-bench" >&2
	write_conf "$w"
	start_ocmd
	# shellcheck disable=SC2086
	for shape in "100 2" "20 10" "2 100"; do
		set -- $shape
		JOINS=$(($1 * $2))
		TAG="{\"workers\":$w,\"cpus\":\"shared\"}"
		repeat "$OUT/workers.jsonl" relay --rooms "$1" --members "$2" --lean $TIME
	done
	stop_ocmd
done
# Latency at fixed fractions (1/16 to 3/4) of one worker's lean
# closed-loop rate, for each shape.
lean_rate() {
	jq -s --argjson rooms "$1" --argjson div "$2" '[.[] | select(.params.cpus == "alone" and
	    .params.rooms == $rooms) | .results.ocmd.msgs_per_s] | sort |
	    .[length / 2 | floor] // 0 | . / $div | floor' "$OUT/workers.jsonl"
}
for w in 1 2; do
	if [ "$w" = 1 ]; then
		OCPU=$SCPU BCPU=$CCPU cpus=alone
	else
		OCPU=$ALL_CPUS BCPU=$ALL_CPUS cpus=shared
	fi
	echo "workers: latency, workers = $w ($cpus)" >&2
	write_conf "$w"
	start_ocmd
	# shellcheck disable=SC2086
	for shape in $SWEEP_SHAPES; do
		set -- ${shape%x*} ${shape#*x}
		for div in 16 8 4 2 1.3333; do
			JOINS=$(($1 * $2))
			TAG="{\"workers\":$w,\"cpus\":\"$cpus\"}"
			rate=$(lean_rate "$1" "$div")
			need_rate "$rate" "$1 rooms of $2, one worker alone"
			repeat "$OUT/workers-latency.jsonl" relay --rooms "$1" --members "$2" --lean \
			    --rate "$rate" $TIME
		done
	done
	stop_ocmd
done
TAG=""
OCPU=$SCPU
BCPU=$CCPU
write_conf 1

# The tables: medians over the runs of each configuration.
jq -r -s -f "$(dirname "$0")/bench-tables.jq" "$OUT/relay.jsonl" "$OUT/latency.jsonl" \
    "$OUT/join.jsonl" "$OUT/idle.jsonl" "$OUT/workers.jsonl" "$OUT/workers-latency.jsonl" \
    > "$OUT/tables.md"
cat "$OUT/tables.md"
echo "bench-all.sh: runs in $OUT/*.jsonl, tables in $OUT/tables.md" >&2
