/*
 * bench.h: ocm-bench, the benchmark that drives a real ocmd over the real
 * protocol (see ocm-bench(1) and BENCHMARKS.md).  One header for its
 * parts:
 *
 *   ocm-bench.c       options and dispatch to a mode
 *   bench_util.c      clocks, latency histogram, /proc readers, pinning,
 *                     descriptor budget
 *   bench_report.c    the report: one table of results, as text or JSON
 *   bench_sock.c      a set of UDP sockets under one epoll, with
 *                     recvmmsg input and sendmmsg output
 *   bench_pool.c      members of ocmd: parallel TLS joins, sealed
 *                     datagrams in and out, keepalive, leave
 *   bench_relay.c     relay mode: the load loop, in-flight table, loss
 *   bench_lean.c      relay --lean: pre-sealed rings, copies counted in
 *                     total, latency from sampled messages
 *   bench_baseline.c  the plain UDP fan-out relay and its client side
 *   bench_join.c      join mode, against ocmd and a raw TLS server
 *   bench_tls.c       that raw TLS 1.3 server (an in-process thread)
 *   bench_idle.c      idle mode: RSS of ocmd per online member
 */
#ifndef OCM_BENCH_H
#define OCM_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <jansson.h>

#include "client/session.h"
#include "lib/log.h"

#define BENCH_EXIT_OK		0
#define BENCH_EXIT_FAIL		1
#define BENCH_EXIT_USAGE	2

#define NS_PER_S		1000000000ULL
#define NS_PER_MS		1000000ULL

enum bench_mode { MODE_RELAY, MODE_JOIN, MODE_IDLE };

/* --join-via: the most hosts, and the longest list as given. */
#define JOIN_VIA_MAX		8
#define JOIN_VIA_LIST_MAX	1024

struct bench_opts {
	enum bench_mode mode;
	const char *host;
	uint16_t port;
	unsigned rooms;		/* 0: the mode's default */
	unsigned members;	/* relay, join: per room; idle: in all */
	unsigned senders;	/* relay: per room; 0: every member */
	size_t size;		/* chat text bytes */
	double duration_s;
	double warmup_s;
	unsigned window;	/* closed loop: messages in flight */
	double rate;		/* > 0: fixed rate, msgs/s over all senders */
	double loss_timeout_s;	/* a message not complete by then is lost */
	bool baseline;
	bool lean;		/* relay: the lean load loop (bench_lean.c) */
	bool json;
	const char *known_servers;
	unsigned concurrency;	/* 0: the mode's default */
	unsigned count;		/* join: handshakes */
	pid_t pid;		/* 0: none */
	int server_cpu;		/* -1: leave in-process servers unpinned */
	unsigned sockets;	/* 0: one per member while descriptors last */
	bool sleep;		/* relay: wait in epoll instead of spinning */
	/* relay, join: where JOINs go (CREATEs go to host); none: host. */
	const char *join_via[JOIN_VIA_MAX];
	unsigned n_join_via;
	char join_via_list[JOIN_VIA_LIST_MAX];	/* join_via points into it */
};

/* relay --sleep: the longest wait for input, so that a fixed rate still
 * leaves on time. */
#define SLEEP_NS	NS_PER_MS

/* How long a relay load loop waits for input: no time unless --sleep. */
static inline uint64_t
relay_wait_ns(const struct bench_opts *o)
{
	return o->sleep ? SLEEP_NS : 0;
}

/*
 * Stalls of the machine: a turn of a load loop takes microseconds (it
 * waits at most SLEEP_NS), so a gap of STALL_NS between two turns in the
 * measured interval means the load generator was not running.  On a
 * virtual machine whose host caps its CPU time that happens to every CPU
 * at once, ocmd's too, and shows as a tail the server did not make.
 */
#define STALL_NS	(20 * NS_PER_MS)
struct stalls {
	uint64_t prev_ns, count, max_ns;
};

static inline void
stalls_tick(struct stalls *s, uint64_t now, bool measuring)
{
	if (measuring && s->prev_ns != 0 && now - s->prev_ns >= STALL_NS) {
		s->count++;
		if (now - s->prev_ns > s->max_ns)
			s->max_ns = now - s->prev_ns;
	}
	s->prev_ns = now;
}

