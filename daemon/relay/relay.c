/*
 * relay.c: the UDP data path of ocmd (see relay.h).
 *
 * Order of checks on input, cheapest and least trusting first: the clear
 * header, the token, the room name, the source address, the replay window
 * (read only), the tag.  Only an authenticated datagram moves the window,
 * refreshes the member's address and deadline, or causes any output: the
 * server never answers what it could not authenticate.
 *
 * Nor does it answer an authenticated datagram at an address it cannot
 * tell is the member's: keys are no proof of where a datagram came from,
 * so a member could name a victim's address as its source.  The IP of the
 * TCRP exchange is proven (the TCP handshake showed that it receives);
 * any other address, possible only with bind_token_to_ip = no, is a
 * candidate that hears nothing but a PONG no larger than the PING it
 * answers, carrying a challenge the address must echo to become the
 * member's (doc/protocol.md 8.6).
 *
 * On a socket bound to a wildcard address each datagram's destination is
 * read with it (IP_PKTINFO, IPV6_PKTINFO) and the member's datagrams leave
 * from that address: the kernel would pick a source by route, which a
 * client's connected socket drops when the host has several addresses.
 */
#include "daemon/relay/relay.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/base/journal.h"
#include "daemon/base/sock.h"
#include "daemon/relay/steer.h"
#include "lib/log.h"
#include "lib/text.h"

#define RX_BATCH	64
#define RX_ROUNDS	8		/* batches per wakeup before others get a turn */
#define TX_BATCH	256
#define BATCH_SLOTS	512		/* members with records pending in one pass */
/* Load-adaptive coalescing: records wait for company only while the loop's
 * load is above HOLD_LOAD_LOW, at most coalesce_us (ocmd.conf), the wait
 * growing with the load up to HOLD_LOAD_HIGH. */
#define HOLD_LOAD_LOW	0.85
#define HOLD_LOAD_HIGH	0.97

struct udp_sock {
	struct ev_io io;
	struct relay *relay;
	int index;
	bool pktinfo;		/* wildcard: learn and set local addresses */
	char text[64];
};

/* Room for the one control message of a datagram: IP_PKTINFO or
 * IPV6_PKTINFO (twice that on receive, in case both come). */
union pktinfo_ctl {
	struct cmsghdr align;
	uint8_t buf[2 * CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct tx_slot {
	struct sockaddr_storage to;
	socklen_t to_len;
	int sock;
	struct local_addr from;	/* family 0: the kernel picks */
	uint32_t n_recs;	/* records in it */
	uint64_t arrival_ns;	/* when the oldest came in; 0: not from a datagram */
	size_t len;
	uint8_t buf[OCM_MAX_DATAGRAM];
};

/* Records for one member, gathered during a loop pass (doc/protocol.md 9.2
 * BATCH): buf[0] is the BATCH Type, then Length + record, ..., as
 * msg_batch_begin() and msg_batch_add() write them. */
struct batch_buf {
	struct member *m;
	size_t len;
	size_t n_recs;
	uint64_t arrival_ns;	/* of the datagram that caused the oldest record */
	uint8_t buf[OCM_MAX_DATAGRAM];
};

struct relay {
	struct relay_host h;		/* its worker's loop, config, registry, counters */
	struct aead *seal;		/* one context per direction, re-keyed per */
	struct aead *open;		/* datagram with the member's key */
	size_t n_batches;
	struct batch_buf batches[BATCH_SLOTS];
	struct udp_sock socks[SERVER_MAX_SOCKETS];
	size_t n_socks;
	struct mmsghdr rx_msgs[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_storage rx_from[RX_BATCH];
	union pktinfo_ctl rx_ctl[RX_BATCH];		/* wildcard sockets only */
	uint8_t rx_buf[RX_BATCH][OCM_MAX_DATAGRAM + 1];	/* +1 shows oversize */
	size_t n_tx;
	struct tx_slot tx[TX_BATCH];
	uint64_t arrival_ns;		/* of the datagrams being handled; 0 outside */
	uint64_t pass_ns;		/* arrival of the first datagram of this pass */
	struct ev_io hold_io;		/* a timerfd: the held records' deadline */
	bool holding;			/* records are held; hold_io is armed */
	uint64_t hold_due;		/* until then */
	struct mmsghdr tx_msgs[TX_BATCH];
	struct iovec tx_iov[TX_BATCH];
	union pktinfo_ctl tx_ctl[TX_BATCH];		/* wildcard sockets only */
	uint8_t pt[OCM_MAX_DATAGRAM];	/* plaintext being built */
};

static const char *const closed_texts[] = {
	[CLOSED_LEFT] = "you left the room",
	[CLOSED_HOST_LEFT] = "the host left, so the room is closed",
	[CLOSED_HOST_TIMED_OUT] = "the host timed out, so the room is closed",
	[CLOSED_ROOM_KILLED] = "an administrator closed the room",
	[CLOSED_KICKED] = "an administrator removed you from the room",
	[CLOSED_TIMED_OUT] = "the server heard nothing from you for too long",
	[CLOSED_SERVER_SHUTDOWN] = "the server is shutting down",
};

/* What the others are told when a member goes, by its CLOSED reason. */
static const uint8_t leave_notices[] = {
	[CLOSED_LEFT] = NOTICE_LEFT,
	[CLOSED_TIMED_OUT] = NOTICE_TIMED_OUT,
	[CLOSED_KICKED] = NOTICE_KICKED,
};

/* What the room is told when its host goes, by the host's reason. */
static const uint8_t host_gone_reasons[] = {
	[CLOSED_LEFT] = CLOSED_HOST_LEFT,
	[CLOSED_TIMED_OUT] = CLOSED_HOST_TIMED_OUT,
	[CLOSED_KICKED] = CLOSED_ROOM_KILLED,	/* an administrator ended the room */
	[CLOSED_ROOM_KILLED] = CLOSED_ROOM_KILLED,
	[CLOSED_SERVER_SHUTDOWN] = CLOSED_SERVER_SHUTDOWN,
};

/* Output. */

/* Bucket 0: under 1 us; bucket i: [2^(i-1), 2^i) us; the last: the rest. */
static unsigned
latency_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us > 0 && b < LATENCY_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

/* The source address of one datagram from a wildcard socket. */
static void
pktinfo_set(struct msghdr *h, const struct local_addr *a, union pktinfo_ctl *ctl)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)ctl->buf;

	if (a->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = 0 };
		memcpy(&pi.ipi_spec_dst, a->addr, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else if (a->family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_ifindex = a->ifindex };
		memcpy(&pi.ipi6_addr, a->addr, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		return;
	}
	h->msg_control = ctl->buf;
}

/*
 * The address a datagram on a wildcard socket was sent to.  For IPv4 that
 * is ipi_spec_dst, the kernel's choice of local address for the reply
 * (the destination itself, unless that was a broadcast).  A multicast
 * destination is no source: then it stays unknown.
 */
static void
pktinfo_get(struct msghdr *h, struct local_addr *a)
{
	memset(a, 0, sizeof(*a));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->family = AF_INET;
			memcpy(a->addr, &pi.ipi_spec_dst, 4);
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
				return;
			a->family = AF_INET6;
			memcpy(a->addr, &pi.ipi6_addr, 16);
			/* A link-local address means something only on its
			 * link; any other may leave by whatever route. */
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				a->ifindex = (uint32_t)pi.ipi6_ifindex;
			return;
		}
	}
}

