/*
 * server.c: bringing one ocmd up and down (config to listening sockets,
 * and back), the SIGHUP reload, and the names of its counters.
 */
#include "daemon/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/activate.h"
#include "daemon/conn.h"
#include "daemon/control.h"
#include "daemon/notify.h"
#include "daemon/relay.h"
#include "daemon/tls.h"
#include "lib/log.h"

const char *const drop_reason_names[DROP_MAX_] = {
	[DROP_MALFORMED] = "malformed",
	[DROP_UNKNOWN_TOKEN] = "unknown_token",
	[DROP_WRONG_ADDRESS] = "wrong_address",
	[DROP_REPLAY] = "replay",
	[DROP_BAD_TAG] = "bad_tag",
	[DROP_BAD_PLAINTEXT] = "bad_plaintext",
};

const char *const handshake_fail_names[HS_FAIL_MAX_] = {
	[HS_FAIL_TIMEOUT] = "timeout",
	[HS_FAIL_TLS] = "tls_error",
	[HS_FAIL_BUSY] = "busy",
	[HS_FAIL_CLOSED] = "closed_early",
};

static void
server_apply_limits(struct server *srv)
{
	struct registry_limits lim = {
		.max_rooms = srv->cfg.max_rooms,
		.max_members = srv->cfg.max_members,
		.max_members_per_room = srv->cfg.max_members_per_room,
	};
	registry_set_limits(srv->reg, &lim);
	ratelimit_configure(&srv->rl, srv->cfg.max_failed_joins, srv->cfg.failed_join_window_s,
	    srv->cfg.rate_limit_s);
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

/*
 * Sockets passed by systemd first; whatever kind it did not pass (TCP,
 * UDP, control) is bound from the configuration.
 */
static int
server_sockets(struct server *srv, char *err, size_t err_len)
{
	struct activated a;

	srv->relay = relay_new(srv);
	if (srv->relay == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (activate_sockets(srv, &a, err, err_len) < 0)
		return -1;
	srv->activated = a.tcp + a.udp + a.control > 0;
	if (a.udp == 0 && relay_bind(srv->relay, err, err_len) < 0)
		return -1;
	if (a.tcp == 0 && conn_listen_all(srv, err, err_len) < 0)
		return -1;
	if (a.control == 0 && (srv->control = control_new(srv, err, err_len)) == NULL)
		return -1;
	return 0;
}

int
server_init(struct server *srv, const struct config *cfg, char *err, size_t err_len)
{
	struct registry_limits lim = { 0 };

	srv->cfg = *cfg;
	srv->loop = ev_loop_new();
	if (srv->loop == NULL) {
		snprintf(err, err_len, "cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	ev_set_data(srv->loop, srv);
	srv->started_ms = ev_now(srv->loop);
	if (server_tls(srv, err, err_len) < 0)
		return -1;
	srv->reg = registry_new(&lim);
	if (srv->reg == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	srv->reg->data = srv;
	ratelimit_init(&srv->rl, 1, 1, 1);
	server_apply_limits(srv);
	return server_sockets(srv, err, err_len);
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
	    strcmp(cfg.control_socket, srv->cfg.control_socket) != 0)
		log_warnx("reload: listen, state_dir and control_socket changes need a restart, "
		    "ignoring them");
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
	log_info("configuration reloaded from %s; %zu rooms kept, fingerprint %s",
	    srv->config_path, srv->reg->n_rooms, srv->fingerprint);
	return 0;
}

/* One line with every counter, at exit (and, later, on demand). */
void
server_log_stats(const struct server *srv)
{
	const struct counters *st = &srv->stats;
	char drops[256], hs[160];
	size_t n = 0, m = 0;

	for (int i = 0; i < DROP_MAX_; i++)
		n += (size_t)snprintf(drops + n, sizeof(drops) - n, " %s=%llu",
		    drop_reason_names[i], (unsigned long long)st->drops[i]);
	for (int i = 0; i < HS_FAIL_MAX_; i++)
		m += (size_t)snprintf(hs + m, sizeof(hs) - m, " %s=%llu",
		    handshake_fail_names[i], (unsigned long long)st->handshakes_failed[i]);
	log_info("stats: handshakes ok=%llu%s; datagrams in=%llu out=%llu bytes_in=%llu "
	    "bytes_out=%llu send_errors=%llu; chats relayed=%llu rejected=%llu; "
	    "tokens_expired=%llu timed_out=%llu; drops%s; peak rooms=%zu members=%zu",
	    (unsigned long long)st->handshakes_ok, hs, (unsigned long long)st->datagrams_in,
	    (unsigned long long)st->datagrams_out, (unsigned long long)st->bytes_in,
	    (unsigned long long)st->bytes_out, (unsigned long long)st->send_errors,
	    (unsigned long long)st->chats_relayed, (unsigned long long)st->chats_rejected,
	    (unsigned long long)st->tokens_expired, (unsigned long long)st->members_timed_out,
	    drops, srv->reg->peak_rooms, srv->reg->peak_members);
}

void
server_shutdown(struct server *srv)
{
	notify_stop(srv);
	if (srv->relay != NULL)
		relay_shutdown(srv->relay);
	if (srv->loop != NULL)
		conn_close_all(srv);
	if (srv->reg != NULL)
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
	relay_free(srv->relay);
	registry_free(srv->reg);
	SSL_CTX_free(srv->tls);
	ev_loop_free(srv->loop);
	memset(srv, 0, sizeof(*srv));
}
