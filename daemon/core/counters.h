/*
 * counters.h: every counter of ocmd, declared once.
 *
 * COUNTERS() below is the list.  Each entry makes a field of struct
 * counters (what a thread counts into) and of struct counts (every
 * thread's added up), and names the counter wherever it is shown: its
 * key in ocmctl stats, its place in the stats line logged at exit, its
 * Prometheus name and HELP text at /metrics.  Adding a counter is one
 * entry here, the line that counts it, and its explanation in ocmd(8)
 * (the stats line and METRICS); the sum, the JSON, the log line and the
 * metrics follow from the entry, in the order of the list.
 *
 * Each thread counts into its own struct counters only (a worker's, or
 * the main thread's), while the main thread reads them all: every counter
 * is an atomic with one writer.  The writer adds with a relaxed load and
 * a relaxed store (counter_add: plain moves and an add, no locked
 * instruction, so the datagram path pays nothing for it), and a reader
 * takes a relaxed load, which sees a whole value, never a torn one, and
 * stops nobody: the main loop never waits for a worker to read its
 * counters.
 */
#ifndef OCM_COUNTERS_H
#define OCM_COUNTERS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/payload.h"

/* How a TCP connection ended: the TLS handshake done, or why it was
 * closed before. */
enum handshake_result {
	HS_OK,
	HS_FAIL_TIMEOUT,
	HS_FAIL_TLS,		/* TLS handshake error (incl. no ALPN) */
	HS_FAIL_BUSY,		/* max_handshakes in flight */
	HS_FAIL_CLOSED,		/* peer closed before a request */
	HS_FAIL_ADDRESS,	/* max_handshakes_per_address from its address */
	HS_FAIL_NO_FDS,		/* no descriptor for it (RLIMIT_NOFILE) */
	HS_MAX_
};

/* Why an unauthenticated or unusable datagram was dropped
 * (doc/protocol.md 8.3). */
enum drop_reason {
	DROP_MALFORMED,		/* header does not parse */
	DROP_UNKNOWN_TOKEN,	/* no such session (or expired, or wrong room) */
	DROP_WRONG_ADDRESS,	/* token-to-IP binding */
	DROP_REPLAY,		/* counter seen or too old */
	DROP_BAD_TAG,		/* AEAD did not verify */
	DROP_BAD_PLAINTEXT,	/* authenticated but not a client message */
	DROP_WRONG_WORKER,	/* its token names another worker (not steered) */
	DROP_UNPROVEN_ADDRESS,	/* authenticated, from an address not proven to
				 * be the member's: nothing answered there */
	DROP_MAX_
};

/* The arrival-to-send histogram: bucket 0 is under 1 us, bucket i holds
 * [2^(i-1), 2^i) us, the last everything from 2^20 us (about 1 s) on. */
#define LATENCY_BUCKETS	22

extern const char *const handshake_names[HS_MAX_];
extern const char *const drop_reason_names[DROP_MAX_];
/* A bucket's upper bound in microseconds ("1", "2", ... "+Inf"). */
extern const char *const latency_bucket_names[LATENCY_BUCKETS];

/*
 * The entries, in the order they are shown:
 *
 * ONE(field, json, log, metric, help)
 *	one counter.
 * BY(field, n, names, json, log, metric, label, help)
 *	a counter for each of the n values of an enum, value i named
 *	names[i]: an object of them in ocmctl stats, a counter with a label
 *	at /metrics.
 * HIST(field, n, names, json, metric, help)
 *	a histogram of n buckets of powers of two microseconds (bucket i
 *	under 2^i us, the last without a bound), bucket i named names[i],
 *	and field_sum_ns, what its records took in nanoseconds added up: an
 *	object with quantiles in ocmctl stats, a histogram in seconds at
 *	/metrics.
 *
 * json is the key in ocmctl stats; metric and help the Prometheus name
 * and HELP text, and label the label of a BY.  log is the counter's place
 * in the stats line: "group name" starts a group of the line ("; " goes
 * before it), " name" (a leading space) goes on with the group before it,
 * NULL leaves the counter out; it is followed by =N, and a BY's by
 * " name=N" for each value.
 */
