/*
 * notify.c: sd_notify messages for Type=notify (see notify.h).
 */
#include "daemon/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

void
notify_status(const struct server *srv)
{
	sd_notifyf(0, "STATUS=%zu rooms, %zu members (%zu online)", srv->reg->n_rooms,
	    srv->reg->n_members, srv->reg->n_online);
}

void
notify_ready(const struct server *srv)
{
	sd_notifyf(0, "READY=1\nSTATUS=%zu rooms, %zu members (%zu online)",
	    srv->reg->n_rooms, srv->reg->n_members, srv->reg->n_online);
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
