/*
 * node.c: bringing one ocmd up and down (config to workers and
 * listening sockets, and back), the SIGHUP reload, the sampler's timer
 * and the stats line at exit (what they read of the workers is
 * relay/worker.c's).
 */
#include "daemon/node/node.h"

#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/node/activate.h"
#include "daemon/cluster/cluster.h"
#include "daemon/base/sock.h"
#include "daemon/tcrp/conn.h"
#include "daemon/control/control.h"
#include "daemon/base/journal.h"
#include "daemon/metrics/metrics.h"
#include "daemon/node/notify.h"
#include "daemon/relay/relay.h"
#include "daemon/tcrp/request.h"
#include "daemon/relay/steer.h"
#include "daemon/tcrp/tls.h"
#include "daemon/relay/worker.h"
#include "lib/log.h"

static void
server_apply_limits(struct server *srv)
{
	ratelimit_configure(&srv->rl, srv->cfg.max_failed_joins, srv->cfg.failed_join_window_s,
	    srv->cfg.rate_limit_s, srv->cfg.ipv6_prefix);
	if (srv->n_workers > 0)
		workers_call(srv, worker_set_config, &srv->cfg);
}

/* The state directory holds the generated key: create it private. */
static int
state_dir_ensure(const char *dir, char *err, size_t err_len)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, err_len, "cannot create state_dir %s: %s", dir, strerror(errno));
	return -1;
}

static int
server_tls(struct server *srv, char *err, size_t err_len)
{
	bool generated;
	char fp[FINGERPRINT_LEN];

	if (srv->cfg.certificate[0] == '\0' &&
	    state_dir_ensure(srv->cfg.state_dir, err, err_len) < 0)
		return -1;
	SSL_CTX *ctx = tls_server_ctx(&srv->cfg, fp, &generated, err, err_len);
	if (ctx == NULL)
		return -1;
	if (generated)
		log_info("generated a self-signed Ed25519 certificate in %s", srv->cfg.state_dir);
	SSL_CTX_free(srv->tls);
	srv->tls = ctx;
	memcpy(srv->fingerprint, fp, sizeof(fp));
	return 0;
}

/* workers = auto: the CPUs this process may run on. */
static unsigned
workers_wanted(const struct config *cfg)
{
	cpu_set_t set;
	unsigned n = cfg->workers;

	if (n == 0)
		n = sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set) : 1;
	if (n < 1)
		n = 1;
	return n > STEER_MAX_WORKERS ? STEER_MAX_WORKERS : n;
}

static int
workers_create(struct server *srv, unsigned n, char *err, size_t err_len)
{
	srv->workers = calloc(n, sizeof(*srv->workers));
	srv->samples = calloc(n, sizeof(*srv->samples));
	if (srv->workers == NULL || srv->samples == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		srv->workers[i] = worker_new(srv, i, n > 1);
		if (srv->workers[i] == NULL) {
			snprintf(err, err_len, "cannot create worker %u: %s", i, strerror(errno));
			return -1;
		}
		srv->n_workers = i + 1;
	}
	return 0;
}

/* Back to one worker, before any thread runs: the others' sockets close
 * and leave the reuseport groups to worker 0's. */
static void
workers_shrink(struct server *srv, const char *why)
{
	log_warnx("%s; running 1 worker instead of %u", why, srv->n_workers);
	for (unsigned i = 1; i < srv->n_workers; i++) {
		worker_free(srv->workers[i]);
		srv->workers[i] = NULL;
	}
	srv->n_workers = 1;
	srv->steering = false;
}

/*
 * Every worker gets a UDP socket on every listen address.  With several
 * workers the sockets of one address form an SO_REUSEPORT group, in
 * worker order (socket i is worker i's), and the steering program is
 * attached to it.  OCMD_TEST_STEERING=off leaves it out, so that tests
 * can show what a datagram on the wrong worker does.
 */
