/*
 * ocm-peer.c: a scriptable OCM client for the integration tests, able to
 * do what ocm-client never would: raw TCRP bytes, replayed, tampered or
 * wrongly addressed datagrams, stalled handshakes.  Commands are argv
 * words run in order; results go to stdout one line each:
 *
 *   create ROOM USER [PW] | join ROOM USER [PW]   code <code> [token]
 *   list                                          room <name> <members> <pw>, every page
 *   list AFTER [LIMIT]                            one page ("" from the start, LIMIT
 *                                                 0 or none: not sent), then "more B"
 *   raw HEX                                       code <code> state <s> op <o>, then
 *                                                 room <hex> ("-" when empty), then
 *                                                 message <text> | closed
 *   garbage N                                     sent N bytes of junk over TCP
 *   stall MS                                      closed after <ms> | open
 *   bind ADDR                                     source address of the UDP socket
 *   udp-to ADDR                                   send UDP to ADDR (the server's port)
 *                                                 instead of the TCP address
 *   ping | who | leave | chat TEXT | send HEX     one sealed datagram
 *   resend | tamper                               the last datagram again, as is
 *                                                 or with a flipped tag bit
 *   hold | release                                seal a PING now, send it later
 *                                                 (an older counter, out of order)
 *   expect TYPE [MS]                              waits for an authenticated
 *                                                 datagram of TYPE; exit 1 if none
 *   quiet MS                                      exit 1 if any datagram arrives
 *   ports N                                       PING from N fresh source ports,
 *                                                 each waiting 300 ms for its PONG:
 *                                                 "pongs K of N"
 *   sleep MS
 *   wait-file PATH MS                             until PATH exists; exit 1 if it
 *                                                 does not within MS
 *   free-port                                     a port free for TCP and UDP
 *   ctl-send PATH HEX                             raw bytes to a control socket;
 *                                                 prints each reply line, then
 *                                                 "eof" or "open"
 *   ctl-flood PATH N                              N bytes without a newline, the same
 *   udp-junk                                      one unauthenticated datagram to
 *                                                 the server's port
 *   notify-listen PATH MS                         an sd_notify socket at PATH: prints
 *                                                 "notify: A | B" per message for MS
 *   alt ADDR                                      a second UDP socket of the session,
 *                                                 bound to ADDR
 *   swap                                          it and the session's socket trade
 *                                                 places: "on ADDR"
 *   pping N                                       a PING with N bytes of padding:
 *                                                 "sent S bytes"
 *   client-ping                                   a PING as ocm-client sends it
 *   no-echo                                       PONG challenges are kept, not echoed
 *   echo                                          a PING echoing the newest challenge
 *   drain MS                                      every datagram for MS: "got S bytes",
 *                                                 then its records
 *   create-many FILE [PROCS]                      CREATE each room named in FILE (one a
 *                                                 line) with host "h", PROCS (1..16,
 *                                                 default 4) connections at a time, no
 *                                                 UDP: "code <code> <count>" per code
 *   join-many ROOM FILE [PROCS]                   JOIN ROOM as each user named in FILE,
 *                                                 the same way
 *   ctl-stall PATH HEX MS                         as ctl-send, but reads nothing until
 *                                                 the daemon hangs up, MS at most
 *   timed-create ROOM USER                        "created in MS ms", "refused in MS
 *                                                 ms: CODE" or "failed in MS ms: WHY"
 *   tcp-hold N MS                                 N silent TCP connections held for MS:
 *                                                 "connected K of N in MS ms", then
 *                                                 "closed by server C of K"
 *   udp-flood RATE MS                             junk, replayed and wrong-key datagrams,
 *                                                 RATE/s for MS: "flooded N in MS ms: R/s ..."
 *   timed-list N [AFTER [LIMIT]]                  N LIST_ROOMS of one page, a connection
 *                                                 each: "list N pages of K rooms: median
 *                                                 M ms, p10 M ms, p90 M ms"
 *   serve-list PER_PAGE IDLE_MS [NAMES [MESSAGE]] a TLS server on 127.0.0.1, -p's port,
 *                                                 whose LIST_ROOMS never ends: "listening",
 *                                                 PER_PAGE rooms a page, "more" always;
 *                                                 "served N pages" once idle IDLE_MS;
 *                                                 NAMES (hex, comma-separated; "-":
 *                                                 none) are listed instead, in one last
 *                                                 page, and MESSAGE (hex) refuses every
 *                                                 request with it instead
 *
 * A PONG with a challenge prints as "recv pong challenge"; unless no-echo,
 * the client library echoes it at once (doc/protocol.md 8.6).
 *
 * Options: -s HOST, -p PORT, -k KNOWN_SERVERS, -c CA_FILE, and -b ADDR, the
 * source address of every IPv4 connection, TCP and UDP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/session.h"
#include "lib/tcrp.h"

struct peer {
	struct server_opts o;
	struct udp_session u;
	bool have_session;
	struct tcrp_request req;
	uint8_t last[OCM_MAX_DATAGRAM];
	size_t last_len;
	uint8_t held[OCM_MAX_DATAGRAM];	/* sealed by hold, sent by release */
	size_t held_len;
	const char *bind_addr;
	const char *udp_to;		/* udp-to */
	int alt_fd;			/* alt; -1: none */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ocm-peer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			die("bad hex '%s'", hex);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
fill_request(struct tcrp_request *r, int op, const char *room, const char *user,
    const char *pw)
{
	memset(r, 0, sizeof(*r));
	r->operation = (uint8_t)op;
	r->room_len = (uint8_t)strlen(room);
	memcpy(r->room, room, r->room_len);
	r->user_len = (uint8_t)strlen(user);
	memcpy(r->user, user, r->user_len);
	r->password_len = strlen(pw);
	memcpy(r->password, pw, r->password_len);
}

/* A numeric IPv4 or IPv6 address and a port (network order). */
static socklen_t
addr_parse(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = port;
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		return sizeof(*in6);
	}
	die("bad address '%s'", text);
}

/* A UDP socket bound to src (NULL: the kernel's choice), connected to dst. */
static int
udp_socket(const char *src, const struct sockaddr_storage *dst, socklen_t dl)
{
	struct sockaddr_storage ss;
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (src != NULL) {
		socklen_t sl = addr_parse(src, 0, &ss);
		if (ss.ss_family != dst->ss_family ||
		    bind(fd, (struct sockaddr *)&ss, sl) < 0)
			die("cannot bind UDP to %s", src);
	}
	if (connect(fd, (const struct sockaddr *)dst, dl) < 0)
		die("cannot connect UDP: %s", strerror(errno));
	return fd;
}

/* Where the session's datagrams go: udp-to's address, or where they went. */
static socklen_t
udp_dest(struct peer *p, struct sockaddr_storage *dst)
{
	socklen_t dl = sizeof(*dst);

	if (getpeername(p->u.fd, (struct sockaddr *)dst, &dl) < 0)
		die("getpeername: %s", strerror(errno));
	if (p->udp_to == NULL)
		return dl;
	uint16_t port = dst->ss_family == AF_INET ?
	    ((struct sockaddr_in *)(void *)dst)->sin_port :
	    ((struct sockaddr_in6 *)(void *)dst)->sin6_port;
	return addr_parse(p->udp_to, port, dst);
}

