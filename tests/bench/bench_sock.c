/*
 * bench_sock.c: the UDP sockets of the load generator.  Members map onto
 * sockets in blocks (one each when descriptors allow); every socket is
 * connected to the server's UDP address and sits in one epoll set.  Input
 * is read with recvmmsg and handed over with the time it was read, which
 * is when every datagram of that batch was already waiting: latency is
 * measured up to there.  Output is queued and sent with sendmmsg, one call
 * per run of queued datagrams for the same socket.
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define SOCK_EVENTS		256
#define SOCK_RX_ROUNDS		16	/* batches per socket before others get a turn */
#define SOCK_BUFFER		(1024 * 1024)

static int
sockset_alloc(struct sockset *s, size_t n)
{
	s->fd = malloc(n * sizeof(*s->fd));
	s->tx = malloc(SOCK_TX_BATCH * sizeof(*s->tx));
	s->tx_msgs = calloc(SOCK_TX_BATCH, sizeof(*s->tx_msgs));
	s->tx_iov = calloc(SOCK_TX_BATCH, sizeof(*s->tx_iov));
	s->rx_msgs = calloc(SOCK_RX_BATCH, sizeof(*s->rx_msgs));
	s->rx_iov = calloc(SOCK_RX_BATCH, sizeof(*s->rx_iov));
	s->rx_buf = malloc(SOCK_RX_BATCH * sizeof(*s->rx_buf));
	if (s->fd == NULL || s->tx == NULL || s->tx_msgs == NULL || s->tx_iov == NULL ||
	    s->rx_msgs == NULL || s->rx_iov == NULL || s->rx_buf == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		s->fd[i] = -1;
	/* The input headers never change: recvmmsg only fills in lengths
	 * and flags. */
	for (size_t i = 0; i < SOCK_RX_BATCH; i++) {
		s->rx_iov[i].iov_base = s->rx_buf[i];
		s->rx_iov[i].iov_len = sizeof(s->rx_buf[i]);
		s->rx_msgs[i].msg_hdr.msg_iov = &s->rx_iov[i];
		s->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static int
sock_new(int ep, uint32_t index, const struct sockaddr *to, socklen_t to_len)
{
	int size = SOCK_BUFFER;
	int fd = socket(to->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = index };

	if (fd < 0)
		return -1;
	/* Room for bursts of a closed loop; the kernel caps it at rmem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (connect(fd, to, to_len) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
sockset_open(struct sockset *s, size_t n, const struct sockaddr *to, socklen_t to_len,
    char *err, size_t err_len)
{
	memset(s, 0, sizeof(*s));
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || sockset_alloc(s, n) < 0) {
		snprintf(err, err_len, "cannot set up %zu UDP sockets: %s", n, strerror(errno));
		sockset_close(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		s->fd[i] = sock_new(s->ep, (uint32_t)i, to, to_len);
		if (s->fd[i] < 0) {
			snprintf(err, err_len, "cannot open UDP socket %zu of %zu: %s", i + 1, n,
			    strerror(errno));
			sockset_close(s);
			return -1;
		}
		s->n = i + 1;
	}
	return 0;
}

void
sockset_close(struct sockset *s)
{
	for (size_t i = 0; s->fd != NULL && i < s->n; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	if (s->ep > 0)
		close(s->ep);
	free(s->fd);
	free(s->tx);
	free(s->tx_msgs);
	free(s->tx_iov);
	free(s->rx_msgs);
	free(s->rx_iov);
	free(s->rx_buf);
	memset(s, 0, sizeof(*s));
	s->ep = -1;
}

struct tx_slot *
sockset_slot(struct sockset *s, int fd)
{
	if (s->n_tx == SOCK_TX_BATCH)
		sockset_flush(s);
	s->tx[s->n_tx].fd = fd;
	return &s->tx[s->n_tx];
}

void
sockset_commit(struct sockset *s, size_t len)
{
	s->tx[s->n_tx].len = len;
	s->n_tx++;
}

/* sendmmsg for slots i..j-1, which share one socket. */
static void
send_run(struct sockset *s, size_t i, size_t j)
{
	for (size_t k = i; k < j; k++) {
		s->tx_iov[k].iov_base = s->tx[k].buf;
		s->tx_iov[k].iov_len = s->tx[k].len;
		s->tx_msgs[k].msg_hdr.msg_iov = &s->tx_iov[k];
		s->tx_msgs[k].msg_hdr.msg_iovlen = 1;
	}
	while (i < j) {
		int n = sendmmsg(s->tx[i].fd, &s->tx_msgs[i], (unsigned)(j - i), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A datagram that cannot leave is a lost message,
			 * which the in-flight table will count. */
			s->send_errors++;
			i++;
			continue;
		}
		i += (size_t)n;
	}
}

void
sockset_flush(struct sockset *s)
{
	size_t i = 0;

	while (i < s->n_tx) {
		size_t j = i + 1;
		while (j < s->n_tx && s->tx[j].fd == s->tx[i].fd)
			j++;
		send_run(s, i, j);
		i = j;
	}
	s->n_tx = 0;
}

static void
sockset_drain(struct sockset *s, int fd)
{
	for (int round = 0; round < SOCK_RX_ROUNDS; round++) {
		int n = recvmmsg(fd, s->rx_msgs, SOCK_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t now = now_ns();
		for (int i = 0; i < n; i++) {
			s->datagrams_in++;
			if (s->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			s->on_datagram(s->arg, s->rx_buf[i], s->rx_msgs[i].msg_len, now);
		}
		if (n < SOCK_RX_BATCH)
			return;
	}
}

int
sockset_poll(struct sockset *s, uint64_t timeout_ns)
{
	struct epoll_event ev[SOCK_EVENTS];
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / NS_PER_S),
		.tv_nsec = (long)(timeout_ns % NS_PER_S) };

	int n = epoll_pwait2(s->ep, ev, SOCK_EVENTS, &ts, NULL);
	for (int i = 0; i < n; i++)
		sockset_drain(s, s->fd[ev[i].data.u32]);
	return n > 0 ? n : 0;
}