/* Clocks (CLOCK_MONOTONIC, as the timestamps in messages). */
uint64_t now_ns(void);
uint64_t thread_cpu_ns(void);
uint64_t clock_cpu_ns(clockid_t id);

/*
 * Latency histogram: log-linear buckets, 64 per power of two (under 1.6 %
 * error), preallocated, so recording a sample on the receive path is a
 * few instructions and never allocates.
 */
#define HIST_SUB_BITS	6
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS) * HIST_SUB + HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

static inline void
hist_add(struct hist *h, uint64_t v)
{
	size_t i = v;

	if (v >= HIST_SUB) {
		unsigned e = 63u - (unsigned)__builtin_clzll(v);
		i = (size_t)(e - HIST_SUB_BITS) * HIST_SUB + (size_t)(v >> (e - HIST_SUB_BITS));
	}
	h->b[i]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

void hist_reset(struct hist *h);
void hist_merge(struct hist *into, const struct hist *from);
/* The value at quantile q (0..1), bucket midpoint, at most max; 0 if empty. */
uint64_t hist_quantile(const struct hist *h, double q);

/*
 * The numbers that relay texts carry, as 16 lowercase hex digits (a text
 * must be printable).  Inline: the normal load loop decodes three per copy.
 */
static inline void
hex16_put(uint8_t *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		p[i] = (uint8_t)digits[v & 15];
		v >>= 4;
	}
}

/* False unless all 16 bytes are such digits. */
static inline bool
hex16_get(const uint8_t *p, uint64_t *v)
{
	/* Digit value + 1; 0 for anything else. */
	static const uint8_t value[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
		['e'] = 15, ['f'] = 16,
	};
	uint64_t x = 0;

	for (int i = 0; i < 16; i++) {
		uint8_t d = value[p[i]];
		if (d == 0)
			return false;
		x = (x << 4) | (uint64_t)(d - 1);
	}
	*v = x;
	return true;
}

/* /proc readers: VmRSS in KiB, user + system CPU in ns; -1 on failure. */
long proc_rss_kib(pid_t pid);
int64_t proc_cpu_ns(pid_t pid);
/* CPU time of the machine but this process's and server's (0: none):
 * other people's load, which would skew a measurement, short-lived
 * processes included.  Callers clamp a negative difference. */
int64_t proc_others_cpu_ns(pid_t server);
/* Datagrams the kernel dropped at pid's UDP sockets (their receive buffers
 * were full) since they were made; -1 when /proc cannot tell. */
int64_t proc_udp_drops(pid_t pid);

/* Pins a thread to one CPU; returns 0 or an errno value. */
int pin_thread(pthread_t t, int cpu);

/* Raises RLIMIT_NOFILE to its hard limit; returns the descriptors left
 * for UDP sockets after reserve, and the hard limit in *hard. */
size_t fd_budget(size_t reserve, unsigned long *hard);
/* UDP sockets for n members: --sockets, else one each within budget; a
 * note on stderr when members must share. */
size_t sockets_for(const struct bench_opts *o, size_t n, size_t reserve);

/* Names unique to this process run: "b<pid><tag>". */
void run_id(char *buf, size_t len, char tag);

/* A server_opts for host:port with a quiet trust-on-first-use file. */
void server_opts_init(struct server_opts *so, const struct bench_opts *o, uint16_t port);
/* Where member k of a room (k > 0; 0 is its creator) sends its JOIN:
 * --join-via host k mod n, or host without the option. */
const char *join_host(const struct bench_opts *o, size_t k);
/* The hosts JOINs go to, comma-separated, for a report. */
void join_hosts_str(const struct bench_opts *o, char *buf, size_t len);
/*
 * tcrp_call() for the members: with --join-via, a JOIN through another
 * node of a cluster can arrive before that node has heard of the room
 * just CREATEd on its home (the cluster's view spreads through NATS, a
 * few dozen rooms a second), so its no_such_room is asked again, after
 * 1 ms and then twice as long each time up to 64 ms, for up to
 * JOIN_RETRY_NS; *retries counts the repeats.  Returns as tcrp_call().
 */
#define JOIN_RETRY_NS		(30 * NS_PER_S)
#define JOIN_RETRY_MAX_US	64000
int bench_call(const struct bench_opts *o, const struct server_opts *so,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX],
    unsigned *retries);