/* A new UDP socket for the session, from bind's address to udp-to's. */
static void
udp_rebind(struct peer *p)
{
	struct sockaddr_storage dst;
	socklen_t dl = udp_dest(p, &dst);
	int fd = udp_socket(p->bind_addr, &dst, dl);

	close(p->u.fd);
	p->u.fd = fd;
}

static int
cmd_session(struct peer *p, int op, char **argv)
{
	struct tcrp_result res;
	char err[CLIENT_ERR_MAX];

	fill_request(&p->req, op, argv[0], argv[1], argv[2] ? argv[2] : "");
	if (tcrp_call(&p->o, &p->req, &res, err) < 0)
		die("%s", err);
	printf("code %s\n", tcrp_code_str(res.code));
	if (res.code == TCRP_CODE_OK) {
		if (p->have_session)
			udp_session_close(&p->u);
		if (udp_session_open(&p->u, &p->o, &p->req, &res, err) < 0)
			die("%s", err);
		p->have_session = true;
		if (p->bind_addr != NULL || p->udp_to != NULL)
			udp_rebind(p);
	}
	tcrp_result_clear(&res);
	return 0;
}

/* Every page as ocm-client -l asks for them, or the one page asked for. */
static int
cmd_list(struct peer *p, char **argv)
{
	struct tcrp_result res;
	char err[CLIENT_ERR_MAX];
	int r;

	fill_request(&p->req, TCRP_OP_LIST_ROOMS, "", "", "");
	if (argv[0] != NULL) {
		p->req.after_len = (uint8_t)strlen(argv[0]);
		memcpy(p->req.after, argv[0], p->req.after_len);
		p->req.limit = argv[1] != NULL ? (uint16_t)atoi(argv[1]) : 0;
		r = tcrp_call(&p->o, &p->req, &res, err);
	} else {
		r = tcrp_list_rooms(&p->o, NULL, &res, err);
	}
	if (r < 0)
		die("%s", err);
	printf("code %s\n", tcrp_code_str(res.code));
	for (size_t i = 0; i < res.n_rooms; i++)
		printf("room %s %u %s\n", res.rooms[i].name, res.rooms[i].members,
		    res.rooms[i].password ? "password" : "open");
	if (argv[0] != NULL && res.code == TCRP_CODE_OK)
		printf("more %s\n", res.rooms_more ? "true" : "false");
	tcrp_result_clear(&res);
	return 0;
}

