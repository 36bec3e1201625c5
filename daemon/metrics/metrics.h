/*
 * metrics.h: Prometheus text exposition at GET /metrics, served by
 * libmicrohttpd from ocmd's own event loop (no thread of its own): its
 * epoll descriptor is one more source in the main loop, and a timer keeps
 * its connection timeouts.  Off unless [metrics] listen is set.
 *
 * A scrape reads the same counters as ocmctl stats (workers_counters), on
 * the main thread, as they are: no worker is asked or waited for.
 */
#ifndef OCM_METRICS_H
#define OCM_METRICS_H

#include <stddef.h>

struct server;
struct metrics;

/* Listening on cfg.metrics_listen; NULL with err set on failure.  Not
 * called at all when it is unset. */
struct metrics *metrics_start(struct server *srv, char *err, size_t err_len);
void metrics_stop(struct metrics *m);
/* The exposition text (malloc'ed, *len bytes), or NULL. */
char *metrics_render(struct server *srv, size_t *len);

#endif
