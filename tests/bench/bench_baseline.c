/*
 * bench_baseline.c: the yardstick of --baseline, a plain UDP fan-out
 * relay in a thread of its own (pinned with --server-cpu) on an ephemeral
 * loopback port.  No crypto, no coalescing: one datagram per copy, sent
 * with sendmmsg straight from the receive buffers, read with recvmmsg.
 * Its datagrams are a 32-byte header (type, room, sender, message id,
 * send time) and the same text ocmd would relay; members register with a
 * HELLO that the relay answers, as PING makes an ocmd member online.
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define BL_HDR		32
#define BL_RX		64
#define BL_TX		1024
#define BL_HELLO	'H'
#define BL_ACK		'A'
#define BL_CHAT		'C'
#define BL_RETRY_NS	(500 * NS_PER_MS)
#define BL_SETUP_NS	(10 * NS_PER_S)

struct bl_hdr {
	uint8_t type;
	uint8_t pad[3];
	uint32_t room;
	uint64_t sender;
	uint64_t seq;
	uint64_t ts;
};

_Static_assert(sizeof(struct bl_hdr) == BL_HDR, "baseline header is 32 bytes");

/* The relay thread's state. */
struct bl_server {
	int fd, stop_fd;
	pthread_t thread;
	bool running;
	size_t n, per_room;
	struct sockaddr_storage *addr;	/* by member; ss_family 0 until HELLO */
	socklen_t *addr_len;
	struct mmsghdr rx_msgs[BL_RX];
	struct iovec rx_iov[BL_RX];
	struct sockaddr_storage rx_from[BL_RX];
	uint8_t rx_buf[BL_RX][OCM_MAX_DATAGRAM];
	size_t n_tx;
	struct mmsghdr tx_msgs[BL_TX];
	struct iovec tx_iov[BL_TX];
};

struct baseline {
	const struct bench_opts *o;
	struct bl_server *srv;
	struct sockset ss;
	bool ss_open;
	size_t n, per_room, n_acked;
	bool *acked;
	baseline_copy_fn *fn;
	void *arg;
};

/* The relay. */

static void
srv_flush(struct bl_server *s)
{
	size_t i = 0;

	while (i < s->n_tx) {
		int n = sendmmsg(s->fd, &s->tx_msgs[i], (unsigned)(s->n_tx - i), 0);
		if (n < 0 && errno == EINTR)
			continue;
		i += n > 0 ? (size_t)n : 1;	/* best effort, as UDP */
	}
	s->n_tx = 0;
}

static void
srv_queue(struct bl_server *s, void *buf, size_t len, struct sockaddr_storage *to,
    socklen_t to_len)
{
	if (s->n_tx == BL_TX)
		srv_flush(s);
	struct mmsghdr *m = &s->tx_msgs[s->n_tx];
	s->tx_iov[s->n_tx].iov_base = buf;
	s->tx_iov[s->n_tx].iov_len = len;
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_name = to;
	m->msg_hdr.msg_namelen = to_len;
	m->msg_hdr.msg_iov = &s->tx_iov[s->n_tx];
	m->msg_hdr.msg_iovlen = 1;
	s->n_tx++;
}

static void
srv_input(struct bl_server *s, size_t k)
{
	uint8_t *buf = s->rx_buf[k];
	size_t len = s->rx_msgs[k].msg_len;
	struct bl_hdr h;

	if (len < BL_HDR)
		return;
	memcpy(&h, buf, BL_HDR);
	if (h.sender >= s->n)
		return;
	if (h.type == BL_HELLO) {
		s->addr[h.sender] = s->rx_from[k];
		s->addr_len[h.sender] = s->rx_msgs[k].msg_hdr.msg_namelen;
		buf[0] = BL_ACK;
		srv_queue(s, buf, len, &s->addr[h.sender], s->addr_len[h.sender]);
		return;
	}
	size_t first = (size_t)(h.sender / s->per_room) * s->per_room;
	size_t last = first + s->per_room < s->n ? first + s->per_room : s->n;
	for (size_t j = first; j < last; j++)
		if (j != h.sender && s->addr[j].ss_family != 0)
			srv_queue(s, buf, len, &s->addr[j], s->addr_len[j]);
}

static void
srv_drain(struct bl_server *s)
{
	for (;;) {
		for (size_t i = 0; i < BL_RX; i++)
			s->rx_msgs[i].msg_hdr.msg_namelen = sizeof(s->rx_from[i]);
		int n = recvmmsg(s->fd, s->rx_msgs, BL_RX, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			srv_input(s, (size_t)i);
		/* The copies point into the receive buffers: out before the
		 * next batch overwrites them. */
		srv_flush(s);
		if (n < BL_RX)
			return;
	}
}

static void *
srv_main(void *arg)
{
	struct bl_server *s = arg;
	struct pollfd pf[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = s->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents != 0)
			break;
		if (pf[0].revents != 0)
			srv_drain(s);
	}
	return NULL;
}

