/*
 * server.h: what a node's threads share (struct server): the config in
 * force, the main event loop (TLS/TCP, the control socket, signals,
 * systemd), the TLS context, the TCRP connections in flight, the failed
 * request limiter, the directory of rooms and their home workers, and
 * the main thread's counters; and the bring-up's functions (node/node.c).
 * Each worker (relay/worker.h) holds its share of the rooms and the
 * counters of its datagrams; what looks at the whole daemon reads every
 * worker's counters and sizes as they are, without stopping it, and adds
 * up (core/counters.h).
 */
#ifndef OCM_SERVER_H
#define OCM_SERVER_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daemon/base/config.h"
#include "daemon/core/counters.h"
#include "daemon/core/directory.h"
#include "daemon/base/ev.h"
#include "daemon/base/mailbox.h"
#include "daemon/core/quota.h"
#include "daemon/core/ratelimit.h"
#include "daemon/core/registry.h"
#include "lib/keys.h"
#include "lib/payload.h"

#define SERVER_MAX_SOCKETS	CONFIG_MAX_LISTEN

struct listener {
	struct ev_io io;
	struct server *srv;
	char text[64];
};

struct conn;
struct control;
struct worker;

#define SAMPLE_INTERVAL_MS	2000
#define DROPS_LOG_MS		60000
#define TRIM_INTERVAL_MS	60000

/* What the sampler last saw of a worker (status, STATUS=). */
struct worker_sample {
	uint64_t at_ns, datagrams_in, chats_relayed, cpu_ns, socket_drops;
	double datagrams_rate, chats_rate, cpu_share;
	size_t rooms, members, online;
};

/*
 * Who owns what.  "main": only the main thread reads or writes it.  "set
 * at start": written before any worker thread runs, then only read.
 * "any": atomics, or a mailbox, which any thread may use.  A worker owns
 * nothing here: its state is its struct worker (relay/worker.h).
 */
struct server {
	/* Set at start (reload writes cfg on main only: workers take a copy
	 * through worker_call). */
	struct config cfg;
	const char *config_path;
	struct ev_loop *loop;		/* the main loop */
	struct worker **workers;
	unsigned n_workers;
	bool steering;			/* the reuseport program is attached */
	bool debug;			/* -d: debug level whatever the config says */
	bool activated;			/* sockets came from systemd */
	uint64_t started_ms;
	/* Any thread. */
	struct mailbox mail;		/* to the main thread: hand-off replies, room
					 * closes, the cluster's events */
	_Atomic size_t n_members;	/* every worker's members: max_members */
	/* Main. */
	SSL_CTX *tls;
	char fingerprint[FINGERPRINT_LEN];
	struct listener tcp[SERVER_MAX_SOCKETS];
	size_t n_tcp;
	struct directory dir;		/* its rooms' member counts: relaxed atomics the
					 * home workers write */
	struct control *control;
	struct metrics *metrics;	/* NULL unless [metrics] listen is set */
	struct cluster *cluster;	/* NULL unless [cluster] is set */
	/* What a room homed here closing means beyond the directory (the
	 * cluster lets its name go); set by node.c at start. */
	void (*room_closed)(struct server *srv, const char *name, size_t len);
	/* ocmctl reload: SIGHUP's reload, with systemd told (node.c). */
	int (*reload)(struct server *srv);
	struct ratelimit rl;
	struct quota quota;		/* what each address holds; its member counts
					 * are atomics the home workers decrement */
	struct ev_timer refusal_timer;	/* ends refusal episodes */
	int reserve_fd;			/* given up to refuse at EMFILE */
	LIST_HEAD(conn_list, conn) conns;	/* TCRP connections in flight */
	size_t n_conns;
	bool accept_paused;		/* EMFILE: wait for a free descriptor */
	struct ev_timer accept_timer;
	uint64_t accept_warned_ms;	/* EMFILE warnings at most every 10 s */
	struct counters stats;		/* the main thread's: handshakes, requests */
	size_t peak_rooms, peak_members;
	struct ev_timer sample_timer;	/* per-worker rates */
	struct worker_sample *samples;	/* n_workers */
	uint64_t drops_told, drops_told_ms;	/* socket drops last logged, and when */
	uint64_t trimmed_ms;		/* the arenas' free pages last given back */
	struct ev_timer status_timer;	/* STATUS= refresh */
	struct ev_timer watchdog_timer;	/* WATCHDOG=1 */
	uint64_t watchdog_ms;
	uint64_t watchdog_seq;		/* the ping every worker must answer */
	bool stopping;
};

/* Counts a refusal of ip for why, logging the first of an episode (with
 * detail); ratelimit.h says when the episode ends. */
void server_refusal(struct server *srv, const struct peer_ip *ip, const char *addr,
    enum refusal why, const char *detail);
/* The refusal timer after a ban starts. */
void server_refusal_watch(struct server *srv);
/* The worker that homes a room, or NULL. */
struct worker *server_room_home(const struct server *srv, const char *name);
/*
 * Out of memory where ocmd can neither refuse nor undo what it started
 * (what says where): logs it and ends the process at once, with _exit(),
 * since other threads run on.
 */
__attribute__((noreturn)) void server_out_of_memory(const char *what);

#endif