/* Sends the sealed datagrams queued so far. */
static void
tx_flush(struct relay *r)
{
	struct counters *st = r->h.stats;
	size_t i = 0;

	while (i < r->n_tx) {
		/* One sendmmsg per run of slots that leave by the same socket. */
		size_t j = i;
		while (j < r->n_tx && r->tx[j].sock == r->tx[i].sock)
			j++;
		for (size_t k = i; k < j; k++) {
			r->tx_iov[k].iov_base = r->tx[k].buf;
			r->tx_iov[k].iov_len = r->tx[k].len;
			memset(&r->tx_msgs[k], 0, sizeof(r->tx_msgs[k]));
			r->tx_msgs[k].msg_hdr.msg_name = &r->tx[k].to;
			r->tx_msgs[k].msg_hdr.msg_namelen = r->tx[k].to_len;
			r->tx_msgs[k].msg_hdr.msg_iov = &r->tx_iov[k];
			r->tx_msgs[k].msg_hdr.msg_iovlen = 1;
			if (r->socks[r->tx[k].sock].pktinfo)
				pktinfo_set(&r->tx_msgs[k].msg_hdr, &r->tx[k].from,
				    &r->tx_ctl[k]);
		}
		int fd = r->socks[r->tx[i].sock].io.fd;
		size_t k = i;
		while (k < j) {
			int n = sendmmsg(fd, &r->tx_msgs[k], (unsigned)(j - k), 0);
			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				/* UDP is best effort: a full socket buffer or an
				 * unreachable peer loses this datagram, counted. */
				counter_add(&st->send_errors, 1);
				k++;
				continue;
			}
			uint64_t now = ev_clock_ns(CLOCK_MONOTONIC);
			for (int q = 0; q < n; q++) {
				const struct tx_slot *s = &r->tx[k + (size_t)q];
				counter_add(&st->bytes_out, r->tx_msgs[k + (size_t)q].msg_len);
				if (s->arrival_ns != 0) {
					counter_add(&st->latency[latency_bucket(now - s->arrival_ns)],
					    s->n_recs);
					counter_add(&st->latency_sum_ns,
					    (now - s->arrival_ns) * s->n_recs);
				}
			}
			counter_add(&st->datagrams_out, (uint64_t)n);
			k += (size_t)n;
		}
		i = j;
	}
	r->n_tx = 0;
}

/* Seals pt for m into the send queue, to its address, or to its
 * candidate address when cand is not NULL. */
static void
seal_one(struct relay *r, struct member *m, const struct member_candidate *cand,
    const uint8_t *pt, size_t len, uint32_t n_recs, uint64_t arrival_ns)
{
	struct room *room = m->room;

	if (r->n_tx == TX_BATCH)
		tx_flush(r);
	struct tx_slot *s = &r->tx[r->n_tx];
	long n = -1;
	if (aead_set_key(r->seal, m->key_tx) == 0)
		n = dgram_seal(r->seal, (const uint8_t *)room->name, room->name_len, m->token,
		    m->tx_counter, pt, len, s->buf, sizeof(s->buf));
	if (n < 0) {
		counter_add(&r->h.stats->send_errors, 1);
		return;
	}
	m->tx_counter++;
	if (cand != NULL) {
		memcpy(&s->to, &cand->addr, cand->addr_len);
		s->to_len = cand->addr_len;
		s->sock = cand->sock;
		s->from = cand->local;
	} else {
		memcpy(&s->to, &m->udp, m->udp_len);
		s->to_len = m->udp_len;
		s->sock = m->udp_sock;
		s->from = m->udp_local;
	}
	s->n_recs = n_recs;
	s->arrival_ns = arrival_ns;
	s->len = (size_t)n;
	r->n_tx++;
}

/* Seals a member's pending records: one alone goes as itself, several as
 * one BATCH.  The slot stays the member's until the pass ends. */
