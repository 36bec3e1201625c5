/*
 * notify.c: sd_notify messages for Type=notify (see notify.h): READY=1
 * once every socket is bound, STATUS= every few seconds with rooms,
 * members and the relayed message rate, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1, and WATCHDOG=1 at half of WATCHDOG_USEC.
 */
#include "daemon/notify.h"

#include <systemd/sd-daemon.h>
#include <stdlib.h>
#include <time.h>

#define STATUS_INTERVAL_MS	5000

static void
status_line(struct server *srv, const char *prefix)
{
	uint64_t now = ev_now(srv->loop);
	uint64_t chats = srv->stats.chats_relayed;
	double secs = (double)(now - srv->status_ms) / 1000.0;
	double rate = secs > 0 ? (double)(chats - srv->status_chats) / secs : 0.0;

	srv->status_ms = now;
	srv->status_chats = chats;
	sd_notifyf(0, "%sSTATUS=%zu rooms, %zu members (%zu online), %.1f messages/s", prefix,
	    srv->reg->n_rooms, srv->reg->n_members, srv->reg->n_online, rate);
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

static void
watchdog_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, watchdog_timer);
	sd_notify(0, "WATCHDOG=1");
	ev_timer_start(srv->loop, t, srv->watchdog_ms);
}

void
notify_start(struct server *srv)
{
	uint64_t usec;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	srv->status_ms = ev_now(srv->loop);
	ev_timer_init(&srv->status_timer, status_cb);
	ev_timer_start(srv->loop, &srv->status_timer, STATUS_INTERVAL_MS);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		srv->watchdog_ms = usec / 2000;	/* half the interval, in ms */
		ev_timer_init(&srv->watchdog_timer, watchdog_cb);
		ev_timer_start(srv->loop, &srv->watchdog_timer, srv->watchdog_ms);
		sd_notify(0, "WATCHDOG=1");
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
