/*
 * metrics.c: GET /metrics for Prometheus (see metrics.h).
 *
 * libmicrohttpd runs in its "external epoll" mode: it keeps its sockets in
 * an epoll set of its own, whose descriptor ocmd's loop watches; MHD_run()
 * does whatever is ready, and a timer set from MHD_get_timeout() closes
 * idle connections.  Everything but GET /metrics is refused, connections
 * are capped in number, per address and in memory, and idle ones time out,
 * so the endpoint cannot be used to wear ocmd down.
 *
 * Names follow Prometheus conventions: an ocm_ prefix, _total on counters,
 * base units (seconds, bytes), labels only from fixed sets (never a room
 * or user name: unbounded, and chosen by peers).  The counters' names and
 * HELP texts are in the list of core/counters.h; the gauges are here.
 */
#include "daemon/metrics/metrics.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "daemon/cluster/cluster.h"
#include "daemon/core/server.h"
#include "daemon/relay/worker.h"
#include "lib/log.h"

#define METRICS_CONNECTIONS	16
#define METRICS_PER_ADDRESS	4
#define METRICS_TIMEOUT_S	10
#define METRICS_MEMORY		(32 * 1024)	/* per connection: request headers */
#define CONTENT_TYPE		"text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct server *srv;
	struct MHD_Daemon *mhd;
	struct ev_io io;
	struct ev_timer timer;
};

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
gauge(FILE *f, const char *name, const char *help, double v)
{
	header(f, name, "gauge", help);
	fprintf(f, "%s %.17g\n", name, v);
}

static void
render_gauges(FILE *f, struct server *srv)
{
	size_t online = 0;
	struct timespec now;

	workers_sample(srv);
	for (unsigned i = 0; i < srv->n_workers; i++)
		online += srv->samples[i].online;
	clock_gettime(CLOCK_REALTIME, &now);
	double up_s = (double)(ev_now(srv->loop) - srv->started_ms) / 1000.0;
	gauge(f, "ocm_rooms", "Rooms open now.", (double)directory_local(&srv->dir));
	gauge(f, "ocm_members", "Members in all rooms, counting sessions not yet online.",
	    (double)atomic_load_explicit(&srv->n_members, memory_order_relaxed));
	gauge(f, "ocm_members_online", "Members that have sent an authenticated datagram.",
	    (double)online);
	gauge(f, "ocm_rooms_peak", "The most rooms open at once since start.",
	    (double)srv->peak_rooms);
	gauge(f, "ocm_members_peak", "The most members at once since start.",
	    (double)srv->peak_members);
	gauge(f, "ocm_handshakes_in_progress", "TCP connections being served now.",
	    (double)srv->n_conns);
	gauge(f, "ocm_workers", "Worker event loops.", (double)srv->n_workers);
	gauge(f, "ocm_start_time_seconds", "When ocmd started, in seconds since the epoch.",
	    (double)now.tv_sec + (double)now.tv_nsec * 1e-9 - up_s);
	if (srv->cluster != NULL) {
		bool connected;
		size_t nodes, rooms;
		cluster_gauges(srv, &connected, &nodes, &rooms);
		gauge(f, "ocm_cluster_nats_connected", "1 while this node is connected to NATS.",
		    connected ? 1.0 : 0.0);
		gauge(f, "ocm_cluster_nodes", "Nodes of the cluster alive, this one included.",
		    (double)nodes);
		gauge(f, "ocm_cluster_rooms", "Rooms of every node of the cluster.",
		    (double)rooms);
	}
	header(f, "ocm_build_info", "gauge", "Always 1; the version is a label.");
	fprintf(f, "ocm_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
}

char *
metrics_render(struct server *srv, size_t *len)
{
	struct counts st;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	workers_counters(srv, &st);
	counts_prometheus(f, &st);
	render_gauges(f, srv);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *text, bool allow_get)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow_get)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	static int seen;
	(void)version;
	(void)upload;

	/* The first call has the headers only; answer on the second, with
	 * any body the client sent read and thrown away. */
	if (*state == NULL) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics is served\n",
		    true);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: ocmd serves /metrics only\n",
		    false);
	size_t len = 0;
	char *body = metrics_render(m->srv, &len);
	if (body == NULL)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", false);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Runs what is ready, then keeps the timer at MHD's next timeout. */
static void
metrics_run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(m->mhd);
	ev_timer_stop(m->srv->loop, &m->timer);
	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES)
		ev_timer_start(m->srv->loop, &m->timer, ms);
}

static void
metrics_io_cb(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	metrics_run(container_of(io, struct metrics, io));
}

static void
metrics_timer_cb(struct ev_timer *t)
{
	metrics_run(container_of(t, struct metrics, timer));
}

/* libmicrohttpd's error logger: its format strings are its own. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	(void)cls;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics: %s", msg);
}

struct metrics *
metrics_start(struct server *srv, char *err, size_t err_len)
{
	const struct listen_addr *a = &srv->cfg.metrics_listen;
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (m == NULL) {
		snprintf(err, err_len, "metrics: out of memory");
		return NULL;
	}
	if (a->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->srv = srv;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&a->ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_PER_ADDRESS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_MEMORY,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		snprintf(err, err_len, "metrics %s: cannot listen (is the port in use?)", a->text);
		free(m);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ev_timer_init(&m->timer, metrics_timer_cb);
	if (info == NULL || ev_io_start(srv->loop, &m->io, info->epoll_fd, EPOLLIN,
	    metrics_io_cb) < 0) {
		snprintf(err, err_len, "metrics %s: cannot watch its sockets", a->text);
		MHD_stop_daemon(m->mhd);
		free(m);
		return NULL;
	}
	log_info("metrics at http://%s/metrics", a->text);
	return m;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	ev_io_stop(m->srv->loop, &m->io);
	ev_timer_stop(m->srv->loop, &m->timer);
	MHD_stop_daemon(m->mhd);
	free(m);
}