static int
workers_bind(struct server *srv, char *err, size_t err_len)
{
	const struct config *cfg = &srv->cfg;
	const char *test = getenv("OCMD_TEST_STEERING");
	bool group = srv->n_workers > 1;
	bool steer = group && (test == NULL || strcmp(test, "off") != 0);
	char why[160] = "";

	for (size_t a = 0; a < cfg->n_listen; a++) {
		int first = -1;
		for (unsigned i = 0; i < srv->n_workers; i++) {
			int fd = relay_bind(srv->workers[i]->relay, &cfg->listen[a], group, err,
			    err_len);
			if (fd < 0)
				return -1;
			if (i == 0)
				first = fd;
		}
		int r = steer ? steer_attach(first) : 0;
		if (r < 0 && why[0] == '\0')
			snprintf(why, sizeof(why), "udp %s: cannot attach the steering program: %s",
			    cfg->listen[a].text, strerror(-r));
	}
	srv->steering = steer && why[0] == '\0';
	if (steer && why[0] != '\0')
		workers_shrink(srv, why);
	else if (group && !steer)
		log_warnx("OCMD_TEST_STEERING=off: datagrams reach workers by the kernel's hash "
		    "and most sessions will not work (for tests only)");
	return 0;
}

/*
 * COMPLETE tells each client to send its datagrams to the port of the TCP
 * listener it reached.  From one listen address that holds by
 * construction; sockets passed by systemd (or TCP passed and UDP
 * configured) may disagree, and every session would then fail.
 */
static int
udp_ports_match(const struct server *srv, char *err, size_t err_len)
{
	for (size_t i = 0; i < srv->n_tcp; i++) {
		uint16_t port = socket_port(srv->tcp[i].io.fd);

		if (port != 0 && !relay_has_port(srv->workers[0]->relay, port)) {
			snprintf(err, err_len, "tcp %s: clients would be told to send their "
			    "datagrams to UDP port %u, but no UDP socket is bound to it (make "
			    "ocmd-udp.socket listen on the same port as ocmd-tcp.socket)",
			    srv->tcp[i].text, port);
			return -1;
		}
	}
	return 0;
}

/*
 * Sockets passed by systemd first; whatever kind it did not pass (TCP,
 * UDP, control) is bound from the configuration.  A UDP socket from
 * systemd belongs to systemd's user, so no worker socket of ours can join
 * its reuseport group: then one worker serves it.
 */
static int
server_sockets(struct server *srv, char *err, size_t err_len)
{
	struct activated a;

	if (activate_sockets(srv, &a, err, err_len) < 0)
		return -1;
	srv->activated = a.tcp + a.udp + a.control > 0;
	if (a.udp > 0 && srv->n_workers > 1)
		workers_shrink(srv, "the UDP socket comes from systemd (workers need ocmd to "
		    "bind UDP itself: drop ocmd-udp.socket or set workers = 1)");
	if (a.udp == 0 && workers_bind(srv, err, err_len) < 0)
		return -1;
	if (a.tcp == 0 && conn_listen_all(srv, err, err_len) < 0)
		return -1;
	if (udp_ports_match(srv, err, err_len) < 0)
		return -1;
	if (a.control == 0 && (srv->control = control_new(srv, err, err_len)) == NULL)
		return -1;
	return 0;
}

static void
server_before_sleep(void *arg)
{
	struct server *srv = arg;

	/* Worker 0 on the main loop (workers = 1) flushes here. */
	if (srv->n_workers > 0 && !srv->workers[0]->threaded)
		relay_flush(srv->workers[0]->relay);
}

