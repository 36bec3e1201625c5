/*
 * worker.c: a worker's life and the messages it takes (see worker.h).
 */
#include "daemon/relay/worker.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/relay/relay.h"
#include "lib/log.h"

static void
worker_before_sleep(void *arg)
{
	struct worker *w = arg;
	relay_flush(w->relay);
}

void
worker_set_config(struct worker *w, void *arg)
{
	const struct config *cfg = arg;
	struct registry_limits lim = {
		.max_rooms = cfg->max_rooms,
		.max_members = cfg->max_members,
		.max_members_per_room = cfg->max_members_per_room,
	};

	w->cfg = *cfg;
	registry_set_limits(w->reg, &lim);
}

/* The relay's hooks (relay_host): on the worker's thread. */
static void
members_changed(void *owner, struct room *room)
{
	worker_members_changed(owner, room);
}

static void
room_gone(void *owner, struct room *room)
{
	worker_room_gone(owner, room);
}

struct worker *
worker_new(struct server *srv, unsigned index, bool threaded)
{
	struct registry_limits lim = { 0 };
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->srv = srv;
	w->index = index;
	w->threaded = threaded;
	w->loop = threaded ? ev_loop_new() : srv->loop;
	if (w->loop == NULL)
		goto fail;
	w->reg = registry_new(&lim);
	if (w->reg == NULL)
		goto fail;
	w->reg->shared_members = &srv->n_members;
	worker_set_config(w, &srv->cfg);
	struct relay_host host = {
		.loop = w->loop, .cfg = &w->cfg, .reg = w->reg, .stats = &w->stats,
		.index = index, .n_workers = &srv->n_workers, .owner = w,
		.members_changed = members_changed, .room_gone = room_gone,
	};
	w->relay = relay_new(&host);
	if (w->relay == NULL || mailbox_init(&w->mail, w->loop, w) < 0)
		goto fail;
	if (threaded)
		ev_set_before_sleep(w->loop, worker_before_sleep, w);
	return w;
fail:
	worker_free(w);
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int rc = ev_run(w->loop);

	if (rc < 0)
		log_errx("worker %u: event loop: %s", w->index, strerror(-rc));
	return NULL;
}

int
worker_start(struct worker *w)
{
	if (!w->threaded)
		return 0;
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0)
		return -rc;
	w->thread_started = true;
	/* Without its clock the worker's CPU share reads 0. */
	w->has_cpu_clock = pthread_getcpuclockid(w->thread, &w->cpu_clock) == 0;
	return 0;
}

/* Calls. */

struct call {
	struct mail mail;
	worker_fn *fn;
	void *arg;
	struct latch *latch;
};

static void
call_run(struct mail *m, void *owner)
{
	struct call *c = container_of(m, struct call, mail);
	struct latch *latch = c->latch;

	c->fn(owner, c->arg);
	free(c);
	latch_done(latch);
}

/* Posts fn to a threaded worker; the caller waits on latch. */
static void
call_post(struct worker *w, worker_fn *fn, void *arg, struct latch *latch)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c == NULL)	/* every other allocation is capped */
		server_out_of_memory("for a call to a worker");
	c->mail.run = call_run;
	c->fn = fn;
	c->arg = arg;
	c->latch = latch;
	mailbox_post(&w->mail, &c->mail);
}

void
workers_call(struct server *srv, worker_fn *fn, void *arg)
{
	struct latch latch;
	unsigned n = 0;

	for (unsigned i = 0; i < srv->n_workers; i++)
		n += srv->workers[i]->thread_started;
	latch_init(&latch, n);
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct worker *w = srv->workers[i];
		if (w->thread_started)
			call_post(w, fn, arg, &latch);
		else
			fn(w, arg);
	}
	latch_wait(&latch);
}

void
worker_call(struct worker *w, worker_fn *fn, void *arg)
{
	struct latch latch;

	if (!w->thread_started) {
		fn(w, arg);
		return;
	}
	latch_init(&latch, 1);
	call_post(w, fn, arg, &latch);
	latch_wait(&latch);
}

/* Watchdog pings. */

struct ping {
	struct mail mail;
	uint64_t seq;
};

static void
ping_run(struct mail *m, void *owner)
{
	struct ping *p = container_of(m, struct ping, mail);
	struct worker *w = owner;

	atomic_store_explicit(&w->pong, p->seq, memory_order_release);
	free(p);
}

void
worker_ping(struct worker *w, uint64_t seq)
{
	struct ping *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return;		/* no pong: the watchdog stays silent, as it should */
	p->mail.run = ping_run;
	p->seq = seq;
	mailbox_post(&w->mail, &p->mail);
}

/* What the directory tracks, and the sizes the main thread reads. */

/* The registry's sizes for the main thread, less what a room about to
 * go still holds. */