/* A socket on the loopback address the benchmark targets, any port. */
static int
srv_bind(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	int size = 4 * 1024 * 1024;

	if (getaddrinfo(host, "0", &hints, &ai) != 0)
		return -1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	*len = sizeof(*ss);
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return -1;
	/* As ocmd does for its relay socket. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

static void
srv_free(struct bl_server *s)
{
	if (s == NULL)
		return;
	if (s->running) {
		uint64_t one = 1;
		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			perror("ocm-bench: eventfd");
		pthread_join(s->thread, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s->addr);
	free(s->addr_len);
	free(s);
}

static struct bl_server *
srv_start(const struct bench_opts *o, size_t n, size_t per_room, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct bl_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->n = n;
	s->per_room = per_room;
	s->fd = srv_bind(o->host, ss, len);
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	s->addr = calloc(n, sizeof(*s->addr));
	s->addr_len = calloc(n, sizeof(*s->addr_len));
	for (size_t i = 0; i < BL_RX; i++) {
		s->rx_iov[i].iov_base = s->rx_buf[i];
		s->rx_iov[i].iov_len = sizeof(s->rx_buf[i]);
		s->rx_msgs[i].msg_hdr.msg_name = &s->rx_from[i];
		s->rx_msgs[i].msg_hdr.msg_iov = &s->rx_iov[i];
		s->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (s->fd < 0 || s->stop_fd < 0 || s->addr == NULL || s->addr_len == NULL ||
	    pthread_create(&s->thread, NULL, srv_main, s) != 0) {
		fprintf(stderr, "ocm-bench: cannot start the baseline relay: %s\n",
		    strerror(errno));
		srv_free(s);
		return NULL;
	}
	s->running = true;
	int rc = pin_thread(s->thread, o->server_cpu);
	if (rc != 0)
		fprintf(stderr, "ocm-bench: cannot pin the baseline relay to CPU %d: %s\n",
		    o->server_cpu, strerror(rc));
	return s;
}

/* The members' side. */

static void
bl_datagram(void *arg, uint8_t *buf, size_t len, uint64_t now)
{
	struct baseline *b = arg;
	struct bl_hdr h;

	if (len < BL_HDR)
		return;
	memcpy(&h, buf, BL_HDR);
	if (h.type == BL_CHAT) {
		b->fn(b->arg, h.sender, h.seq, h.ts, now);
	} else if (h.type == BL_ACK && h.sender < b->n && !b->acked[h.sender]) {
		b->acked[h.sender] = true;
		b->n_acked++;
	}
}

static void
bl_send(struct baseline *b, size_t i, uint8_t type, uint64_t seq, uint64_t ts,
    const uint8_t *text, size_t len)
{
	struct tx_slot *s = sockset_slot(&b->ss, b->ss.fd[sockset_of(&b->ss, i, b->n)]);
	struct bl_hdr h = {
		.type = type,
		.room = (uint32_t)(i / b->per_room),
		.sender = i,
		.seq = seq,
		.ts = ts,
	};

	memcpy(s->buf, &h, BL_HDR);
	memcpy(s->buf + BL_HDR, text, len);
	sockset_commit(&b->ss, BL_HDR + len);
}

struct baseline *
baseline_new(const struct bench_opts *o, size_t n, size_t per_room)
{
	struct baseline *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->o = o;
	b->n = n;
	b->per_room = per_room;
	b->ss.ep = -1;
	b->acked = calloc(n, sizeof(*b->acked));
	if (b->acked == NULL) {
		baseline_free(b);
		return NULL;
	}
	return b;
}

static void
bl_hello_unacked(struct baseline *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (!b->acked[i])
			bl_send(b, i, BL_HELLO, 0, 0, (const uint8_t *)"", 0);
	sockset_flush(&b->ss);
}

int
baseline_setup(struct baseline *b)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	b->srv = srv_start(b->o, b->n, b->per_room, &ss, &len);
	if (b->srv == NULL)
		return -1;
	size_t n_socks = sockets_for(b->o, b->n, 64);
	if (sockset_open(&b->ss, n_socks, (struct sockaddr *)&ss, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "ocm-bench: %s\n", err);
		return -1;
	}
	b->ss_open = true;
	b->ss.on_datagram = bl_datagram;
	b->ss.arg = b;
	uint64_t start = now_ns(), last = 0;
	while (b->n_acked < b->n && now_ns() - start < BL_SETUP_NS) {
		if (now_ns() - last >= BL_RETRY_NS) {
			bl_hello_unacked(b);
			last = now_ns();
		}
		sockset_poll(&b->ss, NS_PER_MS);
	}
	if (b->n_acked < b->n) {
		fprintf(stderr, "ocm-bench: the baseline relay answered %zu of %zu members\n",
		    b->n_acked, b->n);
		return -1;
	}
	return 0;
}

int
baseline_queue_chat(struct baseline *b, size_t i, uint64_t seq, uint64_t ts,
    const uint8_t *text, size_t len)
{
	if (len > OCM_MAX_DATAGRAM - BL_HDR)
		return -1;
	bl_send(b, i, BL_CHAT, seq, ts, text, len);
	return 0;
}

void
baseline_flush(struct baseline *b)
{
	sockset_flush(&b->ss);
}

void
baseline_set_copy(struct baseline *b, baseline_copy_fn *fn, void *arg)
{
	b->fn = fn;
	b->arg = arg;
}

int
baseline_poll(struct baseline *b, uint64_t timeout_ns)
{
	return sockset_poll(&b->ss, timeout_ns);
}

int64_t
baseline_server_cpu_ns(struct baseline *b)
{
	clockid_t id;

	if (b->srv == NULL || pthread_getcpuclockid(b->srv->thread, &id) != 0)
		return -1;
	return (int64_t)clock_cpu_ns(id);
}

uint64_t
baseline_datagrams(const struct baseline *b)
{
	return b->ss.datagrams_in;
}

size_t
baseline_sockets(const struct baseline *b)
{
	return b->ss.n;
}

void
baseline_free(struct baseline *b)
{
	if (b == NULL)
		return;
	if (b->ss_open)
		sockset_close(&b->ss);
	srv_free(b->srv);
	free(b->acked);
	free(b);
}