static int
ssl_read_exact(SSL *ssl, uint8_t *p, size_t len)
{
	while (len > 0) {
		int n = SSL_read(ssl, p, (int)len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Raw bytes over TLS; prints the code of the RESPONSE with its State and
 * Operation, then its RoomName in hex, or "closed".  The reply is read
 * without the TCRP reader, so that nothing in it is judged but the JSON.
 */
static int
cmd_raw(struct peer *p, char **argv)
{
	static uint8_t buf[TCRP_MAX_PAYLOAD + 512];
	struct tls_conn c;
	struct tcrp_response resp;
	uint8_t hdr[TCRP_HEADER_LEN];
	char err[CLIENT_ERR_MAX];
	size_t n = unhex(argv[0], buf, sizeof(buf));

	if (tls_conn_open(&p->o, &c, err) < 0)
		die("%s", err);
	if (n > 0 && SSL_write(c.ssl, buf, (int)n) != (int)n)
		die("%s", "cannot write");
	uint64_t len = 0;
	if (ssl_read_exact(c.ssl, hdr, sizeof(hdr)) == 0)
		for (int i = 24; i < 32; i++)
			len = len << 8 | hdr[i];
	if (len == 0 || len > TCRP_MAX_PAYLOAD ||
	    ssl_read_exact(c.ssl, buf, hdr[0] + (size_t)len) < 0)
		printf("closed\n");
	else if (tcrp_response_parse(buf + hdr[0], (size_t)len, &resp) < 0)
		printf("unparsable\n");
	else {
		printf("code %s state %u op %u\nroom %s", tcrp_code_str(resp.code), hdr[2],
		    hdr[1], hdr[0] == 0 ? "-" : "");
		for (size_t i = 0; i < hdr[0]; i++)
			printf("%02x", buf[i]);
		printf("\nmessage %s\n", resp.message);
	}
	tls_conn_close(&c);
	return 0;
}

/* Plain TCP, no TLS: junk bytes, then see how long the server keeps it. */
static int
tcp_plain(struct peer *p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->o.port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (inet_pton(AF_INET, p->o.host, &sin.sin_addr) != 1 || fd < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("cannot connect to %s", p->o.host);
	return fd;
}

static int
cmd_garbage(struct peer *p, char **argv)
{
	int fd = tcp_plain(p);
	size_t n = (size_t)atol(argv[0]);
	uint8_t junk[1024];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	for (size_t sent = 0; sent < n;) {
		size_t k = n - sent < sizeof(junk) ? n - sent : sizeof(junk);
		ssize_t w = send(fd, junk, k, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		sent += (size_t)w;
	}
	printf("sent %zu bytes of junk\n", n);
	close(fd);
	return 0;
}

static int
cmd_stall(struct peer *p, char **argv)
{
	int fd = tcp_plain(p);
	int limit = atoi(argv[0]);
	uint64_t start = now_ms();
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pf, 1, limit) == 1 && read(fd, &c, 1) <= 0)
		printf("closed after %llu ms\n", (unsigned long long)(now_ms() - start));
	else
		printf("open\n");
	close(fd);
	return 0;
}

static void
need_session(struct peer *p)
{
	if (!p->have_session)
		die("%s", "no session: create or join first");
}

/* Seals pt as udp_send() would, keeping a copy for resend/tamper. */
static void
send_sealed(struct peer *p, const uint8_t *pt, size_t len)
{
	need_session(p);
	long n = dgram_seal(p->u.tx, (const uint8_t *)p->u.room, p->u.room_len, p->u.token,
	    p->u.tx_counter++, pt, len, p->last, sizeof(p->last));
	if (n < 0)
		die("%s", "cannot seal");
	p->last_len = (size_t)n;
	if (send(p->u.fd, p->last, p->last_len, 0) < 0)
		die("send: %s", strerror(errno));
}

static int
cmd_type(struct peer *p, uint8_t type)
{
	uint8_t pt[1] = { type };
	send_sealed(p, pt, 1);
	return 0;
}

static int cmd_ping(struct peer *p, char **a) { (void)a; return cmd_type(p, MSG_C_PING); }
static int cmd_who(struct peer *p, char **a) { (void)a; return cmd_type(p, MSG_C_WHO); }
static int cmd_leave(struct peer *p, char **a) { (void)a; return cmd_type(p, MSG_C_LEAVE); }

static int
cmd_chat(struct peer *p, char **argv)
{
	uint8_t pt[OCM_MAX_DATAGRAM];
	size_t len = strlen(argv[0]);

	if (len + 1 > sizeof(pt))
		die("%s", "text too long for a datagram");
	pt[0] = MSG_C_CHAT;
	memcpy(pt + 1, argv[0], len);
	send_sealed(p, pt, len + 1);
	return 0;
}

/* Any plaintext, given in hex (Type byte included). */
static int
cmd_send(struct peer *p, char **argv)
{
	uint8_t pt[OCM_MAX_DATAGRAM];
	size_t n = unhex(argv[0], pt, sizeof(pt));
	send_sealed(p, pt, n);
	return 0;
}

/* A PING sealed with the next counter but kept: sent by release after
 * newer datagrams, it arrives out of order. */
static int
cmd_hold(struct peer *p, char **argv)
{
	uint8_t pt[1] = { MSG_C_PING };
	(void)argv;

	need_session(p);
	long n = dgram_seal(p->u.tx, (const uint8_t *)p->u.room, p->u.room_len, p->u.token,
	    p->u.tx_counter++, pt, 1, p->held, sizeof(p->held));
	if (n < 0)
		die("%s", "cannot seal");
	p->held_len = (size_t)n;
	return 0;
}

static int
cmd_release(struct peer *p, char **argv)
{
	(void)argv;
	need_session(p);
	if (p->held_len == 0)
		die("%s", "release without hold");
	return send(p->u.fd, p->held, p->held_len, 0) < 0 ? 1 : 0;
}

static int
cmd_resend(struct peer *p, char **argv)
{
	(void)argv;
	need_session(p);
	return send(p->u.fd, p->last, p->last_len, 0) < 0 ? 1 : 0;
}

static int
cmd_tamper(struct peer *p, char **argv)
{
	uint8_t copy[OCM_MAX_DATAGRAM];
	(void)argv;

	need_session(p);
	memcpy(copy, p->last, p->last_len);
	copy[p->last_len - 1] ^= 0x01;	/* a tag bit */
	/* A fresh counter, so that only the tag can refuse it. */
	size_t off = 2 + p->u.room_len + OCM_TOKEN_LEN;
	for (int i = 0; i < 8; i++)
		copy[off + (size_t)i] = (uint8_t)(p->u.tx_counter >> (56 - 8 * i));
	p->u.tx_counter++;
	return send(p->u.fd, copy, p->last_len, 0) < 0 ? 1 : 0;
}

/* Prints one server message; returns its type name. */
static const char *
print_msg(const uint8_t *pt, size_t len)
{
	struct msg m;
	struct msg_iter it;

	if (msg_parse(pt, len, &m) < 0) {
		printf("recv malformed\n");
		return "malformed";
	}
	switch (m.type) {
	case MSG_S_CHAT:
		printf("recv chat %.*s %.*s\n", (int)m.name_len, (const char *)m.name,
		    (int)m.text_len, (const char *)m.text);
		return "chat";
	case MSG_S_PONG:
		printf("recv pong%s\n", m.body_len > 0 ? " challenge" : "");
		return "pong";
	case MSG_S_NOTICE:
		printf("recv notice %s %.*s%s%.*s\n", notice_code_name(m.code) ?
		    notice_code_name(m.code) : "?", (int)m.name_len, (const char *)m.name,
		    m.text_len ? " " : "", (int)m.text_len, (const char *)m.text);
		return "notice";
	case MSG_S_MEMBERS: {
		uint8_t f;
		const uint8_t *name;
		size_t nl;
		printf("recv members%s", m.code & MEMBERS_FLAG_MORE ? "+" : "");
		msg_iter_init(&it, &m);
		while (msg_members_next(&it, &f, &name, &nl) == 1)
			printf(" %.*s%s", (int)nl, (const char *)name,
			    f & MEMBERS_ENTRY_HOST ? "*" : "");
		printf("\n");
		return "members";
	}
	case MSG_S_CLOSED:
		printf("recv closed %s\n", closed_reason_name(m.code) ?
		    closed_reason_name(m.code) : "?");
		return "closed";
	case MSG_S_BATCH: {
		const uint8_t *rec;
		size_t rl;
		const char *last = "batch";
		msg_iter_init(&it, &m);
		while (msg_batch_next(&it, &rec, &rl) == 1)
			last = print_msg(rec, rl);
		return last;
	}
	default:
		printf("recv type 0x%02x\n", m.type);
		return "other";
	}
}

/* Records received but not yet consumed: a BATCH yields several. */
static struct {
	uint8_t data[OCM_MAX_DATAGRAM];
	size_t off[OCM_MAX_DATAGRAM / 3], len[OCM_MAX_DATAGRAM / 3];
	size_t n, next;
} rq;

/* Queues the records of one plaintext (a BATCH's, in order). */
static void
queue_records(const uint8_t *pt, size_t len)
{
	struct msg m;
	struct msg_iter it;
	const uint8_t *rec;
	size_t rl;

	memcpy(rq.data, pt, len);
	rq.n = rq.next = 0;
	if (msg_parse(rq.data, len, &m) == 0 && m.type == MSG_S_BATCH) {
		msg_iter_init(&it, &m);
		while (msg_batch_next(&it, &rec, &rl) == 1) {
			rq.off[rq.n] = (size_t)(rec - rq.data);
			rq.len[rq.n++] = rl;
		}
		printf("recv batch %zu\n", rq.n);
		return;
	}
	rq.off[0] = 0;
	rq.len[rq.n++] = len;
}

/* Waits up to ms for a record; prints it and returns its type name. */
static const char *
recv_one(struct peer *p, int ms)
{
	uint8_t buf[OCM_MAX_DATAGRAM];
	uint8_t *pt;
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		if (rq.next < rq.n) {
			const char *t = print_msg(rq.data + rq.off[rq.next], rq.len[rq.next]);
			rq.next++;
			fflush(stdout);
			return t;
		}
		long n = udp_recv(&p->u, buf, &pt);
		if (n > 0) {
			queue_records(pt, (size_t)n);
			continue;
		}
		uint64_t now = now_ms();
		if (n < 0 || now >= end)
			return NULL;
		struct pollfd pf = { .fd = p->u.fd, .events = POLLIN };
		poll(&pf, 1, (int)(end - now));
	}
}

static int
cmd_expect(struct peer *p, char **argv)
{
	int ms = argv[1] ? atoi(argv[1]) : 3000;
	uint64_t end = now_ms() + (uint64_t)ms;

	need_session(p);
	for (;;) {
		uint64_t now = now_ms();
		const char *t = now < end ? recv_one(p, (int)(end - now)) : NULL;
		if (t == NULL) {
			printf("timeout waiting for %s\n", argv[0]);
			return 1;
		}
		if (strcmp(t, argv[0]) == 0)
			return 0;
	}
}

static int
cmd_quiet(struct peer *p, char **argv)
{
	need_session(p);
	return recv_one(p, atoi(argv[0])) == NULL ? 0 : 1;
}

/* Each fresh source port is a new 4-tuple, so without steering the
 * kernel's hash sends some of them to a worker that is not the room's. */
static int
cmd_ports(struct peer *p, char **argv)
{
	int n = atoi(argv[0]), pongs = 0;

	need_session(p);
	if (p->bind_addr == NULL)
		p->bind_addr = "127.0.0.1";
	for (int i = 0; i < n && i < 1000; i++) {
		udp_rebind(p);
		if (udp_send_empty(&p->u, MSG_C_PING) < 0)
			die("send: %s", strerror(errno));
		uint64_t end = now_ms() + 300, now;
		const char *t = NULL;
		while ((now = now_ms()) < end &&
		    (t = recv_one(p, (int)(end - now))) != NULL && strcmp(t, "pong") != 0)
			t = NULL;
		pongs += t != NULL;
	}
	printf("pongs %d of %d\n", pongs, n);
	return 0;
}

static int
cmd_sleep(struct peer *p, char **argv)
{
	(void)p;
	usleep((useconds_t)atoi(argv[0]) * 1000);
	return 0;
}

/* Lets a test say when the script goes on: it creates PATH. */
static int
cmd_wait_file(struct peer *p, char **argv)
{
	uint64_t end = now_ms() + (uint64_t)atoi(argv[1]);

	(void)p;
	while (access(argv[0], F_OK) != 0) {
		if (now_ms() >= end) {
			fprintf(stderr, "ocm-peer: %s did not appear within %s ms\n", argv[0],
			    argv[1]);
			return 1;
		}
		usleep(10000);
	}
	return 0;
}

static int
cmd_bind(struct peer *p, char **argv)
{
	p->bind_addr = argv[0];
	if (p->have_session)
		udp_rebind(p);
	return 0;
}

static int
cmd_create(struct peer *p, char **argv)
{
	return cmd_session(p, TCRP_OP_CREATE_ROOM, argv);
}

static int
cmd_join(struct peer *p, char **argv)
{
	return cmd_session(p, TCRP_OP_JOIN_ROOM, argv);
}

/* A port free on 127.0.0.1 for both TCP and UDP, for a test's ocmd. */
static int
cmd_free_port(struct peer *p, char **argv)
{
	(void)p;
	(void)argv;
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		bool ok = bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(t, (struct sockaddr *)&sin, &len) == 0 &&
		    bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(t);
		close(u);
		if (ok) {
			printf("%u\n", ntohs(sin.sin_port));
			return 0;
		}
	}
	return 1;
}

static uint8_t ctl_buf[1 << 20];
static int ctl_stall_ms;	/* ctl-stall: how long ctl_exchange waits to read */
static void ctl_stall(int fd);

/* Writes n bytes of ctl_buf to the control socket at path; prints every
 * reply line, then "eof" or "open" (nothing more within a second). */
static int
ctl_exchange(const char *path, size_t n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t *buf = ctl_buf;
	size_t have = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("cannot connect to %s: %s", path, strerror(errno));
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (ctl_stall_ms > 0)
		ctl_stall(fd);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 1000) <= 0) {
			printf("open\n");
			break;
		}
		ssize_t r = read(fd, buf + have, sizeof(ctl_buf) - have - 1);
		if (r <= 0) {
			printf("eof\n");
			break;
		}
		have += (size_t)r;
		buf[have] = '\0';
		char *nl;
		while ((nl = strchr((char *)buf, '\n')) != NULL) {
			*nl = '\0';
			printf("%s\n", (char *)buf);
			have -= (size_t)(nl + 1 - (char *)buf);
			memmove(buf, nl + 1, have + 1);
		}
	}
	close(fd);
	return 0;
}