static void
batch_seal(struct relay *r, struct batch_buf *b)
{
	if (b->n_recs == 1)
		seal_one(r, b->m, NULL, b->buf + 3, b->len - 3, 1, b->arrival_ns);
	else if (b->n_recs > 1)
		seal_one(r, b->m, NULL, b->buf, b->len, (uint32_t)b->n_recs, b->arrival_ns);
	b->len = 1;
	b->n_recs = 0;
}

/* Ends the pass: every pending record is sealed, in order. */
static void
batches_flush(struct relay *r)
{
	for (size_t i = 0; i < r->n_batches; i++) {
		struct batch_buf *b = &r->batches[i];
		if (b->m == NULL)
			continue;
		batch_seal(r, b);
		b->m->batch = 0;
		b->m = NULL;
	}
	r->n_batches = 0;
}

/*
 * The loop is about to sleep.  Sealed datagrams go now, and so does every
 * pending record, unless records are held for company (hold_cb sends them
 * at their deadline, which the loop wakes for).
 */
void
relay_flush(struct relay *r)
{
	if (!r->holding)
		batches_flush(r);
	tx_flush(r);
}

static void
hold_stop(struct relay *r)
{
	static const struct itimerspec off;

	if (!r->holding)
		return;
	timerfd_settime(r->hold_io.fd, 0, &off, NULL);
	r->holding = false;
}

static void
hold_cb(struct ev_io *io, uint32_t revents)
{
	struct relay *r = container_of(io, struct relay, hold_io);
	uint64_t expirations;
	(void)revents;

	if (read(io->fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	r->holding = false;
	relay_flush(r);
}

/* How long the records of this pass may wait for company: nothing while
 * the loop has time to spare, more the busier it is, coalesce_us at most. */
static uint64_t
hold_ns(const struct relay *r)
{
	uint64_t max = (uint64_t)r->h.cfg->coalesce_us * 1000;
	double load = ev_load(r->h.loop);

	if (max == 0 || r->hold_io.fd < 0 || load <= HOLD_LOAD_LOW)
		return 0;
	if (load >= HOLD_LOAD_HIGH)
		return max;
	return (uint64_t)((double)max * (load - HOLD_LOAD_LOW) / (HOLD_LOAD_HIGH - HOLD_LOAD_LOW));
}

/*
 * A pass over the socket ended.  With time to spare its records go at
 * once.  Busy, they wait (from the first arrival of the pass that started
 * the wait) for the records of the next passes, so that each member gets
 * fewer, fuller datagrams: the kernel's cost per datagram is what
 * saturates the relay, and a saturated relay's queue is what makes its
 * tail (doc/protocol.md 9.2 allows a short, bounded hold while saturated).
 */
/* Holds the pending records until due; false when due has passed or the
 * timer cannot be set (then they go now). */
static bool
hold_arm(struct relay *r, uint64_t due)
{
	uint64_t now = ev_clock_ns(CLOCK_MONOTONIC);

	if (due <= now)
		return false;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)((due - now) / 1000000000ULL),
		    .tv_nsec = (long)((due - now) % 1000000000ULL) },
	};
	if (timerfd_settime(r->hold_io.fd, 0, &its, NULL) < 0)
		return false;
	r->holding = true;
	r->hold_due = due;
	return true;
}

static void
pass_end(struct relay *r)
{
	uint64_t hold = r->n_batches > 0 ? hold_ns(r) : 0;

	if (hold != 0 && r->holding)
		return;		/* the deadline of the first held pass stands */
	hold_stop(r);
	if (hold == 0 || !hold_arm(r, r->pass_ns + hold))
		relay_flush(r);
}

/* A long pass (up to RX_ROUNDS batches) must not keep held records past
 * their deadline: the timer cannot fire until the pass ends. */
static void
hold_check(struct relay *r)
{
	if (!r->holding || ev_clock_ns(CLOCK_MONOTONIC) < r->hold_due)
		return;
	hold_stop(r);
	relay_flush(r);
}

/* Before a member goes: its pending records (its CLOSED among them) are
 * sealed while its key and address still exist. */
static void
batch_release(struct relay *r, struct member *m)
{
	if (m->batch == 0)
		return;
	struct batch_buf *b = &r->batches[m->batch - 1];
	batch_seal(r, b);
	b->m = NULL;
	m->batch = 0;
}

/*
 * Queues one record for m.  Records that become ready for one member in
 * the same pass of the loop are coalesced (BATCH exists for this: the
 * kernel's cost per datagram dwarfs sealing a few more bytes); the pass
 * ends with batches_flush(), so nothing waits for more to come.
 */
static void
relay_send(struct relay *r, struct member *m, const uint8_t *pt, size_t len)
{
	size_t cap = OCM_MAX_DATAGRAM - DGRAM_OVERHEAD(m->room->name_len);
	struct batch_buf *b;
	long used;

	if (!m->online || !m->keyed)
		return;
	if (len + 3 > cap) {
		/* Too big to share a datagram: keep its place in the order. */
		batch_release(r, m);
		seal_one(r, m, NULL, pt, len, 1, r->arrival_ns);
		return;
	}
	if (m->batch == 0) {
		if (r->n_batches == BATCH_SLOTS)
			batches_flush(r);
		b = &r->batches[r->n_batches++];
		b->m = m;
		b->len = (size_t)msg_batch_begin(b->buf, sizeof(b->buf));
		b->n_recs = 0;
		m->batch = (uint32_t)r->n_batches;
	}
	b = &r->batches[m->batch - 1];
	used = msg_batch_add(b->buf, b->len, cap, pt, len);
	if (used == -OCM_E_NOSPC) {
		batch_seal(r, b);
		used = msg_batch_add(b->buf, b->len, cap, pt, len);
	}
	if (used < 0) {
		/* Not a record a BATCH may carry: the relay encodes none. */
		counter_add(&r->h.stats->send_errors, 1);
		return;
	}
	if (b->n_recs == 0)
		b->arrival_ns = r->arrival_ns;
	b->len = (size_t)used;
	b->n_recs++;
}

