/*
 * bench_pool.c: a crowd of ocmd members, each a real client session.
 * Worker threads do the TLS joins (tcrp_call, one room after another:
 * CREATE, then the JOINs, through --join-via's hosts when given), while
 * the main thread takes each joined member at once, gives it a UDP socket
 * and sends its first PING, so that no token expires while thousands of
 * others are still joining.  From then on
 * only the main thread touches members: it seals their datagrams, opens
 * every datagram that arrives (found by token, replay-checked, BATCH
 * records walked one by one) and keeps them alive.
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/datagram.h"

#define POOL_STALL_NS		(20 * NS_PER_S)	/* no progress this long: give up */
#define POOL_RETRY_NS		NS_PER_S	/* an unanswered PING goes again */
#define POOL_TICK_NS		(250 * NS_PER_MS)
#define POOL_SETTLE_NS		(200 * NS_PER_MS)
#define POOL_LEAVE_NS		(500 * NS_PER_MS)
#define POOL_LEAVE_BURST	512

struct worker {
	struct pool *p;
	unsigned index;
	pthread_t thread;
	bool started;
	atomic_size_t done;	/* members joined, in this worker's order */
	size_t room, j;		/* the main thread's walk over them */
	size_t taken;
};

struct pool {
	const struct bench_opts *o;
	struct server_opts so;
	char run[32];
	size_t n, per_room, n_rooms;
	struct member_sess *m;
	bool *registered;		/* main thread only */
	unsigned n_workers;
	struct worker *w;
	pthread_mutex_t lock;		/* the two below, first writer wins */
	struct sockaddr_storage udp;	/* where ocmd wants datagrams */
	socklen_t udp_len;
	char err[CLIENT_ERR_MAX];
	atomic_bool failed;
	size_t n_socks;
	struct sockset ss;
	bool ss_open;
	uint32_t *hash;			/* member index + 1 by token; 0 empty */
	size_t hash_mask;
	size_t n_registered, n_online;
	size_t max_text;
	uint64_t rejected, closed, drops, now, last_tick;
	uint64_t keepalive_ns;		/* as ocmd announced it */
	bool told_rejected;
	bool lean;			/* CHAT records without msg_parse() */
	pool_chat_fn *on_chat;
	void *chat_arg;
};

static void pool_fail(struct pool *p, const char *fmt, ...) OCM_PRINTF(2, 3);

static void
pool_fail(struct pool *p, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&p->lock);
	if (!atomic_load(&p->failed)) {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
		atomic_store(&p->failed, true);
	}
	pthread_mutex_unlock(&p->lock);
}

static size_t
room_size(const struct pool *p, size_t r)
{
	size_t first = r * p->per_room;
	return p->n - first < p->per_room ? p->n - first : p->per_room;
}

/* Token lookup, open addressing: tokens are random, so their first
 * bytes hash well enough. */
static size_t
token_slot(const struct pool *p, const uint8_t *token)
{
	uint64_t k;

	memcpy(&k, token, sizeof(k));
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 20) & p->hash_mask;
}

static void
hash_insert(struct pool *p, size_t i)
{
	size_t s = token_slot(p, p->m[i].u.token);

	while (p->hash[s] != 0)
		s = (s + 1) & p->hash_mask;
	p->hash[s] = (uint32_t)i + 1;
}

static struct member_sess *
pool_find(struct pool *p, const uint8_t *token)
{
	for (size_t s = token_slot(p, token); p->hash[s] != 0; s = (s + 1) & p->hash_mask) {
		struct member_sess *m = &p->m[p->hash[s] - 1];
		if (memcmp(m->u.token, token, OCM_TOKEN_LEN) == 0)
			return m;
	}
	return NULL;
}

/* Worker side. */

/* Records ocmd's UDP address, which must be the same for every room:
 * the sockets are shared between members and connected to it.  A member
 * that joined through another node of a cluster has the address of its
 * room's home (udp_host), so --join-via keeps to one address as long as
 * every room is created on the same node. */
static int
pool_note_udp(struct pool *p, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		pool_fail(p, "getpeername: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	if (p->udp_len == 0) {
		p->udp = ss;
		p->udp_len = len;
	} else if (len != p->udp_len || memcmp(&ss, &p->udp, len) != 0) {
		rc = -1;
	}
	pthread_mutex_unlock(&p->lock);
	if (rc < 0)
		pool_fail(p, "ocmd announced different UDP ports for different rooms, "
		    "which ocm-bench does not support");
	return rc;
}