static int
cmd_ctl_send(struct peer *p, char **argv)
{
	(void)p;
	return ctl_exchange(argv[0], unhex(argv[1], ctl_buf, sizeof(ctl_buf)));
}

/* N bytes of 'a' and no newline: an oversize request line. */
static int
cmd_ctl_flood(struct peer *p, char **argv)
{
	size_t n = (size_t)atol(argv[1]);
	(void)p;

	if (n > sizeof(ctl_buf))
		die("at most %zu bytes", sizeof(ctl_buf));
	memset(ctl_buf, 'a', n);
	return ctl_exchange(argv[0], n);
}

static int
cmd_udp_junk(struct peer *p, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->o.port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	(void)argv;

	if (fd < 0 || inet_pton(AF_INET, p->o.host, &sin.sin_addr) != 1 ||
	    sendto(fd, "junk", 4, 0, (struct sockaddr *)&sin, sizeof(sin)) != 4)
		die("cannot send to %s", p->o.host);
	close(fd);
	return 0;
}

/* A stand-in for systemd's notification socket. */
static int
cmd_notify_listen(struct peer *p, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	uint64_t end = now_ms() + (uint64_t)atoi(argv[1]);
	(void)p;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[0]);
	unlink(sun.sun_path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("cannot bind %s", argv[0]);
	printf("listening\n");
	for (uint64_t now; (now = now_ms()) < end;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, (int)(end - now)) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *c = buf; *c != '\0'; c++)
			if (*c == '\n')
				*c = '|';
		printf("notify: %s\n", buf);
	}
	close(fd);
	unlink(sun.sun_path);
	return 0;
}

/* Address proof (doc/protocol.md 8.6): a second socket of the same
 * session, on another address, and what it hears. */

static int
cmd_udp_to(struct peer *p, char **argv)
{
	p->udp_to = argv[0];
	if (p->have_session)
		udp_rebind(p);
	return 0;
}

static int
cmd_alt(struct peer *p, char **argv)
{
	struct sockaddr_storage dst;
	socklen_t dl;

	need_session(p);
	dl = udp_dest(p, &dst);
	if (p->alt_fd >= 0)
		close(p->alt_fd);
	p->alt_fd = udp_socket(argv[0], &dst, dl);
	return 0;
}

static int
cmd_swap(struct peer *p, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char text[INET6_ADDRSTRLEN] = "?";
	int fd = p->alt_fd;
	(void)argv;

	need_session(p);
	if (fd < 0)
		die("%s", "swap without alt");
	/* Records the old socket received but no command consumed yet are
	 * printed, so that none seems to come from the new one. */
	while (rq.next < rq.n) {
		print_msg(rq.data + rq.off[rq.next], rq.len[rq.next]);
		rq.next++;
	}
	p->alt_fd = p->u.fd;
	p->u.fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
		    (void *)&((struct sockaddr_in *)(void *)&ss)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr, text, sizeof(text));
	printf("on %s\n", text);
	return 0;
}

static int
cmd_pping(struct peer *p, char **argv)
{
	uint8_t pt[1 + MSG_PING_BODY_MAX];
	long n = msg_encode_ping(NULL, (size_t)atoi(argv[0]), pt, sizeof(pt));

	if (n < 0)
		die("at most %d bytes of padding", MSG_PING_BODY_MAX);
	send_sealed(p, pt, (size_t)n);
	printf("sent %zu bytes\n", p->last_len);
	return 0;
}

/* Through the client library, padding and all. */
static int
cmd_client_ping(struct peer *p, char **argv)
{
	(void)argv;
	need_session(p);
	if (udp_send_empty(&p->u, MSG_C_PING) < 0)
		die("send: %s", strerror(errno));
	return 0;
}

static int
cmd_no_echo(struct peer *p, char **argv)
{
	(void)argv;
	need_session(p);
	p->u.hold_challenges = true;
	return 0;
}

static int
cmd_echo(struct peer *p, char **argv)
{
	uint8_t pt[1 + MSG_CHALLENGE_LEN];
	(void)argv;

	need_session(p);
	if (!p->u.have_challenge) {
		printf("no challenge to echo\n");
		return 1;
	}
	long n = msg_encode_ping(p->u.challenge, MSG_CHALLENGE_LEN, pt, sizeof(pt));
	send_sealed(p, pt, (size_t)n);
	return 0;
}