int
server_init(struct server *srv, const struct config *cfg, char *err, size_t err_len)
{
	srv->cfg = *cfg;
	srv->room_closed = cluster_room_closed;
	srv->reload = server_reload_notify;
	srv->loop = ev_loop_new();
	if (srv->loop == NULL) {
		snprintf(err, err_len, "cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	ev_set_data(srv->loop, srv);
	ev_set_before_sleep(srv->loop, server_before_sleep, srv);
	srv->started_ms = ev_now(srv->loop);
	if (server_tls(srv, err, err_len) < 0)
		return -1;
	if (directory_init(&srv->dir) < 0 || mailbox_init(&srv->mail, srv->loop, srv) < 0 ||
	    quota_init(&srv->quota) < 0 || ratelimit_init(&srv->rl, 1, 1, 1, 128) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (workers_create(srv, workers_wanted(cfg), err, err_len) < 0)
		return -1;
	server_apply_limits(srv);
	if (server_sockets(srv, err, err_len) < 0)
		return -1;
	if (srv->cfg.metrics_listen.len != 0 &&
	    (srv->metrics = metrics_start(srv, err, err_len)) == NULL)
		return -1;
	return 0;
}

static void sample_cb(struct ev_timer *t);

/* A control command another node forwarded here: run as if it came in
 * here, and never forwarded again (no connection to resume). */
static char *
forwarded_command(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer)
{
	return control_dispatch(srv, cmd, args, peer, NULL);
}

int
server_start(struct server *srv, char *err, size_t err_len)
{
	static const struct cluster_hooks hooks = {
		.join = serve_adopt_join,
		.ctl = forwarded_command,
	};

	for (unsigned i = 0; i < srv->n_workers; i++) {
		int r = worker_start(srv->workers[i]);
		if (r < 0) {
			snprintf(err, err_len, "cannot start worker %u: %s", i, strerror(-r));
			return -1;
		}
	}
	ev_timer_init(&srv->sample_timer, sample_cb);
	ev_timer_start(srv->loop, &srv->sample_timer, SAMPLE_INTERVAL_MS);
	return cluster_start(srv, &hooks, err, err_len);
}

static bool
listen_changed(const struct config *a, const struct config *b)
{
	if (a->n_listen != b->n_listen)
		return true;
	for (size_t i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i].text, b->listen[i].text) != 0)
			return true;
	return false;
}

int
server_reload(struct server *srv)
{
	struct config cfg;
	char err[CONFIG_ERROR_MAX];

	if (config_load(srv->config_path, &cfg, err) < 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return -1;
	}
	if (listen_changed(&srv->cfg, &cfg) || strcmp(cfg.state_dir, srv->cfg.state_dir) != 0 ||
	    strcmp(cfg.control_socket, srv->cfg.control_socket) != 0 ||
	    cfg.workers != srv->cfg.workers || cfg.udp_buffer_kib != srv->cfg.udp_buffer_kib ||
	    strcmp(cfg.metrics_listen.text, srv->cfg.metrics_listen.text) != 0)
		log_warnx("reload: listen, workers, udp_buffer_kib, state_dir, control_socket "
		    "and [metrics] listen changes need a restart, ignoring them");
	if (memcmp(&cfg.cluster, &srv->cfg.cluster, sizeof(cfg.cluster)) != 0)
		log_warnx("reload: [cluster] changes need a restart, ignoring them");
	cfg.workers = srv->cfg.workers;
	cfg.udp_buffer_kib = srv->cfg.udp_buffer_kib;
	cfg.metrics_listen = srv->cfg.metrics_listen;
	cfg.cluster = srv->cfg.cluster;
	memcpy(cfg.listen, srv->cfg.listen, sizeof(cfg.listen));
	cfg.n_listen = srv->cfg.n_listen;
	memcpy(cfg.state_dir, srv->cfg.state_dir, sizeof(cfg.state_dir));
	memcpy(cfg.control_socket, srv->cfg.control_socket, sizeof(cfg.control_socket));
	if (srv->debug)
		cfg.log_level = LOG_LEVEL_DEBUG;
	struct config old = srv->cfg;
	srv->cfg = cfg;
	char tls_err[CONFIG_ERROR_MAX];
	if (server_tls(srv, tls_err, sizeof(tls_err)) < 0) {
		log_warnx("reload: %s; keeping the running configuration", tls_err);
		srv->cfg = old;
		return -1;
	}
	log_set_level(cfg.log_level);
	server_apply_limits(srv);
	control_reload(srv->control);
	log_ocm(LOG_LEVEL_INFO, OCM_EV_RELOADED, NULL, NULL, NULL,
	    "configuration reloaded from %s; %zu rooms kept, fingerprint %s",
	    srv->config_path, directory_local(&srv->dir), srv->fingerprint);
	return 0;
}

/* One line with every counter, at exit. */
static void
server_log_stats(struct server *srv)
{
	struct counts st;
	char line[900];

	workers_counters(srv, &st);
	counts_log_line(&st, line, sizeof(line));
	log_info("stats: %s; peak rooms=%zu members=%zu", line, srv->peak_rooms,
	    srv->peak_members);
}

/*
 * Datagrams the kernel dropped because a worker's receive buffer was full
 * are lost before ocmd saw them: the one loss ocmd cannot count itself.
 * Said in the log when they grow, at most once a minute.
 */
static void
drops_check(struct server *srv)
{
	uint64_t drops = 0, now = ev_now(srv->loop);

	for (unsigned i = 0; i < srv->n_workers; i++)
		drops += srv->samples[i].socket_drops;
	if (drops <= srv->drops_told ||
	    (srv->drops_told_ms != 0 && now - srv->drops_told_ms < DROPS_LOG_MS))
		return;
	log_warnx("udp: the kernel dropped %llu datagrams at ocmd's sockets since %s, "
	    "because their receive buffers were full: the workers could not keep up or were "
	    "kept from running; see udp_buffer_kib and workers in ocmd.conf(5)",
	    (unsigned long long)(drops - srv->drops_told),
	    srv->drops_told_ms == 0 ? "start" : "the last report");
	srv->drops_told = drops;
	srv->drops_told_ms = now;
}

static void
sample_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, sample_timer);

	/* With no room anywhere every rate is zero: the workers sleep on. */
	uint64_t now = ev_now(srv->loop);

	if (directory_local(&srv->dir) > 0 ||
	    atomic_load_explicit(&srv->n_members, memory_order_relaxed) > 0) {
		workers_sample(srv);
		drops_check(srv);
	}
	/*
	 * Members come and go on every thread, and what one thread allocated
	 * another often frees: the allocator's arenas keep the freed pages,
	 * so ocmd's memory would creep up with the churn and never fall back
	 * after a burst.  Once a minute the free pages go back to the system.
	 */
	if (now - srv->trimmed_ms >= TRIM_INTERVAL_MS) {
		malloc_trim(0);
		srv->trimmed_ms = now;
	}
	ev_timer_start(srv->loop, t, SAMPLE_INTERVAL_MS);
}

