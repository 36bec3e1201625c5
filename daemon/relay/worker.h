/*
 * worker.h: a worker is one event loop with its own share of the rooms:
 * its registry, its relay (UDP sockets, AEAD contexts, batch buffers),
 * its counters and its copy of the configuration.  Everything a datagram
 * touches belongs to exactly one worker, so the datagram path takes no
 * lock and writes nothing another thread writes; the main thread only
 * reads the worker's counters and sizes now and then, without stopping
 * it (core/counters.h).
 *
 * With workers = 1 the one worker runs on the main loop (no thread at
 * all, as ocmd was before workers); with more, each runs on a thread of
 * its own and the main thread keeps TLS, the control socket, signals and
 * systemd.  Either way the rest of the daemon reaches a worker only
 * through its mailbox: a hand-off (CREATE or JOIN for a room it homes), a
 * call (a control command, a reload), a watchdog ping.
 */
#ifndef OCM_WORKER_H
#define OCM_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "daemon/base/config.h"
#include "daemon/core/directory.h"
#include "daemon/base/ev.h"
#include "daemon/base/mailbox.h"
#include "daemon/core/registry.h"
#include "daemon/core/server.h"
#include "lib/keys.h"
#include "lib/payload.h"

struct worker {
	struct server *srv;
	unsigned index;
	bool threaded;			/* on a thread of its own (workers > 1) */
	bool thread_started;
	pthread_t thread;
	struct ev_loop *loop;
	struct config cfg;		/* this worker's copy; replaced by reload */
	struct registry *reg;
	struct relay *relay;
	struct mailbox mail;
	struct counters stats;		/* written by this worker only */
	/* Its registry's sizes as the main thread reads them (CREATE
	 * placement, status): written by this worker only. */
	_Atomic uint32_t load;		/* members homed here */
	_Atomic uint32_t rooms, online;
	clockid_t cpu_clock;		/* its thread's CPU time, if has_cpu_clock */
	bool has_cpu_clock;
	_Atomic uint64_t pong;		/* the newest watchdog ping it answered */
};

/* A worker with its loop (its own, or the main one when !threaded), its
 * registry, relay and mailbox; no sockets yet.  NULL on failure. */
struct worker *worker_new(struct server *srv, unsigned index, bool threaded);
/* Starts its thread (threaded workers only).  0 or a negative errno. */
int worker_start(struct worker *w);
/* Closes every room (CLOSED SERVER_SHUTDOWN), stops the thread. */
void worker_stop(struct worker *w);
void worker_free(struct worker *w);

typedef void worker_fn(struct worker *w, void *arg);
/* Runs fn(w, arg) on w's thread and waits for it (directly when w runs
 * on the caller's loop).  Only the main thread calls these. */
void worker_call(struct worker *w, worker_fn *fn, void *arg);
/* The same on every worker at once; fn must only write its own worker's
 * part of arg. */
void workers_call(struct server *srv, worker_fn *fn, void *arg);

/* A worker_fn: w takes the configuration arg (a struct config) and its
 * limits. */
void worker_set_config(struct worker *w, void *arg);

/* Posts a watchdog ping: w->pong becomes seq once w's loop turns. */
void worker_ping(struct worker *w, uint64_t seq);

/* The home worker's part of a room's life the directory tracks, and the
 * sizes it shows the main thread. */
void worker_room_gone(struct worker *w, struct room *room);
void worker_members_changed(struct worker *w, struct room *room);

/* From the main thread, while the workers run: every counter of the
 * daemon, the main thread's and every worker's added up, read as they are
 * (core/counters.h); no worker is asked or waited for. */
void workers_counters(struct server *srv, struct counts *sum);
/* From the main thread, the same way: a fresh per-worker sample into
 * srv->samples (status, STATUS=, the drops warning). */
void workers_sample(struct server *srv);

#endif