static int
cmd_drain(struct peer *p, char **argv)
{
	uint8_t buf[OCM_MAX_DATAGRAM];
	uint8_t *pt;
	uint64_t end = now_ms() + (uint64_t)atoi(argv[0]);

	need_session(p);
	for (uint64_t now; (now = now_ms()) < end;) {
		long n = udp_recv(&p->u, buf, &pt);
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0) {
			struct pollfd pf = { .fd = p->u.fd, .events = POLLIN };
			poll(&pf, 1, (int)(end - now));
			continue;
		}
		printf("got %zu bytes\n", (size_t)n + DGRAM_OVERHEAD(p->u.room_len));
		print_msg(pt, (size_t)n);
	}
	return 0;
}

/* ---- create-many: many rooms quickly, for the paging tests ---- */

#define MANY_PROCS_MAX	16
#define MANY_ROOMS_MAX	1000000

/* The room names of FILE, one a line; exits on a bad file. */
static char **
many_names(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[OCM_NAME_MAX + 2], **names = NULL;
	size_t cap = 0;

	if (f == NULL)
		die("cannot open %s: %s", path, strerror(errno));
	for (*n = 0; fgets(line, sizeof(line), f) != NULL;) {
		size_t len = strcspn(line, "\n");
		if (len == 0 || len > OCM_NAME_MAX || *n == MANY_ROOMS_MAX)
			die("%s: line %zu: a name of 1 to %d bytes, at most %d lines", path,
			    *n + 1, OCM_NAME_MAX, MANY_ROOMS_MAX);
		line[len] = '\0';
		if (*n == cap && (names = realloc(names, (cap = cap * 2 + 1024) *
		    sizeof(*names))) == NULL)
			die("%s", "out of memory");
		if ((names[(*n)++] = strdup(line)) == NULL)
			die("%s", "out of memory");
	}
	fclose(f);
	return names;
}

/* What create-many or join-many asks for. */
struct many {
	int op;
	const char *room;	/* join-many: the room; create-many: NULL */
	char **names;
	size_t n;
};

/* Asks for names[first], names[first + step], ...; counts[code]++ for
 * each answer, counts[TCRP_CODE_MAX_]++ for each failed exchange. */
static void
many_call(struct peer *p, const struct many *m, size_t n, size_t first, size_t step,
    unsigned *counts)
{
	struct tcrp_result res;
	char err[CLIENT_ERR_MAX];

	for (size_t i = first; i < n; i += step) {
		if (m->room != NULL)
			fill_request(&p->req, m->op, m->room, m->names[i], "");
		else
			fill_request(&p->req, m->op, m->names[i], "h", "");
		if (tcrp_call(&p->o, &p->req, &res, err) < 0) {
			if (counts[TCRP_CODE_MAX_]++ == 0)
				fprintf(stderr, "ocm-peer: %s: %s\n", m->names[i], err);
			continue;
		}
		counts[res.code < TCRP_CODE_MAX_ ? res.code : TCRP_CODE_INTERNAL]++;
		tcrp_result_clear(&res);
	}
}

/* A child makes its share and writes its counts into the pipe *fd. */
static pid_t
many_child(struct peer *p, const struct many *m, size_t first, size_t step, int *fd)
{
	unsigned counts[TCRP_CODE_MAX_ + 1] = { 0 };
	int pfd[2];
	pid_t pid;

	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		die("cannot start a child: %s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		*fd = pfd[0];
		return pid;
	}
	close(pfd[0]);
	many_call(p, m, m->n, first, step, counts);
	_exit(write(pfd[1], counts, sizeof(counts)) == (ssize_t)sizeof(counts) ? 0 : 1);
}

/*
 * TCRP is one request per connection, so the requests go PROCS at a time
 * from as many children.  The first is made here before they start, so
 * that the server's key is pinned in known_servers once, not raced for.
 */
static int
many_run(struct peer *p, struct many *m, const char *path, const char *procs_arg)
{
	unsigned counts[TCRP_CODE_MAX_ + 1] = { 0 }, part[TCRP_CODE_MAX_ + 1];
	int procs = procs_arg != NULL ? atoi(procs_arg) : 4, fds[MANY_PROCS_MAX], status, rc = 0;
	pid_t pids[MANY_PROCS_MAX];

	if (procs < 1 || procs > MANY_PROCS_MAX)
		die("PROCS is 1 to %d", MANY_PROCS_MAX);
	m->names = many_names(path, &m->n);
	fflush(stdout);
	many_call(p, m, m->n > 0 ? 1 : 0, 0, 1, counts);
	for (int k = 0; k < procs; k++)
		pids[k] = many_child(p, m, 1 + (size_t)k, (size_t)procs, &fds[k]);
	for (int k = 0; k < procs; k++) {
		bool got = read(fds[k], part, sizeof(part)) == (ssize_t)sizeof(part);
		close(fds[k]);
		if (waitpid(pids[k], &status, 0) < 0 || !got || status != 0)
			rc = 1;
		for (int c = 0; got && c <= TCRP_CODE_MAX_; c++)
			counts[c] += part[c];
	}
	for (int c = 0; c < TCRP_CODE_MAX_; c++)
		if (counts[c] > 0)
			printf("code %s %u\n", tcrp_code_str((enum tcrp_code)c), counts[c]);
	if (counts[TCRP_CODE_MAX_] > 0)
		printf("failed %u\n", counts[TCRP_CODE_MAX_]);
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	return rc;
}

static int
cmd_create_many(struct peer *p, char **argv)
{
	struct many m = { .op = TCRP_OP_CREATE_ROOM };

	return many_run(p, &m, argv[0], argv[1]);
}

static int
cmd_join_many(struct peer *p, char **argv)
{
	struct many m = { .op = TCRP_OP_JOIN_ROOM, .room = argv[0] };

	if (strlen(argv[0]) < 1 || strlen(argv[0]) > OCM_NAME_MAX)
		die("join-many: a room name of 1 to %d bytes", OCM_NAME_MAX);
	return many_run(p, &m, argv[1], argv[2]);
}

/* Reads nothing until the daemon hangs up, or for ctl_stall_ms at most. */
static void
ctl_stall(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLRDHUP };

	while (poll(&pf, 1, ctl_stall_ms) < 0 && errno == EINTR)
		continue;
}

/* A peer that lets its replies pile up before it reads them. */
static int
cmd_ctl_stall(struct peer *p, char **argv)
{
	(void)p;
	ctl_stall_ms = atoi(argv[2]);
	return ctl_exchange(argv[0], unhex(argv[1], ctl_buf, sizeof(ctl_buf)));
}

/*
 * Stress-suite commands (tests/stress/): a timed CREATE, a crowd of silent
 * TCP connections, a UDP flood; and -b ADDR, the source address of every
 * connection.  session.c opens its own sockets, so -b reaches them through
 * the linker: ocm-peer is linked with --wrap=connect, which sends every
 * connect() of the program, the client library's included, through
 * __wrap_connect() below.
 */
static struct sockaddr_in src_addr;	/* -b; sin_family 0: none */

int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);

/* Binds an IPv4 socket not bound yet to -b's address, then connects. */
int
__wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in cur;
	socklen_t cur_len = sizeof(cur);

	if (src_addr.sin_family == AF_INET && sa->sa_family == AF_INET &&
	    getsockname(fd, (struct sockaddr *)&cur, &cur_len) == 0 && cur.sin_port == 0 &&
	    bind(fd, (const struct sockaddr *)&src_addr, sizeof(src_addr)) < 0)
		return -1;
	return __real_connect(fd, sa, len);
}