static void
send_notice(struct relay *r, struct member *to, uint8_t code, const struct member *about,
    const char *text)
{
	long n = msg_encode_notice(code, (const uint8_t *)about->name, about->name_len,
	    (const uint8_t *)text, text ? strlen(text) : 0, r->pt, sizeof(r->pt));
	if (n > 0)
		relay_send(r, to, r->pt, (size_t)n);
}

/* A NOTICE about m to every other online member of its room. */
static void
notice_others(struct relay *r, struct member *m, uint8_t code)
{
	struct member *o;
	long n = msg_encode_notice(code, (const uint8_t *)m->name, m->name_len, NULL, 0, r->pt,
	    sizeof(r->pt));
	if (n <= 0)
		return;
	TAILQ_FOREACH(o, &m->room->members, room_link)
		if (o != m && !o->closing)
			relay_send(r, o, r->pt, (size_t)n);
}

static void
send_closed_text(struct relay *r, struct member *m, uint8_t reason, const char *text)
{
	if (text == NULL || text[0] == '\0')
		text = closed_texts[reason];
	long n = msg_encode_closed(reason, (const uint8_t *)text, strlen(text), r->pt,
	    sizeof(r->pt));
	if (n > 0)
		relay_send(r, m, r->pt, (size_t)n);
	m->closing = true;
}


/* Lifecycle. */

static void member_timer_cb(struct ev_timer *t);

void
relay_member_added(struct relay *r, struct member *m)
{
	m->bucket = 2.0 * r->h.cfg->chat_rate;
	ev_timer_init(&m->timer, member_timer_cb);
	ev_timer_start(r->h.loop, &m->timer, (uint64_t)r->h.cfg->timeout_s * 1000);
}

static void
member_drop(struct relay *r, struct member *m)
{
	struct room *room = m->room;

	batch_release(r, m);
	ev_timer_stop(r->h.loop, &m->timer);
	registry_member_free(r->h.reg, m);
	r->h.members_changed(r->h.owner, room);
}

void
relay_room_close_text(struct relay *r, struct room *room, uint8_t reason, const char *text)
{
	struct member *m;

	if (reason != 0)
		log_ocm(LOG_LEVEL_INFO, OCM_EV_ROOM_CLOSED, room->name, NULL, NULL,
		    "room '%s' closed: %s", room->name, closed_texts[reason]);
	TAILQ_FOREACH(m, &room->members, room_link) {
		if (reason != 0 && !m->closing)
			send_closed_text(r, m, reason, text);
		batch_release(r, m);
		ev_timer_stop(r->h.loop, &m->timer);
	}
	r->h.room_gone(r->h.owner, room);
	registry_room_free(r->h.reg, room);
}

void
relay_room_close(struct relay *r, struct room *room, uint8_t reason)
{
	relay_room_close_text(r, room, reason, NULL);
}

void
relay_member_remove_text(struct relay *r, struct member *m, uint8_t reason,
    const char *text)
{
	struct room *room = m->room;

	if (m->host) {
		if (reason != 0)
			send_closed_text(r, m, reason, text);
		relay_room_close(r, room, reason != 0 ? host_gone_reasons[reason] : 0);
		return;
	}
	if (reason != 0) {
		send_closed_text(r, m, reason, text);
		if (m->online && reason < sizeof(leave_notices) && leave_notices[reason] != 0)
			notice_others(r, m, leave_notices[reason]);
		log_ocm(LOG_LEVEL_INFO, OCM_EV_MEMBER_LEFT, room->name, m->name, NULL,
		    "'%s' left room '%s' (%s)", m->name, room->name,
		    closed_reason_name(reason));
	}
	member_drop(r, m);
}

void
relay_member_remove(struct relay *r, struct member *m, uint8_t reason)
{
	relay_member_remove_text(r, m, reason, NULL);
}

void
relay_shutdown(struct relay *r)
{
	struct room *room, *next;

	/* One walk, as registry_free(): closing a room frees no other. */
	for (room = registry_first_room(r->h.reg); room != NULL; room = next) {
		next = registry_next_room(r->h.reg, room);
		relay_room_close(r, room, CLOSED_SERVER_SHUTDOWN);
	}
	hold_stop(r);
	relay_flush(r);
}

/*
 * A member's one timer: first the token's expiry, then the idle timeout.
 * Datagrams only move last_seen_ms; the timer re-arms itself for what is
 * left, so the data path never touches the wheel.
 */
static void
member_timer_cb(struct ev_timer *t)
{
	struct member *m = container_of(t, struct member, timer);
	struct relay *r = m->room->reg->data;
	uint64_t now = ev_now(r->h.loop);
	uint64_t limit = (uint64_t)r->h.cfg->timeout_s * 1000;
	uint64_t idle = now - m->last_seen_ms;

	if (m->online && idle < limit) {
		ev_timer_start(r->h.loop, t, limit - idle);
		return;
	}
	if (m->online) {
		counter_add(&r->h.stats->members_timed_out, 1);
	} else {
		counter_add(&r->h.stats->tokens_expired, 1);
		log_ocm(LOG_LEVEL_INFO, OCM_EV_SESSION_EXPIRED, m->room->name, m->name, NULL,
		    "session of '%s' in room '%s' expired unused", m->name, m->room->name);
	}
	relay_member_remove(r, m, CLOSED_TIMED_OUT);
}

/* Client messages. */

