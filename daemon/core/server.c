/*
 * server.c: what the jobs ask of the node's shared state (see server.h),
 * on the main thread: refusal episodes, and the worker that homes a room;
 * and, from any thread, the end of the process when memory runs out.
 */
#include "daemon/core/server.h"

#include <string.h>
#include <unistd.h>

#include "daemon/base/journal.h"
#include "lib/log.h"

#define REFUSAL_SWEEP_MS	1000

static void
refusal_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, refusal_timer);

	if (ratelimit_sweep(&srv->rl, ev_now(srv->loop)) > 0)
		ev_timer_start(srv->loop, t, REFUSAL_SWEEP_MS);
}

void
server_refusal_watch(struct server *srv)
{
	if (!ev_timer_active(&srv->refusal_timer)) {
		ev_timer_init(&srv->refusal_timer, refusal_cb);
		ev_timer_start(srv->loop, &srv->refusal_timer, REFUSAL_SWEEP_MS);
	}
}

void
server_refusal(struct server *srv, const struct peer_ip *ip, const char *addr,
    enum refusal why, const char *detail)
{
	if (!ratelimit_refused(&srv->rl, ip, why, ev_now(srv->loop)))
		return;
	log_ocm(LOG_LEVEL_WARN, OCM_EV_REFUSING, NULL, NULL, addr,
	    "refusing %s: %s (%s); further refusals are counted, not logged", addr,
	    refusal_names[why], detail);
	server_refusal_watch(srv);
}

struct worker *
server_room_home(const struct server *srv, const char *name)
{
	struct dir_room *d = directory_find(&srv->dir, name, strlen(name));

	return d != NULL && d->ready && d->node == NULL ? srv->workers[d->worker] : NULL;
}

void
server_out_of_memory(const char *what)
{
	log_errx("out of memory %s: stopping", what);
	_exit(1);
}