static void
source_set(const char *addr)
{
	src_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &src_addr.sin_addr) != 1)
		die("bad source address '%s': give a numeric IPv4 address", addr);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A CREATE that never dies: "created in MS ms", "refused in MS ms: CODE"
 * or "failed in MS ms: WHY" (a timeout, a closed connection). */
static int
cmd_timed_create(struct peer *p, char **argv)
{
	struct tcrp_result res;
	struct timespec t0;
	char err[CLIENT_ERR_MAX];

	fill_request(&p->req, TCRP_OP_CREATE_ROOM, argv[0], argv[1], "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = tcrp_call(&p->o, &p->req, &res, err);
	double ms = ms_since(&t0);
	if (r < 0) {
		printf("failed in %.1f ms: %s\n", ms, err);
		return 0;
	}
	if (res.code == TCRP_CODE_OK)
		printf("created in %.1f ms\n", ms);
	else
		printf("refused in %.1f ms: %s\n", ms, tcrp_code_str(res.code));
	tcrp_result_clear(&res);
	return 0;
}

static int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * timed-list N [AFTER [LIMIT]]: N LIST_ROOMS requests for the same page,
 * one after another, each on its own connection (TLS handshake included):
 * "list N pages of K rooms: median M ms, p10 M ms, p90 M ms".
 */
static int
cmd_timed_list(struct peer *p, char **argv)
{
	int n = atoi(argv[0]);
	size_t rooms = 0;
	char err[CLIENT_ERR_MAX];

	if (n < 1 || n > 100000)
		die("timed-list: N must be 1..100000");
	double *ms = calloc((size_t)n, sizeof(*ms));
	if (ms == NULL)
		die("out of memory");
	fill_request(&p->req, TCRP_OP_LIST_ROOMS, "", "", "");
	if (argv[1] != NULL) {
		p->req.after_len = (uint8_t)strlen(argv[1]);
		memcpy(p->req.after, argv[1], p->req.after_len);
		p->req.limit = argv[2] != NULL ? (uint16_t)atoi(argv[2]) : 0;
	}
	for (int i = 0; i < n; i++) {
		struct tcrp_result res;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (tcrp_call(&p->o, &p->req, &res, err) < 0)
			die("%s", err);
		ms[i] = ms_since(&t0);
		if (res.code != TCRP_CODE_OK)
			die("LIST_ROOMS refused: %s", tcrp_code_str(res.code));
		rooms = res.n_rooms;
		tcrp_result_clear(&res);
	}
	qsort(ms, (size_t)n, sizeof(*ms), double_cmp);
	printf("list %d pages of %zu rooms: median %.2f ms, p10 %.2f ms, p90 %.2f ms\n", n,
	    rooms, ms[n / 2], ms[n / 10], ms[n * 9 / 10]);
	free(ms);
	return 0;
}

/*
 * Waits (until end) for n non-blocking connects; returns how many made it.
 * A socket whose connect has ended is parked with a negative fd, which
 * poll() skips, so that one the server closes early cannot make it spin;
 * a failed one is closed (fd -1).
 */
static size_t
tcp_hold_connect(struct pollfd *pf, size_t n, uint64_t end)
{
	size_t done = 0, ok = 0;

	for (uint64_t now; done < n && (now = now_ms()) < end;) {
		if (poll(pf, n, (int)(end - now)) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			int e = 0;
			socklen_t el = sizeof(e);
			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (e == 0) {
				pf[i].fd = ~pf[i].fd;
				ok++;
			} else {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
			pf[i].revents = 0;
			done++;
		}
	}
	return ok;
}

/* Holds the connections until end; returns how many the server closed
 * (each is closed here too, fd -1). */
static size_t
tcp_hold_wait(struct pollfd *pf, size_t n, uint64_t end)
{
	size_t closed = 0;
	char c;

	for (size_t i = 0; i < n; i++) {
		if (pf[i].fd < -1)
			pf[i].fd = ~pf[i].fd;
		pf[i].events = POLLIN;
	}
	for (uint64_t now; (now = now_ms()) < end;) {
		if (poll(pf, n, (int)(end - now)) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (pf[i].fd >= 0 && pf[i].revents != 0 &&
			    recv(pf[i].fd, &c, 1, MSG_DONTWAIT) <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				closed++;
			}
			pf[i].revents = 0;
		}
	}
	return closed;
}

/*
 * tcp-hold N MS: N plain TCP connections that send nothing, held for MS
 * (or until killed).  Prints "connected K of N in MS ms" as soon as every
 * connect has ended, then at the end "closed by server C of K".
 */
static int
cmd_tcp_hold(struct peer *p, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->o.port) };
	size_t n = (size_t)atol(argv[0]);
	uint64_t start = now_ms(), end = start + (uint64_t)atol(argv[1]);
	struct pollfd *pf = calloc(n ? n : 1, sizeof(*pf));

	if (pf == NULL || inet_pton(AF_INET, p->o.host, &sin.sin_addr) != 1)
		die("tcp-hold: no memory, or '%s' is not a numeric IPv4 address", p->o.host);
	for (size_t i = 0; i < n; i++) {
		pf[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (pf[i].fd < 0)
			die("tcp-hold: socket %zu of %zu: %s (raise ulimit -n)", i + 1, n,
			    strerror(errno));
		pf[i].events = POLLOUT;
		if (connect(pf[i].fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
		    errno != EINPROGRESS)
			die("tcp-hold: connect: %s", strerror(errno));
	}
	size_t ok = tcp_hold_connect(pf, n, end);
	printf("connected %zu of %zu in %llu ms\n", ok, n,
	    (unsigned long long)(now_ms() - start));
	fflush(stdout);
	printf("closed by server %zu of %zu\n", tcp_hold_wait(pf, n, end), ok);
	for (size_t i = 0; i < n; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	free(pf);
	return 0;
}

enum flood_kind { FLOOD_GARBAGE, FLOOD_REPLAY, FLOOD_WRONG_KEY, FLOOD_KINDS_ };

#define FLOOD_GARBAGE_N	16
#define FLOOD_BATCH	64

struct flood {
	uint8_t garbage[FLOOD_GARBAGE_N][256];
	size_t garbage_len[FLOOD_GARBAGE_N];
	uint8_t wrong_key[OCM_MAX_DATAGRAM];
	size_t wrong_key_len;
	struct mmsghdr msg[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	uint64_t sent[FLOOD_KINDS_];
};

/* The datagrams: random junk of random lengths; the last sealed one (a
 * PING sent just before, so its counter has been seen); a PING with the
 * session's header and a fresh counter but sealed under a random key. */
static void
flood_prepare(struct peer *p, struct flood *f)
{
	uint8_t key[OCM_KEY_LEN], pt[1] = { MSG_C_PING };

	for (size_t i = 0; i < FLOOD_GARBAGE_N; i++) {
		if (RAND_bytes(f->garbage[i], sizeof(f->garbage[i])) != 1)
			die("%s", "RAND_bytes failed");
		f->garbage_len[i] = 1 + f->garbage[i][0] % sizeof(f->garbage[i]);
	}
	cmd_ping(p, NULL);
	if (RAND_bytes(key, sizeof(key)) != 1)
		die("%s", "RAND_bytes failed");
	struct aead *a = aead_new(key, AEAD_SEAL);
	long n = a == NULL ? -1 : dgram_seal(a, (const uint8_t *)p->u.room, p->u.room_len,
	    p->u.token, p->u.tx_counter + (1ULL << 32), pt, 1, f->wrong_key,
	    sizeof(f->wrong_key));
	aead_free(a);
	if (n < 0)
		die("%s", "cannot seal");
	f->wrong_key_len = (size_t)n;
}

/* Queues datagram number i of the flood into slot k. */
static void
flood_slot(struct peer *p, struct flood *f, uint64_t i, size_t k)
{
	enum flood_kind kind = (enum flood_kind)(i % FLOOD_KINDS_);
	size_t g = (size_t)(i / FLOOD_KINDS_) % FLOOD_GARBAGE_N;

	switch (kind) {
	case FLOOD_GARBAGE:
		f->iov[k] = (struct iovec){ f->garbage[g], f->garbage_len[g] };
		break;
	case FLOOD_REPLAY:
		f->iov[k] = (struct iovec){ p->last, p->last_len };
		break;
	default:
		f->iov[k] = (struct iovec){ f->wrong_key, f->wrong_key_len };
		break;
	}
	memset(&f->msg[k], 0, sizeof(f->msg[k]));
	f->msg[k].msg_hdr.msg_iov = &f->iov[k];
	f->msg[k].msg_hdr.msg_iovlen = 1;
}

/* Sends up to want datagrams from number i on; returns how many left. */
static size_t
flood_send(struct peer *p, struct flood *f, uint64_t i, size_t want)
{
	size_t k = 0;

	for (; k < want && k < FLOOD_BATCH; k++)
		flood_slot(p, f, i + k, k);
	int r = sendmmsg(p->u.fd, f->msg, (unsigned)k, 0);
	if (r < 0 && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR)
		die("udp-flood: sendmmsg: %s", strerror(errno));
	for (int j = 0; j < r; j++)
		f->sent[(i + (uint64_t)j) % FLOOD_KINDS_]++;
	return r > 0 ? (size_t)r : 0;
}

/*
 * udp-flood RATE MS: a third each of junk, replayed and wrong-key
 * datagrams from the session's socket, RATE a second for MS, paced in
 * batches.  Prints what it managed: a loaded machine may not keep up.
 */
static int
cmd_udp_flood(struct peer *p, char **argv)
{
	struct flood *f = calloc(1, sizeof(*f));
	double rate = atof(argv[0]);
	struct timespec t0;
	uint64_t i = 0;

	need_session(p);
	if (f == NULL)
		die("%s", "no memory");
	flood_prepare(p, f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (double ms, limit = atof(argv[1]); (ms = ms_since(&t0)) < limit;) {
		uint64_t due = (uint64_t)(ms * rate / 1e3);
		if (i >= due) {
			usleep(200);
			continue;
		}
		i += flood_send(p, f, i, (size_t)(due - i));
	}
	double ms = ms_since(&t0);
	printf("flooded %llu in %.0f ms: %.0f/s (garbage %llu, replay %llu, wrong_key %llu)\n",
	    (unsigned long long)i, ms, (double)i * 1e3 / ms,
	    (unsigned long long)f->sent[FLOOD_GARBAGE], (unsigned long long)f->sent[FLOOD_REPLAY],
	    (unsigned long long)f->sent[FLOOD_WRONG_KEY]);
	free(f);
	return 0;
}

/* ---- serve-list: a server whose list never ends ----------------------- */

/* One TCRP message of LIST_ROOMS in state, with payload; 0 or -1. */
static int
serve_send(SSL *ssl, uint8_t state, const char *payload, size_t len)
{
	static uint8_t msg[TCRP_HEADER_LEN + TCRP_MAX_PAYLOAD];
	long n = tcrp_encode(TCRP_OP_LIST_ROOMS, state, NULL, 0, (const uint8_t *)payload, len,
	    msg, sizeof(msg));

	/* keys_server_ctx() allows partial writes (ocmd is non-blocking). */
	for (long off = 0; n > 0 && off < n;) {
		int w = SSL_write(ssl, msg + off, (int)(n - off));
		if (w <= 0)
			return -1;
		off += w;
	}
	return n > 0 ? 0 : -1;
}

/* What serve-list answers. */
struct serve_opts {
	unsigned per_page;
	const char *names;	/* hex names, comma-separated; NULL: r000000... */
	const char *message;	/* hex: refuse with this; NULL: list */
};

/* The COMPLETE of names (hex, comma-separated), "more" false, built here:
 * tcrp_rooms_build() would refuse the names a hostile server sends.
 * malloc'ed; NULL when a name is not UTF-8. */
static char *
serve_names_page(const char *names, size_t *len)
{
	json_t *rooms = json_array();
	char *list = strdup(names), *save = NULL;
	uint8_t name[OCM_NAME_MAX + 1];
	bool ok = rooms != NULL && list != NULL;

	for (char *h = strtok_r(list, ",", &save); ok && h != NULL;
	    h = strtok_r(NULL, ",", &save)) {
		size_t n = unhex(h, name, sizeof(name) - 1);
		json_t *s = json_stringn((const char *)name, n);
		ok = s != NULL && json_array_append_new(rooms, json_pack("{s:o, s:i, s:b}", "name", s,
		    "members", 1, "password", 0)) == 0;
	}
	free(list);
	json_t *top = ok ? json_pack("{s:o, s:b}", "rooms", rooms, "more", 0) : NULL;
	if (top == NULL)
		json_decref(rooms);
	char *page = top != NULL ? json_dumps(top, JSON_COMPACT) : NULL;
	json_decref(top);
	if (page != NULL)
		*len = strlen(page);
	return page;
}

/* Answers one connection's LIST_ROOMS with per_page rooms after its
 * "after" (r000000, r000001, ...), whatever its "limit", and "more"; or
 * as o says. */
static int
serve_page(SSL *ssl, const struct serve_opts *o)
{
	unsigned per_page = o->per_page;
	static struct tcrp_room_info rooms[TCRP_LIST_LIMIT_MAX];
	struct tcrp_reader rd;
	struct tcrp_request req;
	char err[CLIENT_ERR_MAX];
	unsigned first = 0;
	size_t ok_len, page_len;
	int rc = -1;

	tcrp_reader_init(&rd, TCRP_MAX_PAYLOAD);
	if (tls_read_message(ssl, &rd, err) < 0 ||
	    tcrp_request_parse(rd.h.operation, rd.h.state, tcrp_reader_room(&rd), rd.h.room_len,
	    tcrp_reader_payload(&rd), (size_t)rd.h.payload_len, &req, NULL) < 0 ||
	    req.operation != TCRP_OP_LIST_ROOMS) {
		tcrp_reader_reset(&rd);
		return -1;
	}
	tcrp_reader_reset(&rd);
	if (o->message != NULL) {
		char text[512];
		size_t n = unhex(o->message, (uint8_t *)text, sizeof(text) - 1);
		text[n] = '\0';
		char *refusal = tcrp_response_build(TCRP_CODE_UNAVAILABLE, text, &ok_len);
		rc = refusal != NULL ? serve_send(ssl, TCRP_STATE_RESPONSE, refusal, ok_len) : -1;
		free(refusal);
		return rc;
	}
	if (req.after_len > 0 && sscanf(req.after, "r%u", &first) == 1)
		first++;
	for (unsigned i = 0; i < per_page; i++) {
		snprintf(rooms[i].name, sizeof(rooms[i].name), "r%06u", first + i);
		rooms[i].members = 1;
		rooms[i].password = false;
	}
	char *ok = tcrp_response_build(TCRP_CODE_OK, NULL, &ok_len);
	char *page = o->names != NULL ? serve_names_page(o->names, &page_len) :
	    tcrp_rooms_build(rooms, per_page, true, &page_len);
	if (ok != NULL && page != NULL &&
	    serve_send(ssl, TCRP_STATE_RESPONSE, ok, ok_len) == 0 &&
	    serve_send(ssl, TCRP_STATE_COMPLETE, page, page_len) == 0)
		rc = 0;
	free(ok);
	free(page);
	return rc;
}

/* A TLS context with a key made now: clients meet it as a new server. */
static SSL_CTX *
serve_ctx(void)
{
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx = keys_server_ctx();

	if (ctx == NULL || keys_selfsigned("ocm-peer", 1, &key, &cert) < 0)
		die("cannot make a TLS server context");
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
		die("cannot load the key");
	X509_free(cert);
	EVP_PKEY_free(key);
	return ctx;
}

/*
 * serve-list PER_PAGE IDLE_MS [NAMES [MESSAGE]]: a malicious server for
 * the clients' bounds on LIST_ROOMS and for what they print of a
 * server's text.  It listens on 127.0.0.1 at -p's port, prints
 * "listening", answers every connection with PER_PAGE (1..1000) rooms
 * after the one asked for and "more" true, and once no connection has
 * come for IDLE_MS prints "served N pages".  With NAMES (hex names,
 * comma-separated, any bytes the JSON can carry; "-" for none), each
 * answer lists those names instead, and "more" false; with MESSAGE (hex),
 * each request is refused as unavailable with that message.
 */
static int
cmd_serve_list(struct peer *p, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->o.port) };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, per_page = atoi(argv[0]), idle_ms = atoi(argv[1]);
	unsigned pages = 0;
	struct serve_opts so = {
		.per_page = (unsigned)per_page,
		.names = argv[2] != NULL && strcmp(argv[2], "-") != 0 ? argv[2] : NULL,
		.message = argv[3],
	};

	if (per_page < 1 || per_page > TCRP_LIST_LIMIT_MAX)
		die("serve-list: PER_PAGE must be 1..%d", TCRP_LIST_LIMIT_MAX);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 16) < 0)
		die("serve-list: cannot listen on port %u: %s", p->o.port, strerror(errno));
	SSL_CTX *ctx = serve_ctx();
	printf("listening\n");
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	while (poll(&pfd, 1, idle_ms) > 0) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* A client that stalls cannot hold the server for long. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		SSL *ssl = SSL_new(ctx);
		if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1 &&
		    serve_page(ssl, &so) == 0) {
			pages++;
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		close(fd);
	}
	printf("served %u pages\n", pages);
	SSL_CTX_free(ctx);
	close(lfd);
	return 0;
}