static void
reject(struct relay *r, struct member *m, const char *why)
{
	counter_add(&r->h.stats->chats_rejected, 1);
	send_notice(r, m, NOTICE_REJECTED, m, why);
}

/* chat_rate per second, bursts of twice that (the bucket starts full);
 * a rate of 0 is no limit. */
static bool
bucket_take(struct member *m, uint64_t now, uint32_t rate)
{
	double cap = 2.0 * rate;

	if (rate == 0)
		return true;
	m->bucket += (double)(now - m->bucket_ms) * rate / 1000.0;
	if (m->bucket > cap)
		m->bucket = cap;
	m->bucket_ms = now;
	if (m->bucket < 1.0)
		return false;
	m->bucket -= 1.0;
	return true;
}

static void
on_chat(struct relay *r, struct member *m, const struct msg *msg)
{
	struct room *room = m->room;
	struct member *o;
	size_t max = msg_max_text(OCM_MAX_DATAGRAM, room->name_len, m->name_len);
	char why[96];

	if (!chat_text_valid(msg->text, msg->text_len)) {
		reject(r, m, "not relayed: text must be UTF-8 without control characters");
		return;
	}
	if (msg->text_len > max) {
		snprintf(why, sizeof(why), "not relayed: %zu bytes, at most %zu fit",
		    msg->text_len, max);
		reject(r, m, why);
		return;
	}
	if (!bucket_take(m, ev_now(r->h.loop), r->h.cfg->chat_rate)) {
		snprintf(why, sizeof(why), "not relayed: flood limit is %u messages a second",
		    r->h.cfg->chat_rate);
		reject(r, m, why);
		return;
	}
	long n = msg_encode_s_chat((const uint8_t *)m->name, m->name_len, msg->text,
	    msg->text_len, r->pt, sizeof(r->pt));
	if (n <= 0)
		return;
	m->msgs_in++;
	room->msgs++;
	counter_add(&r->h.stats->chats_relayed, 1);
	TAILQ_FOREACH(o, &room->members, room_link) {
		if (o == m || !o->online || o->closing)
			continue;
		relay_send(r, o, r->pt, (size_t)n);
		o->msgs_out++;
	}
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("chat in '%s' from '%s': %.*s", room->name, m->name,
		    (int)msg->text_len, (const char *)msg->text);
}

static void
on_ping(struct relay *r, struct member *m, const struct msg *msg)
{
	(void)msg;
	long n = msg_encode_empty(MSG_S_PONG, r->pt, sizeof(r->pt));
	if (n > 0)
		relay_send(r, m, r->pt, (size_t)n);
}

static void
on_leave(struct relay *r, struct member *m, const struct msg *msg)
{
	(void)msg;
	relay_member_remove(r, m, CLOSED_LEFT);
}

/*
 * MEMBERS of the online members, in as many datagrams as it takes.  A
 * big room's list is many datagrams, so WHO draws on the same bucket as
 * CHAT: a member cannot make the server spin answering it.
 */
static void
on_who(struct relay *r, struct member *m, const struct msg *msg)
{
	size_t cap = OCM_MAX_DATAGRAM - DGRAM_OVERHEAD(m->room->name_len);
	struct member *o;
	long n;
	(void)msg;

	if (!bucket_take(m, ev_now(r->h.loop), r->h.cfg->chat_rate)) {
		reject(r, m, "not answered: WHO counts towards the flood limit");
		return;
	}
	n = msg_members_begin(0, r->pt, cap);

	for (o = TAILQ_FIRST(&m->room->members); o != NULL && n > 0;
	    o = TAILQ_NEXT(o, room_link)) {
		if (!o->online || o->closing)
			continue;
		uint8_t flags = o->host ? MEMBERS_ENTRY_HOST : 0;
		long k = msg_members_add(r->pt, (size_t)n, cap, flags, (const uint8_t *)o->name,
		    o->name_len);
		if (k == -OCM_E_NOSPC) {
			r->pt[1] |= MEMBERS_FLAG_MORE;
			relay_send(r, m, r->pt, (size_t)n);
			n = msg_members_begin(0, r->pt, cap);
			k = msg_members_add(r->pt, (size_t)n, cap, flags,
			    (const uint8_t *)o->name, o->name_len);
		}
		n = k;
	}
	if (n > 0)
		relay_send(r, m, r->pt, (size_t)n);
}

static void (*const client_handlers[256])(struct relay *, struct member *,
    const struct msg *) = {
	[MSG_C_CHAT] = on_chat,
	[MSG_C_PING] = on_ping,
	[MSG_C_LEAVE] = on_leave,
	[MSG_C_WHO] = on_who,
};

/* Input. */

static void
drop(struct relay *r, enum drop_reason why)
{
	counter_add(&r->h.stats->drops[why], 1);
}

/* A token this worker does not know that names another worker: the
 * steering program is missing or was bypassed.  It is still dropped (this
 * worker cannot authenticate it), but counted apart. */
static bool
misrouted(const struct relay *r, const uint8_t *token)
{
	int home = steer_token_worker(token);

	return home >= 0 && (unsigned)home != r->h.index &&
	    (unsigned)home < *r->h.n_workers;
}