static int
pool_join_one(struct pool *p, size_t i)
{
	struct member_sess *m = &p->m[i];
	size_t r = i / p->per_room, j = i % p->per_room;
	uint8_t op = j == 0 ? TCRP_OP_CREATE_ROOM : TCRP_OP_JOIN_ROOM;
	struct tcrp_request req;
	struct tcrp_result res;
	char room[64], user[32], err[CLIENT_ERR_MAX];

	struct server_opts so = p->so;
	unsigned retries = 0;

	if (op == TCRP_OP_JOIN_ROOM)
		so.host = join_host(p->o, j);
	snprintf(room, sizeof(room), "%s-%zu", p->run, r);
	snprintf(user, sizeof(user), "m%zu", j);
	bench_request(&req, op, room, user);
	/* Setup is not measured: the retries need no count. */
	if (bench_call(p->o, &so, &req, &res, err, &retries) < 0) {
		pool_fail(p, "%s", err);
		return -1;
	}
	if (res.code != TCRP_CODE_OK) {
		pool_fail(p, "%s of room '%s' as '%s' refused: %s (%s)",
		    tcrp_operation_name(op), room, user, tcrp_code_str(res.code), res.message);
		tcrp_result_clear(&res);
		return -1;
	}
	int rc = udp_session_open(&m->u, &so, &req, &res, err);
	tcrp_result_clear(&res);
	if (rc < 0) {
		pool_fail(p, "%s", err);
		return -1;
	}
	rc = pool_note_udp(p, m->u.fd);
	/* The session's own socket goes: the pool's sockets take over. */
	close(m->u.fd);
	m->u.fd = -1;
	m->room = (uint32_t)r;
	return rc;
}

static void *
pool_worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	/* Joins are TLS work, heavy on the CPU; the main thread, which keeps
	 * the members already joined alive, must not starve behind them. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	for (size_t r = w->index; r < p->n_rooms; r += p->n_workers) {
		for (size_t j = 0; j < room_size(p, r); j++) {
			if (atomic_load(&p->failed) || pool_join_one(p, r * p->per_room + j) < 0)
				return NULL;
			atomic_fetch_add_explicit(&w->done, 1, memory_order_release);
		}
	}
	return NULL;
}

/* Main thread side. */

static void
pool_send_empty(struct pool *p, struct member_sess *m, uint8_t type)
{
	if (udp_send_empty(&m->u, type) < 0)
		p->ss.send_errors++;
	m->last_tx_ns = p->now;
}

static int
pool_open_sockets(struct pool *p)
{
	char err[256];

	if (sockset_open(&p->ss, p->n_socks, (struct sockaddr *)&p->udp, p->udp_len, err,
	    sizeof(err)) < 0) {
		pool_fail(p, "%s", err);
		return -1;
	}
	p->ss_open = true;
	return 0;
}

static void pool_datagram(void *arg, uint8_t *buf, size_t len, uint64_t now);

/* A member just joined: a socket, the token table, its first PING. */
static int
pool_register(struct pool *p, size_t i)
{
	struct member_sess *m = &p->m[i];

	if (!p->ss_open) {
		if (pool_open_sockets(p) < 0)
			return -1;
		p->ss.on_datagram = pool_datagram;
		p->ss.arg = p;
	}
	m->sock = (uint32_t)sockset_of(&p->ss, i, p->n);
	m->u.fd = p->ss.fd[m->sock];
	if (m->u.max_text < p->max_text)
		p->max_text = m->u.max_text;
	p->keepalive_ns = NS_PER_S * (m->u.keepalive_s > 0 ? m->u.keepalive_s : 10);
	hash_insert(p, i);
	p->registered[i] = true;
	p->n_registered++;
	pool_send_empty(p, m, MSG_C_PING);
	return 0;
}

/* Takes the members each worker has finished since last time, in the
 * worker's own order (which the walk below repeats). */