struct command {
	const char *name;
	int nargs;		/* required */
	int optargs;		/* optional after those */
	int (*fn)(struct peer *, char **);
};

static const struct command commands[] = {
	{ "create", 2, 1, cmd_create }, { "join", 2, 1, cmd_join },
	{ "list", 0, 2, cmd_list }, { "raw", 1, 0, cmd_raw },
	{ "garbage", 1, 0, cmd_garbage }, { "stall", 1, 0, cmd_stall },
	{ "bind", 1, 0, cmd_bind }, { "ping", 0, 0, cmd_ping },
	{ "who", 0, 0, cmd_who }, { "leave", 0, 0, cmd_leave },
	{ "chat", 1, 0, cmd_chat }, { "send", 1, 0, cmd_send },
	{ "resend", 0, 0, cmd_resend }, { "hold", 0, 0, cmd_hold },
	{ "release", 0, 0, cmd_release }, { "tamper", 0, 0, cmd_tamper },
	{ "expect", 1, 1, cmd_expect }, { "quiet", 1, 0, cmd_quiet },
	{ "sleep", 1, 0, cmd_sleep }, { "ports", 1, 0, cmd_ports }, { "free-port", 0, 0, cmd_free_port },
	{ "wait-file", 2, 0, cmd_wait_file },
	{ "notify-listen", 2, 0, cmd_notify_listen }, { "udp-junk", 0, 0, cmd_udp_junk },
	{ "ctl-send", 2, 0, cmd_ctl_send }, { "ctl-flood", 2, 0, cmd_ctl_flood },
	{ "udp-to", 1, 0, cmd_udp_to }, { "alt", 1, 0, cmd_alt }, { "swap", 0, 0, cmd_swap },
	{ "pping", 1, 0, cmd_pping }, { "no-echo", 0, 0, cmd_no_echo },
	{ "echo", 0, 0, cmd_echo }, { "drain", 1, 0, cmd_drain },
	{ "client-ping", 0, 0, cmd_client_ping },
	{ "create-many", 1, 1, cmd_create_many }, { "join-many", 2, 1, cmd_join_many },
	{ "ctl-stall", 3, 0, cmd_ctl_stall },
	{ "timed-create", 2, 0, cmd_timed_create }, { "tcp-hold", 2, 0, cmd_tcp_hold },
	{ "udp-flood", 2, 0, cmd_udp_flood }, { "serve-list", 2, 2, cmd_serve_list },
	{ "timed-list", 1, 2, cmd_timed_list },
};

