/*
 * bench_tls.c: the raw TLS 1.3 server that join mode measures ocmd
 * against: one thread (pinned with --server-cpu), non-blocking accepts
 * and handshakes under epoll, as ocmd does them, with the same settings
 * (TLS 1.3 only, ALPN "ocm/1", no tickets, no session cache, a fresh
 * Ed25519 certificate from keys_selfsigned(), OpenSSL's default key
 * exchange, X25519).  A connection ends as soon as its handshake does:
 * close_notify, close.  What it costs is the price of TLS alone.
 */
#include "tests/bench/bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/keys.h"

#define TLS_EVENTS	64

struct srv_conn {
	int fd;
	SSL *ssl;
};

struct tls_server {
	int lfd, ep, stop_fd;
	SSL_CTX *ctx;
	pthread_t thread;
	bool running;
	uint16_t port;
};

static SSL_CTX *
raw_ctx(void)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	SSL_CTX *ctx = keys_server_ctx();

	if (ctx == NULL || keys_selfsigned("ocm-bench", 1, &key, &cert) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	int ok = SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
	EVP_PKEY_free(key);
	X509_free(cert);
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
conn_free(struct srv_conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

static void
conn_step(struct tls_server *s, struct srv_conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		SSL_shutdown(c->ssl);
		conn_free(c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	ERR_clear_error();
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		conn_free(c);
		return;
	}
	struct epoll_event ev = { .events = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT,
		.data.ptr = c };
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
accept_all(struct tls_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct srv_conn *c = calloc(1, sizeof(*c));
		SSL *ssl = c != NULL ? SSL_new(s->ctx) : NULL;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			SSL_free(ssl);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->ssl = ssl;
		SSL_set_accept_state(ssl);
		conn_step(s, c);
	}
}

static void *
tls_main(void *arg)
{
	struct tls_server *s = arg;
	struct epoll_event ev[TLS_EVENTS];

	for (;;) {
		int n = epoll_wait(s->ep, ev, TLS_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &s->stop_fd)
				return NULL;
			if (ev[i].data.ptr == s)
				accept_all(s);
			else
				conn_step(s, ev[i].data.ptr);
		}
	}
}

static int
tls_listen(struct tls_server *s, const char *host)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	if (getaddrinfo(host, "0", &hints, &ai) != 0)
		return -1;
	s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = s->lfd >= 0 ? 0 : -1;
	if (rc == 0)
		setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rc == 0 && (bind(s->lfd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(s->lfd, 1024) < 0 || getsockname(s->lfd, (struct sockaddr *)&ss, &len) < 0))
		rc = -1;
	freeaddrinfo(ai);
	if (rc == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return rc;
}

static int
tls_watch(struct tls_server *s)
{
	struct epoll_event l = { .events = EPOLLIN, .data.ptr = s };
	struct epoll_event st = { .events = EPOLLIN, .data.ptr = &s->stop_fd };

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->ep < 0 || s->stop_fd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &l) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->stop_fd, &st) < 0)
		return -1;
	return 0;
}

struct tls_server *
tls_server_start(const struct bench_opts *o, char *err, size_t err_len)
{
	struct tls_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->lfd = s->ep = s->stop_fd = -1;
	s->ctx = raw_ctx();
	if (s->ctx == NULL || tls_listen(s, o->host) < 0 || tls_watch(s) < 0 ||
	    pthread_create(&s->thread, NULL, tls_main, s) != 0) {
		snprintf(err, err_len, "cannot start the raw TLS server: %s", strerror(errno));
		tls_server_stop(s);
		return NULL;
	}
	s->running = true;
	int rc = pin_thread(s->thread, o->server_cpu);
	if (rc != 0)
		fprintf(stderr, "ocm-bench: cannot pin the raw TLS server to CPU %d: %s\n",
		    o->server_cpu, strerror(rc));
	return s;
}

uint16_t
tls_server_port(const struct tls_server *s)
{
	return s->port;
}

int64_t
tls_server_cpu_ns(struct tls_server *s)
{
	clockid_t id;

	if (pthread_getcpuclockid(s->thread, &id) != 0)
		return -1;
	return (int64_t)clock_cpu_ns(id);
}

/* Connections still open at the end are the server's to leak: the
 * process exits right after. */
void
tls_server_stop(struct tls_server *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	if (s->running) {
		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			perror("ocm-bench: eventfd");
		pthread_join(s->thread, NULL);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ep >= 0)
		close(s->ep);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	SSL_CTX_free(s->ctx);
	free(s);
}
