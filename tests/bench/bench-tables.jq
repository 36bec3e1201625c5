# bench-tables.jq: the tables of BENCHMARKS.md from ocm-bench's JSON lines
# (jq -r -s -f bench-tables.jq relay.jsonl latency.jsonl ...): the median
# of every figure over the runs of one configuration, the runs in brackets
# where they matter.

def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def group3: if length <= 3 then . else (.[:-3] | group3) + "," + .[-3:] end;
def commas: if . == null then "-" else floor | tostring | group3 end;
def dec(d): if . == null then "-" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
def ms: if . == null then "-" else . / 1000 | dec(2) end;
def med(col; k): [.[] | .results[col][k] // empty] | median;
def runs(col; k; f): "[" + ([.[] | .results[col][k] // empty | f] | join(" ")) + "]";
def ratio(k): [.[] | .ratios[k] // empty] | median;
def row: "| " + join(" | ") + " |";
# Loss over the runs of a group, and where it happened: copies lost, the
# datagrams the kernel dropped at ocmd's sockets and at the load
# generator's ("-" where not measured), and chats ocmd REJECTED (not lost).
def total(col; k): [.[] | .results[col][k] // empty] | if length == 0 then null else add end;
def loss(col): "\(total(col; "lost_copies") | commas) (socket drops: ocmd \(total(col; "server_socket_drops") | commas), generator \(total(col; "bench_socket_drops") | commas); rejected \(total(col; "rejected") | commas))";

(map(select(.mode == "relay" and .params.rate == 0 and .params.workers == null)) |
	group_by([.params.rooms, .params.members, .results.ocmd.sockets]) |
	sort_by(.[0].params.members, -.[0].params.rooms, -.[0].results.ocmd.sockets) |
	"## Relay, closed loop\n",
	(["rooms × members", "sockets", "ocmd copies/s [runs]", "baseline copies/s",
	  "ocmd / baseline", "ocmd msgs/s", "p50 / p99 / p99.9 (ms)", "copies per datagram",
	  "server CPU per copy, ocmd / baseline (ns)", "ocmd CPU %", "load gen. idle %",
	  "lost (where)"] | row),
	([range(12)] | map("---") | row),
	(.[] | [
		"\(.[0].params.rooms) × \(.[0].params.members)",
		(.[0].results.ocmd.sockets | tostring),
		"**\(med("ocmd"; "copies_per_s") | commas)** \(runs("ocmd"; "copies_per_s"; commas))",
		(med("baseline"; "copies_per_s") | commas),
		(ratio("copies_per_s") | dec(2)),
		(med("ocmd"; "msgs_per_s") | commas),
		"\(med("ocmd"; "latency_p50_us") | ms) / \(med("ocmd"; "latency_p99_us") | ms) / \(med("ocmd"; "latency_p999_us") | ms)",
		(med("ocmd"; "copies_per_datagram") | dec(2)),
		"\(med("ocmd"; "server_ns_per_copy") | commas) / \(med("baseline"; "server_ns_per_copy") | commas)",
		(med("ocmd"; "server_cpu_pct") | dec(0)),
		(med("ocmd"; "bench_idle_pct") | dec(1)),
		loss("ocmd")
	] | row),
	""),

(map(select(.mode == "relay" and .params.rate > 0 and .params.workers == null)) |
	group_by([.params.rooms, .params.members, .params.rate]) |
	sort_by(-.[0].params.rooms, -.[0].params.rate) |
	"## Relay at fixed rates\n",
	(["rooms × members", "rate (msgs/s)", "copies/s", "p50 (ms)", "p99 (ms) [runs]",
	  "p99.9 (ms)", "copies per datagram", "ocmd CPU %", "lost (where)"] | row),
	([range(9)] | map("---") | row),
	(.[] | [
		"\(.[0].params.rooms) × \(.[0].params.members)",
		(.[0].params.rate | commas),
		(med("ocmd"; "copies_per_s") | commas),
		(med("ocmd"; "latency_p50_us") | ms),
		"**\(med("ocmd"; "latency_p99_us") | ms)** \(runs("ocmd"; "latency_p99_us"; ms))",
		(med("ocmd"; "latency_p999_us") | ms),
		(med("ocmd"; "copies_per_datagram") | dec(2)),
		(med("ocmd"; "server_cpu_pct") | dec(0)),
		loss("ocmd")
	] | row),
	""),

(map(select(.mode == "join")) | group_by(.params.concurrency) |
	"## Joins\n",
	(["concurrency", "ocmd handshakes/s [runs]", "raw TLS handshakes/s", "ocmd / raw [runs]",
	  "p50 ocmd / raw (ms)", "server CPU per handshake, ocmd / raw (µs)"] | row),
	([range(6)] | map("---") | row),
	(.[] | [
		(.[0].params.concurrency | tostring),
		"**\(med("ocmd"; "handshakes_per_s") | dec(1))** \(runs("ocmd"; "handshakes_per_s"; dec(1)))",
		(med("raw_tls"; "handshakes_per_s") | dec(1)),
		"**\(ratio("handshakes_per_s") | dec(3))** [\([.[] | .ratios.handshakes_per_s // empty | dec(3)] | join(" "))]",
		"\(med("ocmd"; "latency_p50_ms") | dec(2)) / \(med("raw_tls"; "latency_p50_ms") | dec(2))",
		"\(med("ocmd"; "server_cpu_us") | dec(0)) / \(med("raw_tls"; "server_cpu_us") | dec(0))"
	] | row),
	""),

(map(select(.mode == "idle")) | group_by(.params.members) |
	"## Idle memory\n",
	(["members (rooms)", "UDP sockets", "RSS before (KiB)", "RSS all online (KiB)",
	  "RSS at the end (KiB)", "RSS per online member (bytes) [runs]", "sessions closed"] | row),
	([range(7)] | map("---") | row),
	(.[] | [
		"\(.[0].params.members | commas) (\(.[0].params.rooms | commas))",
		(med("ocmd"; "sockets") | commas),
		(med("ocmd"; "rss_before_kib") | commas),
		(med("ocmd"; "rss_online_kib") | commas),
		(med("ocmd"; "rss_end_kib") | commas),
		"**\(med("ocmd"; "rss_per_member_b") | commas)** \(runs("ocmd"; "rss_per_member_b"; commas))",
		([.[] | .results.ocmd.closed] | add | tostring)
	] | row),
	""),

(map(select(.params.workers != null and .params.rate == 0)) |
	group_by([.params.members, .params.cpus != "alone", .params.workers]) |
	"## Workers, closed loop (lean load generator)\n",
	(["rooms × members", "workers", "CPUs", "copies/s [runs]", "msgs/s", "copies per datagram",
	  "ocmd CPU %", "ocmd CPU per copy (ns)", "load gen. CPU %", "hand-offs beyond joins",
	  "lost (where)"] | row),
	([range(11)] | map("---") | row),
	(.[] | [
		"\(.[0].params.rooms) × \(.[0].params.members)",
		(.[0].params.workers | tostring),
		(if .[0].params.cpus == "alone" then "ocmd alone on one" else "all, shared" end),
		"**\(med("ocmd"; "copies_per_s") | commas)** \(runs("ocmd"; "copies_per_s"; commas))",
		(med("ocmd"; "msgs_per_s") | commas),
		(med("ocmd"; "copies_per_datagram") | dec(2)),
		(med("ocmd"; "server_cpu_pct") | dec(0)),
		(med("ocmd"; "server_ns_per_copy") | commas),
		(med("ocmd"; "bench_cpu_pct") | dec(0)),
		([.[] | .results.ocmd.extra_handoffs] | add | tostring),
		loss("ocmd")
	] | row),
	""),

(map(select(.params.workers != null and .params.rate > 0)) |
	group_by([.params.workers, -.params.rooms, .params.rate]) |
	"## Workers, latency at fixed rates (lean load generator)\n",
	(["workers", "CPUs", "rooms × members", "rate (msgs/s)", "copies/s", "p50 (ms)",
	  "p99 (ms) [runs]", "p99.9 (ms) [runs]", "held in ocmd, max (ms) [runs]",
	  "machine stalls [runs]", "copies per datagram", "ocmd CPU %", "lost (where)"] | row),
	([range(13)] | map("---") | row),
	(.[] | [
		(.[0].params.workers | tostring),
		(if .[0].params.cpus == "alone" then "ocmd alone on one" else "all, shared" end),
		"\(.[0].params.rooms) × \(.[0].params.members)",
		(.[0].params.rate | commas),
		(med("ocmd"; "copies_per_s") | commas),
		(med("ocmd"; "latency_p50_us") | ms),
		"**\(med("ocmd"; "latency_p99_us") | ms)** \(runs("ocmd"; "latency_p99_us"; ms))",
		"\(med("ocmd"; "latency_p999_us") | ms) \(runs("ocmd"; "latency_p999_us"; ms))",
		"\(med("ocmd"; "ocmd_held_max_ms") | dec(3)) \(runs("ocmd"; "ocmd_held_max_ms"; dec(3)))",
		"\(total("ocmd"; "stalls") | commas) \(runs("ocmd"; "stall_max_ms"; dec(0)))",
		(med("ocmd"; "copies_per_datagram") | dec(2)),
		(med("ocmd"; "server_cpu_pct") | dec(0)),
		loss("ocmd")
	] | row),
	""),

# The targets of the relay under load, checked over every run at a fixed
# rate with the lean load generator: each run counts, not the medians.
(map(select(.mode == "relay" and .params.workers != null and .params.rate > 0)) as $fixed |
	($fixed | map(select(.params.workers == 1 and .params.cpus == "alone"))) as $one |
	def over(k; lim): map(select(.results.ocmd[k] >= lim)) | length;
	def verdict(ok): if ($fixed | length) == 0 then "-" elif ok then "yes" else "**no**" end;
	"## Targets\n",
	(["target", "figure over the runs", "met"] | row),
	([range(3)] | map("---") | row),
	(["p99 under 2 ms, one worker alone, every run at every rate",
	  "\($one | over("latency_p99_us"; 2000)) of \($one | length) runs at 2 ms or more",
	  verdict(($one | over("latency_p99_us"; 2000)) == 0)] | row),
	(["p99.9 under 5 ms, the same runs",
	  "\($one | over("latency_p999_us"; 5000)) of \($one | length) runs at 5 ms or more",
	  verdict(($one | over("latency_p999_us"; 5000)) == 0)] | row),
	(["nothing held in ocmd over 10 ms (its own histogram: no copy in a bucket past 8.192 ms), every run",
	  "longest \([$fixed[] | .results.ocmd.ocmd_held_max_ms // 0] | max // 0 | dec(3)) ms (bucket bound); \([$fixed[] | .results.ocmd.ocmd_held_8ms // 0] | add // 0 | commas) copies held 8 ms or more",
	  verdict(([$fixed[] | .results.ocmd.ocmd_held_max_ms // 0] | max // 0) <= 8.192)] | row),
	(["no datagram dropped at ocmd's sockets, every run (closed loops too)",
	  "\([.[] | select(.mode == "relay") | .results.ocmd.server_socket_drops // 0] | add // 0 | commas) dropped",
	  verdict(([.[] | select(.mode == "relay") | .results.ocmd.server_socket_drops // 0] | add // 0) == 0)] | row),
	(["runs without a machine stall (the load generator stopped 20 ms or more)",
	  "\([.[] | select(.mode == "relay") | select((.results.ocmd.stalls // 0) > 0)] | length) of \([.[] | select(.mode == "relay")] | length) runs had one",
	  "-"] | row))
