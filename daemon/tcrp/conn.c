/*
 * conn.c: TCRP over TLS, one short connection per request (see conn.h).
 *
 * A connection is a small state machine driven from its fd's readiness;
 * OpenSSL's WANT_READ / WANT_WRITE decide which readiness it waits for.
 * It is freed from its own callback only as the callback's last act, and
 * ev_io_stop() drops any event of it still pending in the loop's batch.
 */
#include "daemon/tcrp/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/base/sock.h"
#include "daemon/tcrp/request.h"
#include "daemon/tcrp/tls.h"
#include "lib/log.h"
#include "lib/tcrp.h"

#define LINGER_MS		2000
#define ACCEPT_RETRY_MS		100	/* after EMFILE */
#define ACCEPT_BURST		64
#define STR_(x)			#x
#define STR(x)			STR_(x)

enum conn_state {
	CONN_HANDSHAKE,
	CONN_READ,
	CONN_HOME,		/* the request is with its home worker */
	CONN_WRITE,
	CONN_SHUTDOWN,
	CONN_LINGER,
};

struct conn {
	struct ev_io io;
	struct ev_timer timer;
	struct server *srv;
	LIST_ENTRY(conn) link;	/* in srv->conns */
	SSL *ssl;
	enum conn_state state;
	struct tcrp_reader rd;
	uint8_t *out;
	size_t out_len, out_off;
	struct serve_peer peer;
	struct quota_entry *quota;	/* its address's count of connections */
	bool timed_out;		/* while CONN_HOME: fail when the answer comes */
};

static void
conn_free(struct conn *c)
{
	struct server *srv = c->srv;

	ev_io_stop(srv->loop, &c->io);
	ev_timer_stop(srv->loop, &c->timer);
	close(c->io.fd);
	SSL_free(c->ssl);
	tcrp_reader_reset(&c->rd);
	free(c->out);
	LIST_REMOVE(c, link);
	srv->n_conns--;
	c->quota->handshakes--;
	free(c);
	/* A slot is free again: resume accepting if the cap had paused it. */
	if (srv->accept_paused && !ev_timer_active(&srv->accept_timer))
		ev_timer_start(srv->loop, &srv->accept_timer, 0);
}

static void
conn_fail(struct conn *c, enum handshake_result why)
{
	counter_add(&c->srv->stats.handshakes[why], 1);
	log_debug("connection from %s closed: %s", c->peer.addr, handshake_names[why]);
	conn_free(c);
}

static void
conn_wait(struct conn *c, int ssl_err)
{
	ev_io_set(c->srv->loop, &c->io, ssl_err == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
}

/* Returns 1 to go on, 0 to wait, -1 when c was freed. */
static int
step_handshake(struct conn *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		counter_add(&c->srv->stats.handshakes[HS_OK], 1);
		c->state = CONN_READ;
		return 1;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		conn_wait(c, e);
		return 0;
	}
	char why[160];
	log_debug("TLS handshake with %s failed: %s", c->peer.addr,
	    tls_error_string(why, sizeof(why)));
	conn_fail(c, HS_FAIL_TLS);
	return -1;
}

static void conn_home_done(struct mail *m, void *owner);

static int
start_reply(struct conn *c)
{
	int r = serve_request(c->srv, &c->peer, c, &c->rd, conn_home_done, &c->out,
	    &c->out_len);

	if (r < 0) {
		conn_free(c);
		return -1;
	}
	tcrp_reader_reset(&c->rd);	/* the request's buffers are done with */
	if (r > 0) {
		/* Nothing to read or write until the home answers. */
		c->state = CONN_HOME;
		ev_io_set(c->srv->loop, &c->io, 0);
		return 0;
	}
	c->state = CONN_WRITE;
	return 1;
}

static int
step_read(struct conn *c)
{
	uint8_t buf[4096];

	for (;;) {
		ERR_clear_error();
		int n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				conn_wait(c, e);
				return 0;
			}
			conn_fail(c, HS_FAIL_CLOSED);
			return -1;
		}
		/* One request per connection: bytes after it are ignored. */
		tcrp_reader_feed(&c->rd, buf, (size_t)n);
		OPENSSL_cleanse(buf, (size_t)n);	/* it may hold a password */
		if (c->rd.status == TCRP_READER_DONE || c->rd.status == TCRP_READER_ERROR)
			return start_reply(c);
	}
}

static int
step_write(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ERR_clear_error();
		int n = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				conn_wait(c, e);
				return 0;
			}
			conn_free(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->state = CONN_SHUTDOWN;
	return 1;
}

static int
step_shutdown(struct conn *c)
{
	ERR_clear_error();
	int r = SSL_shutdown(c->ssl);
	if (r < 0) {
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE) {
			conn_wait(c, e);
			return 0;
		}
	}
	/* close_notify is out (or cannot be sent); half-close and read until
	 * the peer closes, so that its unread bytes cannot make our close()
	 * send a reset that would destroy the reply in flight. */
	shutdown(c->io.fd, SHUT_WR);
	c->state = CONN_LINGER;
	ev_timer_start(c->srv->loop, &c->timer, LINGER_MS);
	ev_io_set(c->srv->loop, &c->io, EPOLLIN);
	return 1;
}

