/*
 * notify.c: sd_notify messages for Type=notify (see notify.h): READY=1
 * once every socket is bound, STATUS= every few seconds with rooms,
 * members and the relayed message rate, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1, and WATCHDOG=1 at half of WATCHDOG_USEC, but only
 * while every worker's loop answers.
 */
#include "daemon/node/notify.h"

#include <systemd/sd-daemon.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/relay/worker.h"

#define STATUS_INTERVAL_MS	5000

static void
status_line(struct server *srv, const char *prefix)
{
	size_t online = 0;
	double rate = 0.0;

	if (srv->n_workers > 0)
		workers_sample(srv);
	for (unsigned i = 0; i < srv->n_workers; i++) {
		online += srv->samples[i].online;
		rate += srv->samples[i].chats_rate;
	}
	sd_notifyf(0, "%sSTATUS=%zu rooms, %zu members (%zu online), %.1f messages/s, "
	    "%u worker%s", prefix, directory_local(&srv->dir),
	    atomic_load_explicit(&srv->n_members, memory_order_relaxed), online, rate,
	    srv->n_workers, srv->n_workers == 1 ? "" : "s");
}

void
notify_status(struct server *srv)
{
	status_line(srv, "");
}

void
notify_ready(struct server *srv)
{
	status_line(srv, "READY=1\n");
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

static void
status_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, status_timer);
	notify_status(srv);
	ev_timer_start(srv->loop, t, STATUS_INTERVAL_MS);
}

/*
 * The main loop is turning (this runs in it); each worker proves its loop
 * is by answering the previous tick's ping.  One that has not keeps
 * WATCHDOG=1 from being sent, and systemd restarts a daemon whose worker
 * hangs instead of letting its rooms go silent.
 */
static void
watchdog_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, watchdog_timer);
	bool all = true;

	for (unsigned i = 0; i < srv->n_workers; i++)
		all &= atomic_load_explicit(&srv->workers[i]->pong, memory_order_acquire) ==
		    srv->watchdog_seq;
	if (all) {
		sd_notify(0, "WATCHDOG=1");
		srv->watchdog_seq++;
		for (unsigned i = 0; i < srv->n_workers; i++)
			worker_ping(srv->workers[i], srv->watchdog_seq);
	}
	ev_timer_start(srv->loop, t, srv->watchdog_ms);
}

void
notify_start(struct server *srv)
{
	uint64_t usec;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	ev_timer_init(&srv->status_timer, status_cb);
	ev_timer_start(srv->loop, &srv->status_timer, STATUS_INTERVAL_MS);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		srv->watchdog_ms = usec / 2000;	/* half the interval, in ms */
		ev_timer_init(&srv->watchdog_timer, watchdog_cb);
		ev_timer_start(srv->loop, &srv->watchdog_timer, 0);
	}
}

void
notify_stop(struct server *srv)
{
	if (srv->loop == NULL)
		return;
	ev_timer_stop(srv->loop, &srv->status_timer);
	ev_timer_stop(srv->loop, &srv->watchdog_timer);
}