void
server_shutdown(struct server *srv)
{
	srv->stopping = true;
	notify_stop(srv);
	if (srv->loop != NULL) {
		conn_close_all(srv);
		cluster_stop(srv);
		metrics_stop(srv->metrics);
		srv->metrics = NULL;
		ev_timer_stop(srv->loop, &srv->sample_timer);
		ev_timer_stop(srv->loop, &srv->refusal_timer);
	}
	for (unsigned i = 0; i < srv->n_workers; i++)
		worker_stop(srv->workers[i]);
	/* Replies and room closes the workers posted on their way out. */
	if (srv->mail.loop != NULL)
		mailbox_drain(&srv->mail);
	if (srv->n_workers > 0)
		server_log_stats(srv);
}

int
server_reload_notify(struct server *srv)
{
	notify_reloading();
	int rc = server_reload(srv);
	notify_ready(srv);
	return rc;
}

void
server_free(struct server *srv)
{
	control_free(srv->control);
	metrics_stop(srv->metrics);
	for (unsigned i = 0; i < srv->n_workers; i++)
		worker_free(srv->workers[i]);
	free(srv->workers);
	free(srv->samples);
	mailbox_fini(&srv->mail);
	directory_fini(&srv->dir);
	quota_fini(&srv->quota);
	SSL_CTX_free(srv->tls);
	ev_loop_free(srv->loop);
	memset(srv, 0, sizeof(*srv));
}
