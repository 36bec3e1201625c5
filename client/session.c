/*
 * session.c: one TCRP exchange over TLS 1.3, and the sealed UDP session
 * that follows it (see session.h).  The TCRP exchange uses blocking
 * sockets with timeouts: a client does one thing at a time there, and a
 * GUI runs it in a thread of its own.  The UDP socket never blocks: the
 * front end's loop watches it (room.c).
 */
#include "client/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/tcrp.h"
#include "lib/text.h"

static void set_err(char *err, const char *fmt, ...) OCM_PRINTF(2, 3);

/* Messages may be cut at CLIENT_ERR_MAX; that is fine for people. */
static void
set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CLIENT_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* "host:port", with brackets for IPv6 literals. */
static void
host_port(const char *host, uint16_t port, char *buf, size_t len)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", host, port);
	else
		snprintf(buf, len, "%s:%u", host, port);
}

static int
connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	int n = poll(&p, 1, timeout_ms);
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* Connects to the first address of host that answers; fills addr text. */
static int
tcp_connect(const struct server_opts *o, char *addr, size_t addr_len, char *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char port[8];
	int fd = -1, saved = 0;

	snprintf(port, sizeof(port), "%u", o->port);
	int r = getaddrinfo(o->host, port, &hints, &res);
	if (r != 0) {
		set_err(err, "cannot resolve %s: %s", o->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, o->timeout_ms) == 0) {
			getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, (socklen_t)addr_len, NULL, 0,
			    NI_NUMERICHOST);
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		char hp[300];
		host_port(o->host, o->port, hp, sizeof(hp));
		set_err(err, "cannot connect to %s: %s (is ocmd running there?)",
		    hp, strerror(saved ? saved : ECONNREFUSED));
		return -1;
	}
	/* Blocking from here on, bounded by the timeout. */
	struct timeval tv = { .tv_sec = o->timeout_ms / 1000,
		.tv_usec = (o->timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* TLS Finished and the request leave as two small writes: without
	 * this, Nagle holds the second until the server's delayed ACK
	 * (40 ms on Linux) on every join. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* known_servers (trust on first use, as OpenSSH's accept-new). */

int
known_servers_default(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/ocm/known_servers", xdg);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, len, "%s/.config/ocm/known_servers", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* mkdir -p of path's directory, private. */
static void
make_parent_dirs(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0700);
		*p = '/';
	}
}

/*
 * Looks up host:port in the file.  Returns 1 when pinned to fp, 0 when
 * absent, -1 on a mismatch or an unreadable file (err set).
 */
static int
known_servers_check(const char *file, const char *hp, const char *fp, char *err)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	unsigned lineno = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		set_err(err, "cannot read %s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[300], pinned[128];
		lineno++;
		if (line[0] == '#' || sscanf(line, "%299s %127s", name, pinned) != 2 ||
		    strcmp(name, hp) != 0)
			continue;
		fclose(f);
		if (strcmp(pinned, fp) == 0)
			return 1;
		set_err(err,
		    "server %s presented the key %s, but %s:%u pins %s for it.\n"
		    "Someone may be impersonating the server, or its key was changed.\n"
		    "If you know the change is genuine, delete line %u of %s and connect again.",
		    hp, fp, file, lineno, pinned, lineno, file);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
known_servers_file(const struct server_opts *o, char file[4096], char *err)
{
	if (o->known_servers != NULL) {
		snprintf(file, 4096, "%s", o->known_servers);
		return 0;
	}
	if (known_servers_default(file, 4096) == 0)
		return 0;
	snprintf(err, CLIENT_ERR_MAX,
	    "cannot locate known_servers: set HOME or XDG_CONFIG_HOME, or use --ca-file");
	return -1;
}

int
known_servers_pin(const struct server_opts *o, const char *fp, char err[CLIENT_ERR_MAX])
{
	char file[4096], hp[300];

	if (known_servers_file(o, file, err) < 0)
		return -1;
	host_port(o->host, o->port, hp, sizeof(hp));
	make_parent_dirs(file);
	FILE *f = fopen(file, "ae");
	bool bad = f == NULL;
	if (!bad) {
		bad = fprintf(f, "%s %s\n", hp, fp) < 0;
		bad = fclose(f) != 0 || bad;
	}
	if (bad) {
		set_err(err, "cannot record %s in %s: %s", hp, file,
		    strerror(errno));
		return -1;
	}
	if (!o->quiet_tofu)
		fprintf(stderr, "ocm-client: first connection to %s; its key fingerprint is\n"
		    "    %s\nrecorded in %s (a later change will be refused)\n", hp, fp, file);
	return 0;
}

/* 0 when fp is pinned for the server or is pinned now, 1 when it is new
 * and o->tofu_ask leaves the choice to the caller, -1 with err. */
static int
known_servers_verify(const struct server_opts *o, const char *fp, char *err)
{
	char file[4096], hp[300];

	if (known_servers_file(o, file, err) < 0)
		return -1;
	host_port(o->host, o->port, hp, sizeof(hp));
	int r = known_servers_check(file, hp, fp, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (o->tofu_ask) {
		set_err(err, "%s is not in %s yet: its key fingerprint is %s", hp, file, fp);
		return 1;
	}
	return known_servers_pin(o, fp, err);
}

/* TLS. */

static SSL *
tls_connect(const struct server_opts *o, int fd, SSL_CTX **ctx_out, char *err)
{
	static const unsigned char alpn[] = "\x05" OCM_ALPN;
	char why[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0)
		goto fail;
	if (o->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
			keys_tls_error(why, sizeof(why), "connection closed");
			set_err(err, "cannot load CA file %s: %s", o->ca_file, why);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	struct in6_addr ignored;
	bool literal = inet_pton(AF_INET, o->host, &ignored) == 1 ||
	    inet_pton(AF_INET6, o->host, &ignored) == 1;
	if (!literal)
		SSL_set_tlsext_host_name(ssl, o->host);
	if (o->ca_file != NULL && SSL_set1_host(ssl, o->host) != 1)
		goto fail;
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);
		keys_tls_error(why, sizeof(why), "connection closed");
		if (o->ca_file != NULL && v != X509_V_OK)
			set_err(err, "cannot verify %s against %s: %s", o->host,
			    o->ca_file, X509_verify_cert_error_string(v));
		else
			set_err(err, "TLS handshake with %s failed: %s", o->host,
			    why);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		return NULL;
	}
	*ctx_out = ctx;
	return ssl;
fail:
	keys_tls_error(why, sizeof(why), "connection closed");
	set_err(err, "TLS setup failed: %s", why);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return NULL;
}

/* ALPN and the server's identity, once the handshake is done. */
static int
tls_check_peer(const struct server_opts *o, SSL *ssl, char fp[FINGERPRINT_LEN], char *err)
{
	const unsigned char *proto;
	unsigned int proto_len;

	SSL_get0_alpn_selected(ssl, &proto, &proto_len);
	if (proto_len != strlen(OCM_ALPN) || memcmp(proto, OCM_ALPN, proto_len) != 0) {
		snprintf(err, CLIENT_ERR_MAX,
		    "%s did not agree to ALPN %s: is it an OCM server?", o->host, OCM_ALPN);
		return -1;
	}
	X509 *cert = SSL_get0_peer_certificate(ssl);
	if (cert == NULL || keys_fingerprint(cert, fp) < 0) {
		set_err(err, "%s sent no usable certificate", o->host);
		return -1;
	}
	if (o->ca_file != NULL)
		return 0;
	return known_servers_verify(o, fp, err);	/* 1: not pinned yet */
}

/* TCRP. */

static int
ssl_write_all(SSL *ssl, const uint8_t *p, size_t len)
{
	while (len > 0) {
		int n = SSL_write(ssl, p, (int)len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct rx_buf {
	uint8_t data[4096];
	size_t off, len;
};

/* Reads one whole TCRP message into rd, keeping bytes that follow it. */
static int
tcrp_read(SSL *ssl, struct rx_buf *b, struct tcrp_reader *rd, char *err)
{
	for (;;) {
		if (b->off == b->len) {
			int n = SSL_read(ssl, b->data, sizeof(b->data));
			if (n <= 0) {
				snprintf(err, CLIENT_ERR_MAX,
				    "the server closed the connection before answering");
				return -1;
			}
			b->off = 0;
			b->len = (size_t)n;
		}
		long used = tcrp_reader_feed(rd, b->data + b->off, b->len - b->off);
		if (used < 0) {
			set_err(err, "malformed reply from the server: %s",
			    ocm_strerror((int)used));
			return -1;
		}
		b->off += (size_t)used;
		if (rd->status == TCRP_READER_DONE)
			return 0;
	}
}

static int
reply_check(const struct tcrp_reader *rd, uint8_t op, uint8_t state, char *err)
{
	if (rd->h.operation != op || rd->h.state != state) {
		snprintf(err, CLIENT_ERR_MAX,
		    "unexpected reply from the server (operation %u, state %u)",
		    rd->h.operation, rd->h.state);
		return -1;
	}
	return 0;
}

static int
send_request(SSL *ssl, const struct tcrp_request *req, char *err)
{
	size_t json_len = 0;
	char *json = tcrp_request_build(req, &json_len);
	size_t cap = TCRP_HEADER_LEN + req->room_len + json_len;
	uint8_t *msg = json != NULL ? malloc(cap) : NULL;
	int rc = -1;

	if (msg != NULL && tcrp_encode(req->operation, TCRP_STATE_REQUEST,
	    (const uint8_t *)req->room, req->room_len, (const uint8_t *)json, json_len, msg,
	    cap) > 0)
		rc = ssl_write_all(ssl, msg, cap);
	if (rc < 0)
		set_err(err, "cannot send the request");
	/* Both hold the room password in clear. */
	if (json != NULL)
		OPENSSL_cleanse(json, json_len);
	if (msg != NULL)
		OPENSSL_cleanse(msg, cap);
	free(json);
	free(msg);
	return rc;
}

/* RESPONSE, then COMPLETE when it says ok. */
static int
read_replies(SSL *ssl, const struct tcrp_request *req, struct tcrp_result *res, char *err)
{
	struct rx_buf b = { .off = 0, .len = 0 };
	struct tcrp_reader rd;
	struct tcrp_response resp;
	int rc = -1;

	tcrp_reader_init(&rd, TCRP_MAX_PAYLOAD);
	if (tcrp_read(ssl, &b, &rd, err) < 0 ||
	    reply_check(&rd, req->operation, TCRP_STATE_RESPONSE, err) < 0)
		goto out;
	if (tcrp_response_parse(tcrp_reader_payload(&rd), (size_t)rd.h.payload_len, &resp) < 0) {
		set_err(err, "malformed RESPONSE from the server");
		goto out;
	}
	res->code = resp.code;
	snprintf(res->message, sizeof(res->message), "%s", resp.message);
	if (resp.code != TCRP_CODE_OK) {
		rc = 0;
		goto out;
	}
	tcrp_reader_reset(&rd);
	if (tcrp_read(ssl, &b, &rd, err) < 0 ||
	    reply_check(&rd, req->operation, TCRP_STATE_COMPLETE, err) < 0)
		goto out;
	const uint8_t *p = tcrp_reader_payload(&rd);
	size_t len = (size_t)rd.h.payload_len;
	int r = req->operation == TCRP_OP_LIST_ROOMS ?
	    tcrp_rooms_parse(p, len, &res->rooms, &res->n_rooms, &res->rooms_more) :
	    tcrp_session_parse(p, len, &res->session);
	if (r < 0)
		set_err(err, "malformed COMPLETE from the server: %s",
		    ocm_strerror(r));
	else
		rc = 0;
out:
	tcrp_reader_reset(&rd);
	return rc;
}

int
tls_conn_open(const struct server_opts *o, struct tls_conn *c, char err[CLIENT_ERR_MAX])
{
	memset(c, 0, sizeof(*c));
	c->fd = tcp_connect(o, c->addr, sizeof(c->addr), err);
	if (c->fd < 0)
		return -1;
	c->ssl = tls_connect(o, c->fd, &c->ctx, err);
	int r = c->ssl == NULL ? -1 : tls_check_peer(o, c->ssl, c->fingerprint, err);
	if (r != 0) {
		c->unpinned = r > 0;
		tls_conn_close(c);
		return -1;
	}
	return 0;
}

void
tls_conn_close(struct tls_conn *c)
{
	if (c->ssl != NULL)
		SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
}

int
tcrp_call(const struct server_opts *o, const struct tcrp_request *req,
    struct tcrp_result *res, char err[CLIENT_ERR_MAX])
{
	struct tls_conn c;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (tls_conn_open(o, &c, err) < 0) {
		res->unpinned = c.unpinned;
		memcpy(res->fingerprint, c.fingerprint, sizeof(res->fingerprint));
		return -1;
	}
	memcpy(res->fingerprint, c.fingerprint, sizeof(res->fingerprint));
	memcpy(res->server_addr, c.addr, sizeof(res->server_addr));
	if (send_request(c.ssl, req, err) < 0 || read_replies(c.ssl, req, res, err) < 0)
		goto out;
	if (res->code == TCRP_CODE_OK && req->operation != TCRP_OP_LIST_ROOMS &&
	    keys_export(c.ssl, res->session.token, &res->keys) < 0) {
		set_err(err, "cannot derive the UDP keys from the TLS session");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		tcrp_result_clear(res);
	tls_conn_close(&c);
	return rc;
}

/* A page that moves the list on: every name after the one asked for, and
 * some name when more are announced, so that asking again cannot loop. */
static bool
list_page_ok(const struct tcrp_result *page, const struct tcrp_request *req)
{
	if (page->rooms_more && page->n_rooms == 0)
		return false;
	for (size_t i = 0; i < page->n_rooms; i++)
		if (name_cmp((const uint8_t *)page->rooms[i].name, strlen(page->rooms[i].name),
		    (const uint8_t *)req->after, req->after_len) <= 0)
			return false;
	return true;
}

/* Appends what is left room for of a page; a page cut short leaves
 * rooms after the list's last, so more follow. */
static bool
list_append(struct tcrp_result *res, const struct tcrp_result *page)
{
	struct tcrp_room_info *rooms;
	size_t n = page->n_rooms;

	res->rooms_more = page->rooms_more;
	if (n > LIST_ROOMS_MAX - res->n_rooms) {
		n = LIST_ROOMS_MAX - res->n_rooms;
		res->rooms_more = true;
	}
	if (n == 0)
		return true;
	rooms = realloc(res->rooms, (res->n_rooms + n) * sizeof(*rooms));
	if (rooms == NULL)
		return false;
	memcpy(rooms + res->n_rooms, page->rooms, n * sizeof(*rooms));
	res->rooms = rooms;
	res->n_rooms += n;
	return true;
}

/* req asks for the rooms after the list's last, and no more than fit. */
static void
list_next(struct tcrp_request *req, const struct tcrp_result *res)
{
	const char *last = res->rooms[res->n_rooms - 1].name;

	req->after_len = (uint8_t)strlen(last);
	memcpy(req->after, last, (size_t)req->after_len + 1);
	req->limit = (uint16_t)(LIST_ROOMS_MAX - res->n_rooms);
}

int
tcrp_list_rooms(const struct server_opts *o, const char *after, struct tcrp_result *res,
    char err[CLIENT_ERR_MAX])
{
	struct tcrp_request req = { .operation = TCRP_OP_LIST_ROOMS };
	struct tcrp_result page;

	memset(res, 0, sizeof(*res));
	if (after != NULL && after[0] != '\0') {
		size_t len = strlen(after);
		/* A name as a server lists it: what --json printed as "next". */
		if (!name_listed_valid((const uint8_t *)after, len)) {
			set_err(err, "'%s' is not a room name", after);
			return -1;
		}
		req.after_len = (uint8_t)len;
		memcpy(req.after, after, len + 1);
	}
	/* The first page without a limit, as any server understands it;
	 * list_append() cuts what does not fit. */
	for (unsigned pages = 0; pages < LIST_PAGES_MAX; pages++) {
		if (pages > 0)
			list_next(&req, res);
		if (tcrp_call(o, &req, &page, err) < 0) {
			tcrp_result_clear(res);
			/* What tofu_ask needs, of the server that failed. */
			res->unpinned = page.unpinned;
			memcpy(res->fingerprint, page.fingerprint, sizeof(res->fingerprint));
			return -1;
		}
		if (page.code != TCRP_CODE_OK) {
			/* The refusal of this page is the answer. */
			tcrp_result_clear(res);
			*res = page;
			return 0;
		}
		if (pages == 0) {
			memcpy(res->fingerprint, page.fingerprint, sizeof(res->fingerprint));
			memcpy(res->server_addr, page.server_addr, sizeof(res->server_addr));
		}
		bool ok = list_page_ok(&page, &req) && list_append(res, &page);
		tcrp_result_clear(&page);
		if (!ok)
			goto malformed;
		if (!res->rooms_more || res->n_rooms == LIST_ROOMS_MAX)
			break;
	}
	return 0;
malformed:
	set_err(err, "malformed LIST_ROOMS from the server: a page with names out of "
	    "order, or empty with more to come");
	tcrp_result_clear(res);
	return -1;
}

int
tls_read_message(SSL *ssl, struct tcrp_reader *rd, char err[CLIENT_ERR_MAX])
{
	struct rx_buf b = { .off = 0, .len = 0 };
	return tcrp_read(ssl, &b, rd, err);
}

void
tcrp_result_clear(struct tcrp_result *res)
{
	tcrp_session_clear(&res->session);
	keys_wipe(&res->keys);
	free(res->rooms);
	res->rooms = NULL;
	res->n_rooms = 0;
	res->rooms_more = false;
}

/* UDP. */

int
udp_session_open(struct udp_session *u, const struct server_opts *o,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX])
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	const char *host = res->session.udp_host[0] ? res->session.udp_host : res->server_addr;
	(void)o;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	snprintf(port, sizeof(port), "%u", res->session.udp_port);
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		set_err(err, "cannot resolve %s: %s", host, gai_strerror(r));
		return -1;
	}
	u->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || connect(u->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		set_err(err, "cannot open UDP to %s port %s: %s", host, port,
		    strerror(errno));
		freeaddrinfo(ai);
		udp_session_close(u);
		return -1;
	}
	freeaddrinfo(ai);
	u->tx = aead_new(res->keys.c2s, AEAD_SEAL);
	u->rx = aead_new(res->keys.s2c, AEAD_OPEN);
	keys_wipe(&res->keys);
	if (u->tx == NULL || u->rx == NULL) {
		set_err(err, "cannot set up the datagram keys");
		udp_session_close(u);
		return -1;
	}
	replay_init(&u->replay);
	u->room_len = req->room_len;
	memcpy(u->room, req->room, req->room_len + 1);
	memcpy(u->user, req->user, req->user_len + 1);
	memcpy(u->token, res->session.token, OCM_TOKEN_LEN);
	u->max_text = msg_max_text(res->session.max_datagram, req->room_len, req->user_len);
	u->keepalive_s = res->session.keepalive_s;
	u->timeout_s = res->session.timeout_s;
	return 0;
}

void
udp_session_close(struct udp_session *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	aead_free(u->tx);
	aead_free(u->rx);
	u->tx = u->rx = NULL;
}

int
udp_send(struct udp_session *u, const uint8_t *pt, size_t len)
{
	uint8_t buf[OCM_MAX_DATAGRAM];
	long n = dgram_seal(u->tx, (const uint8_t *)u->room, u->room_len, u->token,
	    u->tx_counter, pt, len, buf, sizeof(buf));

	if (n < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	u->tx_counter++;
	return send(u->fd, buf, (size_t)n, 0) == n ? 0 : -1;
}

int
udp_send_chat(struct udp_session *u, const char *text, size_t len)
{
	uint8_t pt[OCM_MAX_DATAGRAM];
	long n = msg_encode_c_chat((const uint8_t *)text, len, pt, sizeof(pt));

	if (n < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	return udp_send(u, pt, (size_t)n);
}

int
udp_send_empty(struct udp_session *u, uint8_t type)
{
	uint8_t pt[1];

	if (type == MSG_C_PING)
		return udp_send_ping(u, NULL);
	long n = msg_encode_empty(type, pt, sizeof(pt));
	return n < 0 ? -1 : udp_send(u, pt, (size_t)n);
}

int
udp_send_ping(struct udp_session *u, const uint8_t *challenge)
{
	uint8_t pt[1 + MSG_CHALLENGE_LEN];
	long n = msg_encode_ping(challenge, MSG_CHALLENGE_LEN, pt, sizeof(pt));

	return n < 0 ? -1 : udp_send(u, pt, (size_t)n);
}

/* The challenge of a PONG, if pt is one or a BATCH holding one. */
static bool
challenge_find(const uint8_t *pt, size_t len, const uint8_t **challenge)
{
	struct msg m, rec;
	struct msg_iter it;
	const uint8_t *p;
	size_t n;
	bool found = false;

	if (msg_parse(pt, len, &m) < 0)
		return false;
	if (m.type == MSG_S_PONG && m.body_len == MSG_CHALLENGE_LEN) {
		*challenge = m.body;
		return true;
	}
	if (m.type != MSG_S_BATCH)
		return false;
	msg_iter_init(&it, &m);
	while (msg_batch_next(&it, &p, &n) == 1) {
		if (msg_parse(p, n, &rec) == 0 && rec.type == MSG_S_PONG &&
		    rec.body_len == MSG_CHALLENGE_LEN) {
			*challenge = rec.body;	/* the last one is the newest */
			found = true;
		}
	}
	return found;
}

/* Echoed from this socket, at once: the address the server saw it from is
 * the one the echo must come from.  A lost echo costs nothing: the next
 * PING brings another PONG. */
static void
challenge_answer(struct udp_session *u, const uint8_t *pt, size_t len)
{
	const uint8_t *c;

	if (!challenge_find(pt, len, &c))
		return;
	memcpy(u->challenge, c, MSG_CHALLENGE_LEN);
	u->have_challenge = true;
	if (!u->hold_challenges)
		(void)udp_send_ping(u, u->challenge);
}

long
udp_recv(struct udp_session *u, uint8_t *buf, uint8_t **pt)
{
	struct dgram_header h;
	size_t pt_len;

	for (;;) {
		ssize_t n = recv(u->fd, buf, OCM_MAX_DATAGRAM, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		if (n > OCM_MAX_DATAGRAM || dgram_parse_header(buf, (size_t)n, &h) < 0 ||
		    memcmp(h.token, u->token, OCM_TOKEN_LEN) != 0 || h.room_len != u->room_len ||
		    memcmp(h.room, u->room, u->room_len) != 0 ||
		    !replay_check(&u->replay, h.counter) ||
		    dgram_open(u->rx, &h, buf, (size_t)n, pt, &pt_len) < 0) {
			u->drops++;
			continue;
		}
		replay_update(&u->replay, h.counter);
		challenge_answer(u, *pt, pt_len);
		return (long)pt_len;
	}
}
