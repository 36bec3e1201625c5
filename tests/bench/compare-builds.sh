#!/bin/sh
# compare-builds.sh OLD_OCMD NEW_OCMD [ROUNDS]: two builds of ocmd side by
# side in one run, taken in turn round by round (ocmd pinned to CPU 0,
# ocm-bench to CPU 1, workers = 1, no flood limit): the relay's closed loop
# with the lean load generator in 20 rooms of 10 and 100 rooms of 2, and
# joins.  Prints every run as a JSON line, then the medians of each build
# and new/old.  Run from the build directory (it takes that ocm-bench);
# ROUNDS is 3 unless given.  Needs taskset and jq, and a quiet machine.
set -eu
[ $# -ge 2 ] || { echo "usage: compare-builds.sh OLD_OCMD NEW_OCMD [ROUNDS]" >&2; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-3}
BENCH=${BENCH:-tests/bench/ocm-bench}
for f in "$OLD" "$NEW" "$BENCH"; do
	[ -x "$f" ] || { echo "compare-builds.sh: $f is not an executable" >&2; exit 1; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/ocm-compare.XXXXXX")
PORT=${PORT:-7631}
P=""
trap '[ -n "$P" ] && kill "$P" 2> /dev/null; rm -rf "$D"' EXIT
trap 'exit 130' INT TERM
cat > "$D/ocmd.conf" <<EOC
[server]
listen = 127.0.0.1:$PORT
state_dir = $D/state
control_socket = $D/control.sock
workers = 1
[limits]
chat_rate = 0
max_members = 200000
max_rooms = 100000
max_members_per_room = 1000
max_handshakes_per_address = 100000
max_rooms_per_address = 1000000
max_members_per_address = 10000000
EOC
start() {
	rm -rf "$D/state"
	mkdir -p "$D/state"
	: > "$D/ocmd.log"
	taskset -c 0 "$1" -f -c "$D/ocmd.conf" 2> "$D/ocmd.log" &
	P=$!
	n=0
	until grep -q "ready; server fingerprint" "$D/ocmd.log"; do
		n=$((n + 1))
		[ $n -le 100 ] && kill -0 "$P" 2> /dev/null ||
			{ echo "compare-builds.sh: $1 did not start:" >&2; cat "$D/ocmd.log" >&2; exit 1; }
		sleep 0.1
	done
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	for which in old new; do
		bin=$OLD
		[ $which = new ] && bin=$NEW
		start "$bin"
		for shape in "20 10" "100 2"; do
			set -- $shape
			taskset -c 1 "$BENCH" relay --rooms "$1" --members "$2" --lean -p "$PORT" \
			    --pid "$P" --duration 4 --warmup 1 --json |
			    jq -c --arg w $which '{build: $w, what: "relay \(.params.rooms)x\(.params.members)",
			        value: .results.ocmd.copies_per_s, lost: .results.ocmd.lost_copies,
			        other_cpu_pct: .results.ocmd.other_cpu_pct}' >> "$D/runs.jsonl"
		done
		taskset -c 1 "$BENCH" join --count 1000 --concurrency 2 -p "$PORT" --pid "$P" --json |
		    jq -c --arg w $which '{build: $w, what: "joins/s", value: .results.ocmd.handshakes_per_s,
		        lost: 0, other_cpu_pct: .results.ocmd.other_cpu_pct}' >> "$D/runs.jsonl"
		kill "$P"
		wait "$P" 2> /dev/null || true
		P=""
	done
	r=$((r + 1))
done
cat "$D/runs.jsonl"
jq -rs 'def median: sort | .[length / 2 | floor];
	group_by(.what)[] | . as $g |
	([$g[] | select(.build == "old") | .value] | median) as $o |
	([$g[] | select(.build == "new") | .value] | median) as $n |
	"\($g[0].what): old \($o | floor), new \($n | floor), new/old \(($n / $o * 1000 | round) / 1000); lost \([$g[].lost] | add)"' \
	"$D/runs.jsonl"