#define COUNTERS(ONE, BY, HIST) \
	BY(handshakes, HS_MAX_, handshake_names, "handshakes", "handshakes", \
	    "ocm_handshakes_total", "result", \
	    "TCP connections by outcome: ok (TLS handshake done) or why they were closed.") \
	BY(requests, TCRP_CODE_MAX_, tcrp_code_names, "requests", NULL, \
	    "ocm_requests_total", "code", "TCRP responses sent, by code.") \
	ONE(datagrams_in, "datagrams_in", "datagrams in", "ocm_datagrams_received_total", \
	    "UDP datagrams received, dropped or not.") \
	ONE(datagrams_out, "datagrams_out", " out", "ocm_datagrams_sent_total", \
	    "UDP datagrams sent.") \
	ONE(bytes_in, "bytes_in", " bytes_in", "ocm_received_bytes_total", \
	    "Bytes of UDP datagrams received.") \
	ONE(bytes_out, "bytes_out", " bytes_out", "ocm_sent_bytes_total", \
	    "Bytes of UDP datagrams sent.") \
	ONE(send_errors, "send_errors", " send_errors", "ocm_send_errors_total", \
	    "UDP datagrams that could not be sent (lost).") \
	ONE(socket_drops, "socket_drops", " socket_drops", "ocm_socket_drops_total", \
	    "UDP datagrams the kernel dropped because a receive buffer was full (lost).") \
	ONE(chats_relayed, "chats_relayed", "chats relayed", "ocm_chats_relayed_total", \
	    "Chat messages accepted and relayed to their room.") \
	ONE(chats_rejected, "chats_rejected", " rejected", "ocm_chats_rejected_total", \
	    "Chat messages not relayed (invalid, too long, flood).") \
	ONE(address_challenges, "address_challenges", "address_challenges", \
	    "ocm_address_challenges_total", \
	    "PONGs with a challenge sent to an address not proven to be a member's.") \
	ONE(addresses_proven, "addresses_proven", " addresses_proven", \
	    "ocm_addresses_proven_total", \
	    "Challenges echoed: members that moved to a new address.") \
	ONE(tokens_expired, "tokens_expired", "tokens_expired", "ocm_tokens_expired_total", \
	    "Sessions whose token expired before they came online.") \
	ONE(members_timed_out, "members_timed_out", " timed_out", \
	    "ocm_members_timed_out_total", "Members removed after timeout_s of silence.") \
	BY(drops, DROP_MAX_, drop_reason_names, "drops", "drops", \
	    "ocm_datagrams_dropped_total", "reason", \
	    "UDP datagrams dropped silently, by reason.") \
	ONE(handoffs, "handoffs", "handoffs", "ocm_handoffs_total", \
	    "CREATE and JOIN requests passed to a room's worker.") \
	HIST(latency, LATENCY_BUCKETS, latency_bucket_names, "latency_us", \
	    "ocm_relay_latency_seconds", \
	    "Time from a datagram's arrival to the send of each copy made of it.")

#define COUNTERS_ONE_(f, json, log, metric, help)	_Atomic uint64_t f;
#define COUNTERS_BY_(f, n, names, json, log, metric, label, help) \
	_Atomic uint64_t f[n];
#define COUNTERS_HIST_(f, n, names, json, metric, help) \
	_Atomic uint64_t f[n]; _Atomic uint64_t f##_sum_ns;
/* What one thread counts (counter_add), and others read (counter_get). */
struct counters {
	COUNTERS(COUNTERS_ONE_, COUNTERS_BY_, COUNTERS_HIST_)
};
#undef COUNTERS_ONE_
#undef COUNTERS_BY_
#undef COUNTERS_HIST_

#define COUNTS_ONE_(f, json, log, metric, help)	uint64_t f;
#define COUNTS_BY_(f, n, names, json, log, metric, label, help)	uint64_t f[n];
#define COUNTS_HIST_(f, n, names, json, metric, help)	uint64_t f[n]; uint64_t f##_sum_ns;
/* Counters as read at one time, every thread's added up. */
struct counts {
	COUNTERS(COUNTS_ONE_, COUNTS_BY_, COUNTS_HIST_)
};
#undef COUNTS_ONE_
#undef COUNTS_BY_
#undef COUNTS_HIST_

/* Adds n to a counter of the calling thread's own struct counters. */
static inline void
counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/* A counter's value, from any thread. */
static inline uint64_t
counter_get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

enum counter_kind {
	COUNTER_ONE,
	COUNTER_BY,
	COUNTER_HIST,
};

/* An entry of the list, for code that walks it at run time. */
struct counter_info {
	enum counter_kind kind;
	const char *json, *log, *metric, *label, *help;
	size_t n;			/* values: 1, the enum's or the buckets */
	const char *const *names;	/* BY, HIST: value i's name */
	size_t offset;			/* of its values in struct counts */
	size_t sum_offset;		/* HIST: of field_sum_ns */
};

extern const struct counter_info counter_infos[];
extern const size_t n_counter_infos;

/* An entry's values in c (n of them), and a histogram's sum. */
const uint64_t *counts_values(const struct counts *c, const struct counter_info *k);
uint64_t counts_sum_ns(const struct counts *c, const struct counter_info *k);

/* Adds what c holds now to sum (one relaxed load each). */
void counts_add(struct counts *sum, const struct counters *c);

/* Every counter as ocmctl stats shows it: an object with a member per
 * entry (NULL when out of memory). */
json_t *counts_json(const struct counts *c);

/* The stats line's counters, "handshakes ok=N ...; ...; handoffs=N",
 * into buf (len bytes, at least 1; the line is cut short to fit). */
void counts_log_line(const struct counts *c, char *buf, size_t len);

/* Every counter in the Prometheus text format, HELP and TYPE first. */
void counts_prometheus(FILE *f, const struct counts *c);

#endif