static int
step_linger(struct conn *c)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = read(c->io.fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		conn_free(c);
		return -1;
	}
}

static int
step_home(struct conn *c)
{
	(void)c;
	return 0;
}

static int (*const conn_steps[])(struct conn *) = {
	[CONN_HANDSHAKE] = step_handshake,
	[CONN_READ] = step_read,
	[CONN_HOME] = step_home,
	[CONN_WRITE] = step_write,
	[CONN_SHUTDOWN] = step_shutdown,
	[CONN_LINGER] = step_linger,
};

static void
conn_io_cb(struct ev_io *io, uint32_t revents)
{
	struct conn *c = container_of(io, struct conn, io);
	(void)revents;

	while (conn_steps[c->state](c) > 0)
		;
}

/*
 * The home worker's answer, on the main thread.  The connection waited
 * for it even past its deadline (the answer always comes, one worker loop
 * pass later), so c is alive; unless the daemon is stopping, when every
 * connection was closed already and only the hand-off is left to free.
 */
static void
conn_home_done(struct mail *m, void *owner)
{
	struct handoff *h = container_of(m, struct handoff, mail);
	struct server *srv = owner;

	if (srv->stopping) {
		serve_handoff_discard(h);
		return;
	}
	struct conn *c = h->conn;
	if (c->timed_out) {
		serve_handoff_discard(h);
		conn_fail(c, HS_FAIL_TIMEOUT);
		return;
	}
	if (serve_handoff_reply(srv, h, &c->out, &c->out_len) < 0) {
		conn_free(c);
		return;
	}
	c->state = CONN_WRITE;
	conn_io_cb(&c->io, 0);
}

static void
conn_timer_cb(struct ev_timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);

	if (c->state == CONN_LINGER) {
		conn_free(c);
		return;
	}
	if (c->state == CONN_HOME) {
		c->timed_out = true;
		return;
	}
	log_debug("connection from %s timed out", c->peer.addr);
	conn_fail(c, HS_FAIL_TIMEOUT);
}

/* Accepting. */

/*
 * The address's connections in progress, counted; NULL when it already
 * has max_handshakes_per_address, so that one host cannot fill the
 * daemon-wide max_handshakes and lock everybody else out.
 */
static struct quota_entry *
conn_admit(struct server *srv, const struct peer_ip *ip, const char *addr)
{
	struct quota_entry *q = quota_get(&srv->quota, ip, srv->cfg.ipv6_prefix);

	if (q == NULL)
		return NULL;
	if (q->handshakes >= srv->cfg.max_handshakes_per_address) {
		char detail[96];
		counter_add(&srv->stats.handshakes[HS_FAIL_ADDRESS], 1);
		snprintf(detail, sizeof(detail), "%u in progress, max_handshakes_per_address",
		    q->handshakes);
		server_refusal(srv, ip, addr, REFUSAL_HANDSHAKES, detail);
		return NULL;
	}
	q->handshakes++;
	return q;
}