/* A CREATE_ROOM or JOIN_ROOM request without a password. */
void bench_request(struct tcrp_request *req, uint8_t op, const char *room, const char *user);

/*
 * The report: one field table drives both the human table (a column per
 * target: ocmd, baseline, raw TLS) and the JSON object, so the two cannot
 * drift apart (chrony's way).
 */
struct field {
	const char *key;	/* JSON member */
	const char *label;	/* human table */
	int decimals;		/* 0: an integer */
};

#define REPORT_COLS	2
#define REPORT_FIELDS	32
#define REPORT_RATIOS	4

struct report {
	const char *mode;
	char title[1536];	/* long enough for JOIN_VIA_LIST_MAX hosts */
	json_t *params;
	const struct field *fields;
	size_t n_fields;
	size_t n_cols;
	const char *col_key[REPORT_COLS];
	const char *col_label[REPORT_COLS];
	double v[REPORT_COLS][REPORT_FIELDS];
	bool set[REPORT_COLS][REPORT_FIELDS];
	size_t n_ratios;
	const char *ratio_key[REPORT_RATIOS];
	const char *ratio_label[REPORT_RATIOS];
	double ratio[REPORT_RATIOS];
};

void report_init(struct report *r, const char *mode, const struct field *fields, size_t n);
/* Adds a column; returns its index. */
size_t report_col(struct report *r, const char *key, const char *label);
void report_set(struct report *r, size_t col, const char *key, double v);
double report_get(const struct report *r, size_t col, const char *key);
void report_ratio(struct report *r, const char *key, const char *label, double v);
void report_param(struct report *r, const char *key, double v);
void report_param_str(struct report *r, const char *key, const char *v);
void report_param_bool(struct report *r, const char *key, bool v);
void report_print(struct report *r, bool json);
void report_free(struct report *r);

/*
 * A set of UDP sockets connected to one server address, under one epoll.
 * Output is queued and leaves by sendmmsg, one call per run of slots for
 * the same socket; input comes by recvmmsg and goes to on_datagram with
 * the time it was read.
 */
#define SOCK_RX_BATCH	64
#define SOCK_TX_BATCH	256

struct tx_slot {
	int fd;
	size_t len;
	uint8_t buf[OCM_MAX_DATAGRAM];
};

struct sockset {
	int ep;
	int *fd;
	size_t n;
	void (*on_datagram)(void *arg, uint8_t *buf, size_t len, uint64_t now);
	void *arg;
	uint64_t datagrams_in, send_errors;
	size_t n_tx;
	struct tx_slot *tx;
	struct mmsghdr *tx_msgs;
	struct iovec *tx_iov;
	struct mmsghdr *rx_msgs;
	struct iovec *rx_iov;
	uint8_t (*rx_buf)[OCM_MAX_DATAGRAM + 1];
};

int sockset_open(struct sockset *s, size_t n, const struct sockaddr *to, socklen_t to_len,
    char *err, size_t err_len);
void sockset_close(struct sockset *s);
/* The socket of member i of n (blocks of neighbours share one). */
static inline size_t
sockset_of(const struct sockset *s, size_t i, size_t n)
{
	return (size_t)((uint64_t)i * s->n / n);
}
/* A slot to fill for socket fd; commit it with its length. */
struct tx_slot *sockset_slot(struct sockset *s, int fd);
void sockset_commit(struct sockset *s, size_t len);
void sockset_flush(struct sockset *s);
/* Waits at most timeout_ns for input and reads what is there; returns
 * how many sockets had some (0: none, the wait timed out). */
int sockset_poll(struct sockset *s, uint64_t timeout_ns);

/* Members of ocmd (bench_pool.c). */
struct member_sess {
	struct udp_session u;
	uint32_t room;
	uint32_t sock;
	bool online;
	bool closed;
	uint64_t last_tx_ns;
};

struct pool;
typedef void pool_chat_fn(void *arg, size_t to, const uint8_t *text, size_t len,
    uint64_t now);

/* n members, per_room to a room (the last room may have fewer), joined
 * by threads threads; names carry tag. */
struct pool *pool_new(const struct bench_opts *o, size_t n, size_t per_room,
    unsigned threads, char tag);
/* Joins everyone and brings them online (PING answered).  Returns 0, or
 * -1 with a message on stderr. */