int
main(int argc, char **argv)
{
	struct peer p;
	int i = 1;

	memset(&p, 0, sizeof(p));
	signal(SIGPIPE, SIG_IGN);	/* a refused connection is a result, not a death */
	p.u.fd = -1;
	p.alt_fd = -1;
	p.o.host = "127.0.0.1";
	p.o.port = OCM_DEFAULT_PORT;
	p.o.timeout_ms = 5000;
	p.o.quiet_tofu = true;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-s") == 0)
			p.o.host = argv[i + 1];
		else if (strcmp(argv[i], "-p") == 0)
			p.o.port = (uint16_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-k") == 0)
			p.o.known_servers = argv[i + 1];
		else if (strcmp(argv[i], "-c") == 0)
			p.o.ca_file = argv[i + 1];
		else if (strcmp(argv[i], "-b") == 0)
			source_set(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int rc = 0;
	while (i < argc && rc == 0) {
		const struct command *c = NULL;
		for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
			if (strcmp(commands[k].name, argv[i]) == 0)
				c = &commands[k];
		if (c == NULL)
			die("unknown command '%s'", argv[i]);
		char *args[4] = { NULL, NULL, NULL, NULL };
		int n = 0;
		for (; n < c->nargs + c->optargs && i + 1 + n < argc; n++) {
			bool is_cmd = false;
			for (size_t k = 0; n >= c->nargs && k < sizeof(commands) / sizeof(commands[0]); k++)
				is_cmd |= strcmp(commands[k].name, argv[i + 1 + n]) == 0;
			if (is_cmd)
				break;
			args[n] = argv[i + 1 + n];
		}
		if (n < c->nargs)
			die("'%s' needs more arguments", c->name);
		rc = c->fn(&p, args);
		i += 1 + n;
	}
	if (p.have_session)
		udp_session_close(&p.u);
	if (p.alt_fd >= 0)
		close(p.alt_fd);
	return rc;
}