static void
conn_new(struct server *srv, int fd, const struct sockaddr_storage *ss)
{
	struct peer_ip ip;
	char addr[sizeof(((struct serve_peer *)0)->addr)];

	peer_ip_from_sockaddr(&ip, (const struct sockaddr *)ss);
	peer_ip_str(&ip, addr, sizeof(addr));
	struct quota_entry *q = conn_admit(srv, &ip, addr);
	struct conn *c = q != NULL ? calloc(1, sizeof(*c)) : NULL;
	if (c == NULL || (c->ssl = SSL_new(srv->tls)) == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		if (c != NULL)
			SSL_free(c->ssl);
		if (q != NULL)
			q->handshakes--;
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->quota = q;
	/* The reply and close_notify are separate small writes; Nagle would
	 * hold the second for the client's delayed ACK. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->peer.ip = ip;
	memcpy(c->peer.addr, addr, sizeof(addr));
	c->peer.ssl = c->ssl;
	c->peer.udp_port = socket_port(fd);
	SSL_set_accept_state(c->ssl);
	tcrp_reader_init(&c->rd, TCRP_MAX_PAYLOAD);
	if (ev_io_start(srv->loop, &c->io, fd, EPOLLIN, conn_io_cb) < 0) {
		SSL_free(c->ssl);
		q->handshakes--;
		free(c);
		close(fd);
		return;
	}
	ev_timer_init(&c->timer, conn_timer_cb);
	ev_timer_start(srv->loop, &c->timer, (uint64_t)srv->cfg.handshake_timeout_s * 1000);
	LIST_INSERT_HEAD(&srv->conns, c, link);
	srv->n_conns++;
}

static void
accept_pause(struct server *srv, uint64_t retry_ms)
{
	srv->accept_paused = true;
	for (size_t i = 0; i < srv->n_tcp; i++)
		ev_io_set(srv->loop, &srv->tcp[i].io, 0);
	if (retry_ms > 0)
		ev_timer_start(srv->loop, &srv->accept_timer, retry_ms);
}

static void
accept_resume_cb(struct ev_timer *t)
{
	struct server *srv = container_of(t, struct server, accept_timer);

	srv->accept_paused = false;
	for (size_t i = 0; i < srv->n_tcp; i++)
		ev_io_set(srv->loop, &srv->tcp[i].io, EPOLLIN);
}

/* At most one warning every 10 s, whatever the rate of failures. */
static void
accept_warn(struct server *srv, const struct listener *l, int e, const char *what)
{
	uint64_t now = ev_now(srv->loop);

	if (now - srv->accept_warned_ms < 10000)
		return;
	srv->accept_warned_ms = now;
	log_warnx("accept on %s: %s (%s); raise LimitNOFILE or lower max_handshakes",
	    l->text, strerror(e), what);
}

/*
 * Out of descriptors: the reserve one is given up for long enough to take
 * the waiting connection and close it, so that the client hears at once
 * (rather than waiting in the backlog for a timeout) and ocmd does not
 * spin on a listener that stays readable.  1 when one was refused, 0 when
 * none was waiting (accept fails with EMFILE before it looks), -1 when
 * the reserve could not be used.
 */
static int
accept_refuse(struct server *srv, int listen_fd)
{
	if (srv->reserve_fd < 0)
		return -1;
	close(srv->reserve_fd);
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd);
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		counter_add(&srv->stats.handshakes[HS_FAIL_NO_FDS], 1);
		return 1;
	}
	return e == EAGAIN || e == EWOULDBLOCK ? 0 : -1;
}

static void
accept_cb(struct ev_io *io, uint32_t revents)
{
	struct listener *l = container_of(io, struct listener, io);
	struct server *srv = l->srv;
	(void)revents;

	for (int i = 0; i < ACCEPT_BURST; i++) {
		if (srv->n_conns >= srv->cfg.max_handshakes) {
			/* Leave the rest in the kernel's backlog until a
			 * connection finishes (conn_free resumes). */
			counter_add(&srv->stats.handshakes[HS_FAIL_BUSY], 1);
			accept_pause(srv, 0);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_new(srv, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE) {
			int e = errno, r = accept_refuse(srv, io->fd);
			if (r == 1) {
				accept_warn(srv, l, e, "refusing new connections");
				continue;
			}
			if (r == 0)
				return;		/* nothing waits; no spin either */
			errno = e;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* The pending connection stays readable, so retrying
			 * at once would spin. */
			accept_warn(srv, l, errno, "pausing " STR(ACCEPT_RETRY_MS) " ms");
			accept_pause(srv, ACCEPT_RETRY_MS);
		}
		return;
	}
}

int
conn_listen_fd(struct server *srv, int fd, const char *text)
{
	if (srv->n_tcp == SERVER_MAX_SOCKETS)
		return -ENOSPC;
	struct listener *l = &srv->tcp[srv->n_tcp];
	l->srv = srv;
	snprintf(l->text, sizeof(l->text), "%s", text);
	if (srv->n_tcp == 0) {
		ev_timer_init(&srv->accept_timer, accept_resume_cb);
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	int r = ev_io_start(srv->loop, &l->io, fd, EPOLLIN, accept_cb);
	if (r < 0)
		return r;
	srv->n_tcp++;
	return 0;
}

static int
tcp_listen(const struct listen_addr *a, char *err, size_t err_len)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, err_len, "tcp %s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, err_len, "tcp %s: %s (is another ocmd running?)", a->text,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
conn_listen_all(struct server *srv, char *err, size_t err_len)
{
	for (size_t i = 0; i < srv->cfg.n_listen; i++) {
		int fd = tcp_listen(&srv->cfg.listen[i], err, err_len);
		if (fd < 0)
			return -1;
		if (conn_listen_fd(srv, fd, srv->cfg.listen[i].text) < 0) {
			close(fd);
			snprintf(err, err_len, "tcp %s: too many listeners", srv->cfg.listen[i].text);
			return -1;
		}
	}
	return 0;
}

void
conn_close_all(struct server *srv)
{
	srv->accept_paused = false;	/* nothing to resume */
	for (size_t i = 0; i < srv->n_tcp; i++) {
		ev_io_stop(srv->loop, &srv->tcp[i].io);
		close(srv->tcp[i].io.fd);
	}
	if (srv->n_tcp > 0) {
		ev_timer_stop(srv->loop, &srv->accept_timer);
		if (srv->reserve_fd >= 0)
			close(srv->reserve_fd);
		srv->reserve_fd = -1;
	}
	srv->n_tcp = 0;
	while (!LIST_EMPTY(&srv->conns))
		conn_free(LIST_FIRST(&srv->conns));
}