int pool_setup(struct pool *p);
void pool_set_chat(struct pool *p, pool_chat_fn *fn, void *arg);
int pool_queue_chat(struct pool *p, size_t i, const uint8_t *text, size_t len);
void pool_flush(struct pool *p);
int pool_poll(struct pool *p, uint64_t timeout_ns);
/* PINGs for members silent for keepalive_s (and unanswered ones). */
void pool_keepalive(struct pool *p, uint64_t now);
/* Everyone sends LEAVE; the answers are read for a moment. */
void pool_leave(struct pool *p);
void pool_free(struct pool *p);
/* Lean receive: CHAT records go to the chat callback after a bounds check
 * in place, without msg_parse(); other records take the usual path. */
void pool_set_lean(struct pool *p, bool lean);
/* Member i, for a load loop that seals its own datagrams; it must keep
 * u.tx_counter and last_tx_ns up to date as pool_queue_chat() does. */
struct member_sess *pool_member(struct pool *p, size_t i);
size_t pool_size(const struct pool *p);
size_t pool_sockets(const struct pool *p);
size_t pool_rooms(const struct pool *p);
size_t pool_max_text(const struct pool *p);
uint64_t pool_rejected(const struct pool *p);
uint64_t pool_closed(const struct pool *p);
uint64_t pool_datagrams(const struct pool *p);

/* The modes. */
int relay_main(const struct bench_opts *o);

/* Counters of a relay load loop at the start and at the end of the
 * measured interval. */
struct snap {
	uint64_t t, copies, sent, datagrams, bench_cpu, idle;
	int64_t server_cpu;
};

/* What every relay load loop reports alike from its two snapshots: the
 * rates and the CPU figures; t_start and others0, others1 for
 * other_cpu_pct. */
void relay_report_interval(struct report *rep, size_t c, const struct snap *s0,
    const struct snap *s1, uint64_t t_start, int64_t others0, int64_t others1);
void relay_report_latency(struct report *rep, size_t c, const struct hist *lat);
/* The kernel's drops at ocmd's UDP sockets (server, when --pid names it)
 * and at the load generator's, read before the warm-up and after the
 * drain: every datagram of the run, like the loss figures. */
struct sock_drops {
	int64_t server0, server1, bench0, bench1;
};
void sock_drops_read(struct sock_drops *d, pid_t server, bool end);
void relay_report_stalls(struct report *rep, size_t c, const struct stalls *s);
/* Loss as it happened: copies the server REJECTED (their messages never
 * had copies) are not lost, and the kernel's drops say where loss was. */
void relay_report_loss(struct report *rep, size_t c, uint64_t expected, uint64_t lost_msgs,
    uint64_t lost_copies, uint64_t rejected, uint64_t copies_per_msg,
    const struct sock_drops *d);
/* relay --lean against ocmd (bench_lean.c): one column of rep.  Returns 0
 * or -1 with a message on stderr. */
int lean_target(const struct bench_opts *o, struct report *rep);
int join_main(const struct bench_opts *o);
int idle_main(const struct bench_opts *o);

/* The plain UDP relay of --baseline (bench_baseline.c). */
struct baseline;
struct baseline *baseline_new(const struct bench_opts *o, size_t n, size_t per_room);
int baseline_setup(struct baseline *b);
int baseline_queue_chat(struct baseline *b, size_t i, uint64_t seq, uint64_t ts,
    const uint8_t *text, size_t len);
void baseline_flush(struct baseline *b);
typedef void baseline_copy_fn(void *arg, uint64_t sender, uint64_t seq, uint64_t ts,
    uint64_t now);
void baseline_set_copy(struct baseline *b, baseline_copy_fn *fn, void *arg);
int baseline_poll(struct baseline *b, uint64_t timeout_ns);
int64_t baseline_server_cpu_ns(struct baseline *b);
uint64_t baseline_datagrams(const struct baseline *b);
size_t baseline_sockets(const struct baseline *b);
void baseline_free(struct baseline *b);

/* The raw TLS 1.3 server of join mode (bench_tls.c). */
struct tls_server;
struct tls_server *tls_server_start(const struct bench_opts *o, char *err, size_t err_len);
uint16_t tls_server_port(const struct tls_server *s);
int64_t tls_server_cpu_ns(struct tls_server *s);
void tls_server_stop(struct tls_server *s);

#endif