/* Authenticates one datagram; returns its member, or NULL (dropped). */
static struct member *
authenticate(struct relay *r, uint8_t *buf, size_t len, const struct sockaddr *from,
    uint8_t **pt, size_t *pt_len, uint64_t *counter)
{
	struct dgram_header h;
	struct peer_ip ip;

	if (dgram_parse_header(buf, len, &h) < 0) {
		drop(r, DROP_MALFORMED);
		return NULL;
	}
	struct member *m = registry_find_member(r->h.reg, h.token);
	if (m == NULL || m->closing || !m->keyed || m->room->name_len != h.room_len ||
	    memcmp(m->room->name, h.room, h.room_len) != 0) {
		drop(r, misrouted(r, h.token) ? DROP_WRONG_WORKER : DROP_UNKNOWN_TOKEN);
		return NULL;
	}
	if (r->h.cfg->bind_token_to_ip) {
		peer_ip_from_sockaddr(&ip, from);
		if (!peer_ip_equal(&ip, &m->ip)) {
			drop(r, DROP_WRONG_ADDRESS);
			return NULL;
		}
	}
	if (!replay_check(&m->replay, h.counter)) {
		drop(r, DROP_REPLAY);
		return NULL;
	}
	if (aead_set_key(r->open, m->key_rx) < 0 ||
	    dgram_open(r->open, &h, buf, len, pt, pt_len) < 0) {
		drop(r, DROP_BAD_TAG);
		return NULL;
	}
	replay_update(&m->replay, h.counter);
	*counter = h.counter;
	return m;
}

/* One datagram as it came in. */
struct rx_info {
	const struct sockaddr *from;
	socklen_t from_len;
	int sock;			/* the relay socket's index */
	struct local_addr to;		/* where it was sent; family 0: not known */
	size_t len;			/* of the whole datagram */
	uint64_t counter;
};

static bool
addr_same(const union member_addr *a, socklen_t a_len, const struct sockaddr *b)
{
	if (a_len == 0 || a->sa.sa_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)b;
		return a->in.sin_port == in->sin_port &&
		    a->in.sin_addr.s_addr == in->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)b;
		return a->in6.sin6_port == in6->sin6_port &&
		    a->in6.sin6_scope_id == in6->sin6_scope_id &&
		    IN6_ARE_ADDR_EQUAL(&a->in6.sin6_addr, &in6->sin6_addr);
	}
	return false;
}

/*
 * Proven: on the IP of the TCRP exchange, whose TCP handshake showed that
 * it receives (with bind_token_to_ip, authenticate() let in no other), or
 * the member's current address, which proved itself.
 */
static bool
addr_proven(const struct relay *r, const struct member *m, const struct rx_info *rx)
{
	struct peer_ip ip;

	if (r->h.cfg->bind_token_to_ip)
		return true;
	peer_ip_from_sockaddr(&ip, rx->from);
	return peer_ip_equal(&ip, &m->ip) || addr_same(&m->udp, m->udp_len, rx->from);
}

/* The member's datagrams go where this one came from; a candidate, if
 * any, is forgotten: the member is where its newest datagram is. */
static void
addr_adopt(struct member *m, const struct rx_info *rx)
{
	memcpy(&m->udp, rx->from, rx->from_len);
	m->udp_len = rx->from_len;
	m->udp_sock = rx->sock;
	m->udp_local = rx->to;
	free(m->cand);
	m->cand = NULL;
}

/* A datagram from a proven address: the member is alive, and online from
 * the first. */
static void
member_heard(struct relay *r, struct member *m)
{

	m->last_seen_ms = ev_now(r->h.loop);
	if (registry_member_online(r->h.reg, m)) {
		r->h.members_changed(r->h.owner, m->room);
		log_ocm(LOG_LEVEL_INFO, OCM_EV_MEMBER_ONLINE, m->room->name, m->name, NULL,
		    "'%s' is online in room '%s'", m->name, m->room->name);
		notice_others(r, m, NOTICE_JOINED);
	}
}

/* The datagram's source becomes the member's candidate, under a fresh
 * challenge: one sent to another address must not prove this one.  NULL
 * when memory or randomness is short (then nothing is sent there). */