static int
pool_take_joined(struct pool *p)
{
	for (unsigned t = 0; t < p->n_workers; t++) {
		struct worker *w = &p->w[t];
		size_t done = atomic_load_explicit(&w->done, memory_order_acquire);
		while (w->taken < done) {
			if (pool_register(p, w->room * p->per_room + w->j) < 0)
				return -1;
			w->taken++;
			if (++w->j == room_size(p, w->room)) {
				w->room += p->n_workers;
				w->j = 0;
			}
		}
	}
	return 0;
}

/* Server-to-client plaintexts. */

static void
on_chat(struct pool *p, size_t i, const struct msg *msg)
{
	if (p->on_chat != NULL)
		p->on_chat(p->chat_arg, i, msg->text, msg->text_len, p->now);
}

static void
on_pong(struct pool *p, size_t i, const struct msg *msg)
{
	(void)msg;
	if (!p->m[i].online) {
		p->m[i].online = true;
		p->n_online++;
	}
}

static void
on_notice(struct pool *p, size_t i, const struct msg *msg)
{
	(void)i;
	if (msg->code != NOTICE_REJECTED)
		return;
	p->rejected++;
	if (!p->told_rejected)
		fprintf(stderr, "ocm-bench: ocmd rejected a chat: %.*s\n", (int)msg->text_len,
		    (const char *)msg->text);
	p->told_rejected = true;
}

static void
on_closed(struct pool *p, size_t i, const struct msg *msg)
{
	(void)msg;
	if (!p->m[i].closed) {
		p->m[i].closed = true;
		p->closed++;
	}
}

static void (*const handlers[256])(struct pool *, size_t, const struct msg *) = {
	[MSG_S_CHAT] = on_chat,
	[MSG_S_PONG] = on_pong,
	[MSG_S_NOTICE] = on_notice,
	[MSG_S_CLOSED] = on_closed,
};

static void
pool_record(struct pool *p, size_t i, const uint8_t *pt, size_t len)
{
	struct msg msg;

	if (msg_parse(pt, len, &msg) < 0) {
		p->drops++;
		return;
	}
	if (handlers[msg.type] != NULL)
		handlers[msg.type](p, i, &msg);
}

static void
pool_plaintext(struct pool *p, size_t i, const uint8_t *pt, size_t len)
{
	struct msg msg;
	struct msg_iter it;
	const uint8_t *rec;
	size_t rec_len;

	if (len == 0 || pt[0] != MSG_S_BATCH) {
		pool_record(p, i, pt, len);
		return;
	}
	if (msg_parse(pt, len, &msg) < 0) {
		p->drops++;
		return;
	}
	msg_iter_init(&it, &msg);
	while (msg_batch_next(&it, &rec, &rec_len) == 1)
		pool_record(p, i, rec, rec_len);
}

/*
 * The lean walk of relay --lean: a CHAT record is bounds-checked where it
 * lies and its text handed over, without msg_parse() of the BATCH and
 * then of each record again.  Anything else (PONG, NOTICE, CLOSED, a
 * malformed record) takes the usual path, which parses and counts drops.
 * A BATCH cut short yields the records before the cut.
 */
static void
pool_lean_record(struct pool *p, size_t i, const uint8_t *rec, size_t len)
{
	size_t name_len = len >= 2 ? rec[1] : 0;

	if (len < 3 || rec[0] != MSG_S_CHAT || name_len == 0 || len - 2 <= name_len) {
		pool_record(p, i, rec, len);
		return;
	}
	p->on_chat(p->chat_arg, i, rec + 2 + name_len, len - 2 - name_len, p->now);
}

static void
pool_lean_plaintext(struct pool *p, size_t i, const uint8_t *pt, size_t len)
{
	size_t off = 1;

	if (len == 0 || pt[0] != MSG_S_BATCH) {
		pool_lean_record(p, i, pt, len);
		return;
	}
	while (off < len) {
		size_t n = len - off >= 2 ? (size_t)pt[off] << 8 | pt[off + 1] : 0;
		if (n == 0 || len - off - 2 < n) {
			p->drops++;
			return;
		}
		pool_lean_record(p, i, pt + off + 2, n);
		off += 2 + n;
	}
}