static void
sizes_publish(struct worker *w, const struct room *going)
{
	const struct registry *reg = w->reg;
	size_t rooms = reg->n_rooms, members = reg->n_members, online = reg->n_online;

	if (going != NULL) {
		rooms--;
		members -= going->n_members;
		online -= going->n_online;
	}
	atomic_store_explicit(&w->rooms, (uint32_t)rooms, memory_order_relaxed);
	atomic_store_explicit(&w->load, (uint32_t)members, memory_order_relaxed);
	atomic_store_explicit(&w->online, (uint32_t)online, memory_order_relaxed);
}

struct room_gone {
	struct mail mail;
	struct dir_room *dir;
};

static void
room_gone_run(struct mail *m, void *owner)
{
	struct room_gone *g = container_of(m, struct room_gone, mail);
	struct server *srv = owner;

	if (srv->room_closed != NULL)
		srv->room_closed(srv, g->dir->name, g->dir->name_len);
	directory_remove(&srv->dir, g->dir);
	free(g);
}

void
worker_room_gone(struct worker *w, struct room *room)
{
	struct room_gone *g;

	sizes_publish(w, room);
	if (room->data == NULL)
		return;
	g = calloc(1, sizeof(*g));
	if (g == NULL)	/* or the name would stay taken */
		server_out_of_memory("for a closed room");
	g->mail.run = room_gone_run;
	g->dir = room->data;
	room->data = NULL;
	mailbox_post(&w->srv->mail, &g->mail);
}

void
worker_members_changed(struct worker *w, struct room *room)
{
	struct dir_room *d = room->data;

	sizes_publish(w, NULL);
	if (d != NULL)
		atomic_store_explicit(&d->members, room->n_members, memory_order_relaxed);
}

/* What the main thread reads of the workers while they run. */

/* The CPU time w's thread has used, in nanoseconds, read from the main
 * thread (the main thread's own when w runs on the main loop); 0 when it
 * cannot be read. */
static uint64_t
worker_cpu_ns(const struct worker *w)
{
	if (!w->thread_started)
		return ev_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return w->has_cpu_clock ? ev_clock_ns(w->cpu_clock) : 0;
}

void
workers_counters(struct server *srv, struct counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	counts_add(sum, &srv->stats);
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct worker *w = srv->workers[i];
		counts_add(sum, &w->stats);
		/* Counted by the kernel, not by the worker. */
		sum->socket_drops += relay_socket_drops(w->relay);
	}
}

/*
 * Per-worker rates over the time since the previous sample, from what
 * each worker shows every thread without being asked: its counters, the
 * sizes of its registry and its thread's CPU clock.  A worker that is
 * busy, or stuck, holds nobody up.
 */
void
workers_sample(struct server *srv)
{
	uint64_t now_ns = ev_clock_ns(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < srv->n_workers; i++) {
		const struct worker *w = srv->workers[i];
		struct worker_sample *s = &srv->samples[i];
		uint64_t datagrams = counter_get(&w->stats.datagrams_in);
		uint64_t chats = counter_get(&w->stats.chats_relayed);
		uint64_t cpu_ns = worker_cpu_ns(w);

		if (s->at_ns != 0 && now_ns > s->at_ns) {
			double secs = (double)(now_ns - s->at_ns) / 1e9;
			s->datagrams_rate = (double)(datagrams - s->datagrams_in) / secs;
			s->chats_rate = (double)(chats - s->chats_relayed) / secs;
			s->cpu_share = cpu_ns >= s->cpu_ns ?
			    (double)(cpu_ns - s->cpu_ns) / 1e9 / secs : 0.0;
		}
		s->at_ns = now_ns;
		s->datagrams_in = datagrams;
		s->chats_relayed = chats;
		s->cpu_ns = cpu_ns;
		s->socket_drops = relay_socket_drops(w->relay);
		s->rooms = atomic_load_explicit(&w->rooms, memory_order_relaxed);
		s->members = atomic_load_explicit(&w->load, memory_order_relaxed);
		s->online = atomic_load_explicit(&w->online, memory_order_relaxed);
	}
}

/* The end. */

static void
stop_fn(struct worker *w, void *arg)
{
	(void)arg;
	relay_shutdown(w->relay);
	if (w->threaded)
		ev_break(w->loop);
}

void
worker_stop(struct worker *w)
{
	if (w == NULL || w->relay == NULL)
		return;
	worker_call(w, stop_fn, NULL);
	if (w->thread_started) {
		pthread_join(w->thread, NULL);
		w->thread_started = false;
	}
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	mailbox_fini(&w->mail);
	relay_free(w->relay);
	registry_free(w->reg);
	if (w->threaded && w->loop != NULL)
		ev_loop_free(w->loop);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
}