static struct member_candidate *
candidate_new(struct member *m, const struct rx_info *rx)
{
	struct member_candidate *c = m->cand;

	if (c == NULL && (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	m->cand = c;
	memset(c, 0, sizeof(*c));
	if (RAND_bytes(c->challenge, sizeof(c->challenge)) != 1) {
		free(c);
		m->cand = NULL;
		return NULL;
	}
	memcpy(&c->addr, rx->from, rx->from_len);
	c->addr_len = rx->from_len;
	c->sock = rx->sock;
	c->local = rx->to;
	c->counter = rx->counter;
	return c;
}

static bool
challenge_echoed(const struct member_candidate *c, const struct msg *msg)
{
	return msg->body_len == sizeof(c->challenge) &&
	    CRYPTO_memcmp(msg->body, c->challenge, sizeof(c->challenge)) == 0;
}

/* The PONG with the challenge, sealed for m, is no larger than the
 * datagram it would answer: no one gains bytes by pointing it elsewhere. */
static bool
challenge_fits(const struct member *m, size_t len)
{
	return DGRAM_OVERHEAD(m->room->name_len) + 1 + MSG_CHALLENGE_LEN <= len;
}

static void
challenge_send(struct relay *r, struct member *m, const struct member_candidate *c)
{
	long n = msg_encode_pong(c->challenge, r->pt, sizeof(r->pt));

	if (n <= 0)
		return;
	seal_one(r, m, c, r->pt, (size_t)n, 1, r->arrival_ns);
	counter_add(&r->h.stats->address_challenges, 1);
}

static void
address_proven(struct relay *r, struct member *m, const struct rx_info *rx)
{
	char ip_text[INET6_ADDRSTRLEN];
	struct peer_ip ip;

	addr_adopt(m, rx);
	counter_add(&r->h.stats->addresses_proven, 1);
	member_heard(r, m);
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		peer_ip_from_sockaddr(&ip, rx->from);
		log_debug("'%s' in room '%s' proved its new address %s port %u", m->name,
		    m->room->name, peer_ip_str(&ip, ip_text, sizeof(ip_text)),
		    ntohs(m->udp.sa.sa_family == AF_INET ? m->udp.in.sin_port :
		    m->udp.in6.sin6_port));
	}
}

/*
 * A valid message from an address not proven to be the member's (only
 * with bind_token_to_ip = no).  The source of the newest such datagram is
 * the candidate: a PING from it is answered there by a PONG with the
 * challenge, if that is no larger than the PING, and a PING echoing the
 * challenge proves it.  Nothing else goes there, and the member's
 * deadline stays, so that a client that cannot prove where it is times
 * out and joins again instead of hearing nothing for ever.  Returns true
 * when the message is to be handled as usual, answers going to the proven
 * address.
 */
static bool
candidate_input(struct relay *r, struct member *m, const struct rx_info *rx,
    const struct msg *msg)
{
	struct member_candidate *c = m->cand;
	bool ping = msg->type == MSG_C_PING;

	if (c != NULL && addr_same(&c->addr, c->addr_len, rx->from)) {
		if (ping && challenge_echoed(c, msg)) {
			address_proven(r, m, rx);
			return true;
		}
		if (rx->counter > c->counter) {
			c->counter = rx->counter;
			c->sock = rx->sock;
			c->local = rx->to;
		}
	} else if (rx->counter == m->replay.top) {
		c = candidate_new(m, rx);
	} else {
		c = NULL;	/* an older datagram from elsewhere */
	}
	if (c != NULL && ping && challenge_fits(m, rx->len)) {
		challenge_send(r, m, c);
		return false;
	}
	drop(r, DROP_UNPROVEN_ADDRESS);
	return m->online;
}

static void
relay_input(struct relay *r, uint8_t *buf, struct rx_info *rx)
{
	uint8_t *pt;
	size_t pt_len;
	struct msg msg;

	struct member *m = authenticate(r, buf, rx->len, rx->from, &pt, &pt_len, &rx->counter);
	if (m == NULL || rx->from_len > sizeof(m->udp))
		return;
	bool valid = msg_parse(pt, pt_len, &msg) == 0 && client_handlers[msg.type] != NULL;
	if (addr_proven(r, m, rx)) {
		/* NAT rebinding: replies go where the newest authentic
		 * datagram came from, newest by its counter, not by its
		 * arrival, so that an old datagram arriving late cannot
		 * point the member back to where it was. */
		if (rx->counter == m->replay.top)
			addr_adopt(m, rx);
		member_heard(r, m);
	} else if (valid && !candidate_input(r, m, rx, &msg)) {
		return;
	}
	if (!valid) {
		/* An empty CHAT is an invalid one: its sender hears why. */
		if (pt_len == 1 && pt[0] == MSG_C_CHAT)
			reject(r, m, "not relayed: empty message");
		else
			drop(r, DROP_BAD_PLAINTEXT);
		return;
	}
	client_handlers[msg.type](r, m, &msg);
}

static void
udp_read_cb(struct ev_io *io, uint32_t revents)
{
	struct udp_sock *us = container_of(io, struct udp_sock, io);
	struct relay *r = us->relay;
	struct counters *st = r->h.stats;
	(void)revents;

	for (int round = 0; round < RX_ROUNDS; round++) {
		for (int i = 0; i < RX_BATCH; i++) {
			struct msghdr *h = &r->rx_msgs[i].msg_hdr;
			r->rx_iov[i].iov_base = r->rx_buf[i];
			r->rx_iov[i].iov_len = sizeof(r->rx_buf[i]);
			memset(h, 0, sizeof(*h));
			h->msg_name = &r->rx_from[i];
			h->msg_namelen = sizeof(r->rx_from[i]);
			h->msg_iov = &r->rx_iov[i];
			h->msg_iovlen = 1;
			if (us->pktinfo) {
				h->msg_control = r->rx_ctl[i].buf;
				h->msg_controllen = sizeof(r->rx_ctl[i].buf);
			}
		}
		int n = recvmmsg(io->fd, r->rx_msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		ev_now_update(r->h.loop);
		r->arrival_ns = ev_clock_ns(CLOCK_MONOTONIC);
		if (round == 0)
			r->pass_ns = r->arrival_ns;
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &r->rx_msgs[i].msg_hdr;
			struct rx_info rx = {
				.from = (const struct sockaddr *)&r->rx_from[i],
				.from_len = h->msg_namelen,
				.sock = us->index,
				.len = r->rx_msgs[i].msg_len,
			};
			counter_add(&st->datagrams_in, 1);
			counter_add(&st->bytes_in, rx.len);
			if ((h->msg_flags & MSG_TRUNC) || rx.len > OCM_MAX_DATAGRAM) {
				drop(r, DROP_MALFORMED);
				continue;
			}
			if (us->pktinfo)
				pktinfo_get(h, &rx.to);
			relay_input(r, r->rx_buf[i], &rx);
		}
		hold_check(r);
		if (n < RX_BATCH)
			break;
	}
	/* The pass ends when the socket is drained (or after RX_ROUNDS
	 * batches): what arrived together leaves together, now, not after
	 * whatever else this turn of the loop has to do (on the main loop,
	 * TLS handshakes), and waits for more only while the loop is busy. */
	pass_end(r);
	r->arrival_ns = 0;
}

/* Sockets. */

bool
relay_has_port(const struct relay *r, uint16_t port)
{
	for (size_t i = 0; i < r->n_socks; i++)
		if (socket_port(r->socks[i].io.fd) == port)
			return true;
	return false;
}

/*
 * On a socket bound to a wildcard address, asks for each datagram's
 * destination, so that what goes back can leave from it.  Sockets bound
 * to one address need none of it, and skip it on every datagram.
 */
static bool
pktinfo_enable(int fd, const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	bool wildcard = false;
	int one = 1, rc = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&ss;
		wildcard = in->sin_addr.s_addr == htonl(INADDR_ANY);
		if (wildcard)
			rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&ss;
		wildcard = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
		if (wildcard)
			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (rc < 0) {
		log_warn("udp %s: cannot learn the address each datagram was sent to, so "
		    "replies leave from the address the routing picks; clients of a host "
		    "with several addresses may drop them", text);
		return false;
	}
	return wildcard;
}

/*
 * One of a socket's buffers (SO_RCVBUF or SO_SNDBUF) at least want bytes.
 * The receive buffer is what carries the datagrams that come while a
 * worker is away (the scheduler ran something else, a burst came in):
 * too small, and the kernel drops them before ocmd sees them.  The FORCE
 * option passes the sysctl's cap while ocmd has CAP_NET_ADMIN (it binds
 * as root before it drops privileges); otherwise the kernel caps what it
 * is given at the sysctl.  A buffer already as large (systemd's
 * ReceiveBuffer= on an activated socket) is left alone.  Returns the size
 * the socket has, in bytes as asked for (the kernel reports twice that).
 */
static int
buffer_grow(int fd, int plain, int force, int want)
{
	int got = 0;
	socklen_t len = sizeof(got);

	if (getsockopt(fd, SOL_SOCKET, plain, &got, &len) == 0 && got / 2 >= want)
		return got / 2;
	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &want, sizeof(want));
	len = sizeof(got);
	if (getsockopt(fd, SOL_SOCKET, plain, &got, &len) < 0)
		return want;
	return got / 2;
}