static void
pool_datagram(void *arg, uint8_t *buf, size_t len, uint64_t now)
{
	struct pool *p = arg;
	struct dgram_header h;
	struct member_sess *m;
	uint8_t *pt;
	size_t pt_len;

	p->now = now;
	if (dgram_parse_header(buf, len, &h) < 0 || (m = pool_find(p, h.token)) == NULL ||
	    !replay_check(&m->u.replay, h.counter) ||
	    dgram_open(m->u.rx, &h, buf, len, &pt, &pt_len) < 0) {
		p->drops++;
		return;
	}
	replay_update(&m->u.replay, h.counter);
	if (p->lean)
		pool_lean_plaintext(p, (size_t)(m - p->m), pt, pt_len);
	else
		pool_plaintext(p, (size_t)(m - p->m), pt, pt_len);
}

/* Public side. */

struct pool *
pool_new(const struct bench_opts *o, size_t n, size_t per_room, unsigned threads, char tag)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->o = o;
	server_opts_init(&p->so, o, o->port);
	run_id(p->run, sizeof(p->run), tag);
	p->n = n;
	p->per_room = per_room;
	p->n_rooms = (n + per_room - 1) / per_room;
	p->n_workers = threads < p->n_rooms ? threads : (unsigned)p->n_rooms;
	p->max_text = SIZE_MAX;
	p->ss.ep = -1;
	pthread_mutex_init(&p->lock, NULL);
	size_t hs = 1024;
	while (hs < 2 * n)
		hs *= 2;
	p->hash_mask = hs - 1;
	p->hash = calloc(hs, sizeof(*p->hash));
	p->m = calloc(n, sizeof(*p->m));
	p->registered = calloc(n, sizeof(*p->registered));
	p->w = calloc(p->n_workers, sizeof(*p->w));
	if (p->hash == NULL || p->m == NULL || p->registered == NULL || p->w == NULL) {
		pool_free(p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		p->m[i].u.fd = -1;
	/* Each worker holds a TCP and a UDP descriptor while it joins. */
	p->n_socks = sockets_for(o, n, 64 + 2 * (size_t)p->n_workers);
	return p;
}

static int
pool_start_workers(struct pool *p)
{
	for (unsigned t = 0; t < p->n_workers; t++) {
		struct worker *w = &p->w[t];
		w->p = p;
		w->index = t;
		w->room = t;
		atomic_init(&w->done, 0);
		int rc = pthread_create(&w->thread, NULL, pool_worker, w);
		if (rc != 0) {
			pool_fail(p, "cannot start a join thread: %s", strerror(rc));
			return -1;
		}
		w->started = true;
	}
	return 0;
}

static void
pool_stop_workers(struct pool *p)
{
	for (unsigned t = 0; t < p->n_workers; t++) {
		if (p->w[t].started)
			pthread_join(p->w[t].thread, NULL);
		p->w[t].started = false;
	}
}

/* One step of setup: take new members, read, re-PING; 0 while progressing. */
static int
pool_setup_step(struct pool *p, uint64_t *last, size_t *seen)
{
	if (atomic_load(&p->failed) || pool_take_joined(p) < 0)
		return -1;
	if (p->ss_open) {
		pool_poll(p, NS_PER_MS);
		pool_keepalive(p, now_ns());
	} else {
		usleep(1000);
	}
	uint64_t now = now_ns();
	if (p->n_registered + p->n_online != *seen) {
		*seen = p->n_registered + p->n_online;
		*last = now;
	} else if (now - *last > POOL_STALL_NS) {
		pool_fail(p, "setup stalled: %zu of %zu members joined, %zu online", p->n_registered,
		    p->n, p->n_online);
		return -1;
	}
	if (p->closed > 0) {
		pool_fail(p, "ocmd closed %llu sessions while the others were joining",
		    (unsigned long long)p->closed);
		return -1;
	}
	return 0;
}

int
pool_setup(struct pool *p)
{
	uint64_t last = now_ns();
	size_t seen = 0;
	int rc = pool_start_workers(p);

	while (rc == 0 && p->n_online < p->n)
		rc = pool_setup_step(p, &last, &seen);
	if (rc < 0)
		atomic_store(&p->failed, true);
	pool_stop_workers(p);
	if (rc < 0) {
		fprintf(stderr, "ocm-bench: %s\n", p->err);
		return -1;
	}
	/* The JOINED notices of the last members are still on their way. */
	for (uint64_t end = now_ns() + POOL_SETTLE_NS; now_ns() < end;)
		pool_poll(p, NS_PER_MS);
	return 0;
}

void
pool_set_chat(struct pool *p, pool_chat_fn *fn, void *arg)
{
	p->on_chat = fn;
	p->chat_arg = arg;
}

void
pool_set_lean(struct pool *p, bool lean)
{
	p->lean = lean && p->on_chat != NULL;
}

struct member_sess *
pool_member(struct pool *p, size_t i)
{
	return &p->m[i];
}

int
pool_queue_chat(struct pool *p, size_t i, const uint8_t *text, size_t len)
{
	struct member_sess *m = &p->m[i];
	struct udp_session *u = &m->u;
	struct tx_slot *s = sockset_slot(&p->ss, u->fd);
	size_t hdr = 2 + (size_t)u->room_len + OCM_TOKEN_LEN + OCM_COUNTER_LEN;

	/* The plaintext is encoded where dgram_seal() encrypts it in place. */
	long n = msg_encode_c_chat(text, len, s->buf + hdr, sizeof(s->buf) - hdr);
	if (n < 0)
		return -1;
	long d = dgram_seal(u->tx, (const uint8_t *)u->room, u->room_len, u->token,
	    u->tx_counter, s->buf + hdr, (size_t)n, s->buf, sizeof(s->buf));
	if (d < 0)
		return -1;
	u->tx_counter++;
	m->last_tx_ns = p->now;
	sockset_commit(&p->ss, (size_t)d);
	return 0;
}

void
pool_flush(struct pool *p)
{
	if (p->ss_open)
		sockset_flush(&p->ss);
}

int
pool_poll(struct pool *p, uint64_t timeout_ns)
{
	int n = p->ss_open ? sockset_poll(&p->ss, timeout_ns) : 0;

	p->now = now_ns();
	return n;
}

void
pool_keepalive(struct pool *p, uint64_t now)
{
	if (now - p->last_tick < POOL_TICK_NS)
		return;
	p->last_tick = now;
	p->now = now;
	for (size_t i = 0; i < p->n; i++) {
		struct member_sess *m = &p->m[i];
		if (!p->registered[i] || m->closed)
			continue;
		if (now - m->last_tx_ns >= (m->online ? p->keepalive_ns : POOL_RETRY_NS))
			pool_send_empty(p, m, MSG_C_PING);
	}
}

/* Guests first, then hosts: a host's LEAVE closes its room for all. */
void
pool_leave(struct pool *p)
{
	size_t sent = 0;

	p->now = now_ns();
	for (int hosts = 0; hosts < 2; hosts++) {
		for (size_t i = 0; i < p->n; i++) {
			if (!p->registered[i] || p->m[i].closed || (i % p->per_room == 0) != hosts)
				continue;
			pool_send_empty(p, &p->m[i], MSG_C_LEAVE);
			/* Pace the LEAVEs so that ocmd's socket buffer keeps up. */
			if (++sent % POOL_LEAVE_BURST == 0)
				pool_poll(p, NS_PER_MS);
		}
	}
	for (uint64_t end = now_ns() + POOL_LEAVE_NS; now_ns() < end && p->closed < p->n_registered;)
		pool_poll(p, NS_PER_MS);
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->m != NULL && i < p->n; i++) {
		p->m[i].u.fd = -1;	/* the pool's, closed below */
		udp_session_close(&p->m[i].u);
	}
	if (p->ss_open)
		sockset_close(&p->ss);
	pthread_mutex_destroy(&p->lock);
	free(p->hash);
	free(p->m);
	free(p->registered);
	free(p->w);
	free(p);
}

size_t
pool_size(const struct pool *p)
{
	return p->n;
}

size_t
pool_sockets(const struct pool *p)
{
	return p->n_socks;
}

size_t
pool_rooms(const struct pool *p)
{
	return p->n_rooms;
}

size_t
pool_max_text(const struct pool *p)
{
	return p->max_text;
}

uint64_t
pool_rejected(const struct pool *p)
{
	return p->rejected;
}

uint64_t
pool_closed(const struct pool *p)
{
	return p->closed;
}

uint64_t
pool_datagrams(const struct pool *p)
{
	return p->ss.datagrams_in;
}