static void
buffers_size(const struct relay *r, int fd, const char *text)
{
	static bool warned;	/* sockets are added at start, on the main thread */
	int want = (int)r->h.cfg->udp_buffer_kib * 1024;
	int rcv = buffer_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE, want);
	int snd = buffer_grow(fd, SO_SNDBUF, SO_SNDBUFFORCE, want);

	if ((rcv >= want && snd >= want) || warned)
		return;
	warned = true;
	log_warnx("udp %s: its buffers are %d KiB (receive) and %d KiB (send), not the %u KiB "
	    "of udp_buffer_kib, because net.core.rmem_max and net.core.wmem_max cap them "
	    "and ocmd had no CAP_NET_ADMIN to pass the cap: datagrams that come while a "
	    "worker is busy may be dropped (ocmctl stats: socket_drops); raise both sysctls "
	    "to %d (the sysctl.d file installed with ocmd does) and restart ocmd",
	    text, rcv / 1024, snd / 1024, r->h.cfg->udp_buffer_kib, want);
}

/* What the kernel dropped at this worker's sockets since they were made:
 * datagrams that found the receive buffer full (SO_MEMINFO). */
uint64_t
relay_socket_drops(const struct relay *r)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < r->n_socks; i++) {
		uint32_t mi[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mi);
		if (getsockopt(r->socks[i].io.fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
		    len > SK_MEMINFO_DROPS * sizeof(mi[0]))
			sum += mi[SK_MEMINFO_DROPS];
	}
	return sum;
}

int
relay_add_socket(struct relay *r, int fd, const char *text)
{
	if (r->n_socks == SERVER_MAX_SOCKETS)
		return -ENOSPC;
	buffers_size(r, fd, text);
	struct udp_sock *us = &r->socks[r->n_socks];
	us->relay = r;
	us->index = (int)r->n_socks;
	us->pktinfo = pktinfo_enable(fd, text);
	snprintf(us->text, sizeof(us->text), "%s", text);
	int rc = ev_io_start(r->h.loop, &us->io, fd, EPOLLIN, udp_read_cb);
	if (rc < 0)
		return rc;
	r->n_socks++;
	return 0;
}

/* One UDP socket on a; with reuseport it joins the group of the other
 * workers' sockets on the same address. */
static int
udp_bind(const struct listen_addr *a, bool reuseport, char *err, size_t err_len)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, err_len, "udp %s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, err_len, "udp %s: SO_REUSEPORT: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		snprintf(err, err_len, "udp %s: bind: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct relay *
relay_new(const struct relay_host *host)
{
	static const uint8_t no_key[OCM_KEY_LEN];
	struct relay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->h = *host;
	r->h.reg->data = r;
	r->seal = aead_new(no_key, AEAD_SEAL);
	r->open = aead_new(no_key, AEAD_OPEN);
	/* Without a timerfd nothing is held: records go at the end of each
	 * pass. */
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->hold_io.fd = -1;
	if (fd >= 0 && ev_io_start(r->h.loop, &r->hold_io, fd, EPOLLIN, hold_cb) < 0)
		close(fd);	/* ev_io_start sets hold_io.fd only when it succeeds */
	if (r->seal == NULL || r->open == NULL) {
		relay_free(r);
		return NULL;
	}
	return r;
}

int
relay_bind(struct relay *r, const struct listen_addr *a, bool reuseport, char *err,
    size_t err_len)
{
	int fd = udp_bind(a, reuseport, err, err_len);

	if (fd < 0)
		return -1;
	if (relay_add_socket(r, fd, a->text) < 0) {
		close(fd);
		snprintf(err, err_len, "udp %s: too many sockets", a->text);
		return -1;
	}
	return fd;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_socks; i++) {
		ev_io_stop(r->h.loop, &r->socks[i].io);
		close(r->socks[i].io.fd);
	}
	if (r->hold_io.fd >= 0) {
		ev_io_stop(r->h.loop, &r->hold_io);
		close(r->hold_io.fd);
	}
	aead_free(r->seal);
	aead_free(r->open);
	free(r);
}
