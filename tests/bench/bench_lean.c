/*
 * bench_lean.c: relay --lean, a load loop that does as little per message
 * as the protocol allows, so that ocmd rather than ocm-bench sets the
 * pace.  The normal loop (bench_relay.c) seals every message as it sends
 * it and parses three numbers out of every copy; on loopback that makes
 * it, not ocmd, the bottleneck of most configurations.  What is left here
 * is mostly the kernel's: one datagram sent per message, which on loopback
 * includes its delivery into ocmd's socket, and the copies read.
 *
 * Sending.  Every sender has a ring of datagrams sealed ahead with its
 * member's next counters, so that sending a message is queueing a pointer
 * for sendmmsg.  The rings are sealed before the run: at a fixed rate for
 * the whole run; in the closed loop for the warm-up, and at the end of the
 * warm-up (after a drain, before a short settling that precedes the
 * measurement) topped up for the measured interval at twice the warm-up's
 * pace (the warm-up seals as it goes, and is slower for it).  A ring that
 * runs dry all the same is refilled in place, LEAN_REFILL datagrams at
 * once, and a note on stderr says how many datagrams were sealed inside
 * the measured interval.  The counter rule holds: a ring takes counters
 * from the member's tx_counter as it is sealed; a keepalive PING moves
 * that counter past the ring, which is then thrown away unsent, since
 * what it holds would go out of order.
 *
 * Receiving.  Every datagram is still opened, since the records of a
 * BATCH are inside; each CHAT record is then counted by its length and
 * one marker byte (the pool's lean walk, without msg_parse()).  Only one
 * message in k, whose marker says so, is parsed: it is a sample, whose
 * send time and copies still to come sit in a table, and gives the
 * latency, the misrouting check and loss per message.  Loss in total is copies
 * expected, messages x (members - 1), against copies received after the
 * final drain.
 *
 * Message g (0, 1, 2, ... in send order) is the (g / senders)th of the
 * sender at rank g % senders of the rotation (the rooms take turns, as in
 * bench_relay.c), so that a ring can be sealed with the g its datagrams
 * will have.  The closed loop's window counts copies still expected, in
 * messages' worth; copies still missing overall for messages older than
 * --loss-timeout are written off, so that a loss cannot shrink the window
 * for good.
 */
#include "tests/bench/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/datagram.h"

#define LEAN_SEQ		16	/* text: sender at 0, g at 16 (hex), marker at 32 */
#define LEAN_MARK		32
#define LEAN_HEAD		33
#define LEAN_SAMPLE		's'
#define LEAN_PLAIN		'.'
#define LEAN_REFILL		256	/* datagrams sealed at once when a ring runs dry */
#define LEAN_RING_BYTES		(512ULL << 20)	/* all rings together, at most */
#define LEAN_RING_MIN		4
#define LEAN_PACE_MARGIN	2.0	/* top-up: the warm-up's pace times this */
#define LEAN_SETTLE_NS		(100 * NS_PER_MS)
#define LEAN_FILL_BURST		1024	/* sends per pass before reading again */
#define LEAN_TX_BATCH		256
#define LEAN_CKPTS		64	/* sent counts, one every loss timeout / 16 */

/* One message in k is a sample: k prime to the number of senders, so that
 * the samples visit every sender. */
static const unsigned sample_primes[] = { 13, 17, 19, 23, 29, 31, 37, 41, 43, 47 };

struct ring {
	uint8_t *buf;		/* cap datagrams of len bytes; [head, tail) sealed */
	size_t len;
	uint32_t head, tail, cap;
	uint64_t next_g;	/* the message the next one sealed will be */
	uint64_t counter_end;	/* the member's tx_counter after the last one sealed */
};

struct sample {
	uint64_t g;
	uint64_t sent_ns;
	uint32_t left;		/* copies still to come */
	bool expired;		/* left copies were declared lost */
};

struct ckpt {
	uint64_t t, sent;
};

enum lean_phase { PH_WARMUP, PH_DRAIN, PH_SETTLE, PH_MEASURE, PH_END, PH_COUNT };

struct lean_run {
	const struct bench_opts *o;
	struct pool *pool;
	size_t per_room, rooms, n_senders, window;
	uint32_t cpm;			/* copies per message: members - 1 */
	struct ring *ring;		/* by rank in the rotation */
	uint32_t ring_max;		/* datagrams a ring may hold */
	uint64_t k;
	struct sample *smp;
	uint64_t smask, s_tail;
	uint64_t next_seq, due, copies, written_off;
	enum lean_phase phase;
	bool failed;
	double pace;			/* messages a second in the warm-up */
	uint64_t t_start, t_measure, t_end, t_stop, t_drain, timeout_ns;
	uint64_t late, corrupt, misrouted, lost_samples, throttled, send_errors;
	uint64_t sealed_measured;
	uint64_t idle_ns;		/* in polls that found nothing */
	int64_t others0, others1;	/* other processes' CPU, start and end */
	struct sock_drops drops;
	struct stalls stalls;
	struct ckpt ck[LEAN_CKPTS];
	size_t ck_head, ck_n;
	uint64_t ck_every;
	struct snap s0, s1;
	struct hist lat;
	size_t n_tx;
	int tx_fd[LEAN_TX_BATCH];
	struct iovec tx_iov[LEAN_TX_BATCH];
	struct mmsghdr tx_msgs[LEAN_TX_BATCH];
	uint8_t text[OCM_MAX_DATAGRAM];
};

/* The rotation. */

static size_t
rank_sender(const struct lean_run *r, size_t k)
{
	return (k % r->rooms) * r->per_room + k / r->rooms;
}

static uint64_t
lean_outstanding(const struct lean_run *r)
{
	uint64_t expected = r->next_seq * r->cpm, done = r->copies + r->written_off;

	return expected > done ? expected - done : 0;
}

/* Rings.  Nothing queued for sendmmsg may point into a ring that is
 * being filled: its buffer moves. */

static void
lean_text(struct lean_run *r, size_t sender, uint64_t g)
{
	hex16_put(r->text, sender);
	hex16_put(r->text + LEAN_SEQ, g);
	r->text[LEAN_MARK] = g % r->k == 0 ? LEAN_SAMPLE : LEAN_PLAIN;
}

static int
ring_seal(struct lean_run *r, struct ring *g, size_t sender)
{
	struct udp_session *u = &pool_member(r->pool, sender)->u;
	uint8_t *out = g->buf + (size_t)g->tail * g->len;
	size_t hdr = 2 + (size_t)u->room_len + OCM_TOKEN_LEN + OCM_COUNTER_LEN;

	lean_text(r, sender, g->next_g);
	/* Encoded where dgram_seal() encrypts it in place. */
	long n = msg_encode_c_chat(r->text, r->o->size, out + hdr, g->len - hdr);
	long d = n < 0 ? n : dgram_seal(u->tx, (const uint8_t *)u->room, u->room_len, u->token,
	    u->tx_counter, out + hdr, (size_t)n, out, g->len);
	if (d != (long)g->len) {
		fprintf(stderr, "ocm-bench: cannot seal a datagram for member %zu (%ld)\n",
		    sender, d);
		return -1;
	}
	u->tx_counter++;
	g->counter_end = u->tx_counter;
	g->next_g += r->n_senders;
	g->tail++;
	if (r->phase == PH_MEASURE)
		r->sealed_measured++;
	return 0;
}

/* Moves what is left to the front and makes room for want datagrams. */
static int
ring_make_room(struct ring *g, uint32_t want)
{
	if (g->head > 0) {
		memmove(g->buf, g->buf + (size_t)g->head * g->len,
		    (size_t)(g->tail - g->head) * g->len);
		g->tail -= g->head;
		g->head = 0;
	}
	if (want <= g->cap)
		return 0;
	uint8_t *buf = realloc(g->buf, (size_t)want * g->len);
	if (buf == NULL) {
		fprintf(stderr, "ocm-bench: no memory for %u datagrams a sender\n", want);
		return -1;
	}
	g->buf = buf;
	g->cap = want;
	return 0;
}

/* Seals until ring k holds want datagrams (the ring's capacity grows to
 * that); a ring that a PING went past is emptied first. */
static int
ring_fill(struct lean_run *r, size_t k, uint32_t want)
{
	struct ring *g = &r->ring[k];
	size_t sender = rank_sender(r, k);
	const struct member_sess *m = pool_member(r->pool, sender);

	if (m->u.tx_counter != g->counter_end) {
		g->next_g -= (uint64_t)(g->tail - g->head) * r->n_senders;
		g->head = g->tail = 0;
		g->counter_end = m->u.tx_counter;
	}
	if (ring_make_room(g, want) < 0)
		return -1;
	while (g->tail < want)
		if (ring_seal(r, g, sender) < 0)
			return -1;
	return 0;
}

static int
rings_fill(struct lean_run *r, uint64_t per_ring)
{
	uint32_t want = per_ring < r->ring_max ? (uint32_t)per_ring : r->ring_max;

	if (per_ring > r->ring_max)
		fprintf(stderr, "ocm-bench: note: %zu senders' rings are capped at %u datagrams "
		    "each (%llu MiB in all): they will be refilled during the run\n", r->n_senders,
		    r->ring_max, LEAN_RING_BYTES >> 20);
	for (size_t k = 0; k < r->n_senders; k++)
		if (ring_fill(r, k, want > LEAN_RING_MIN ? want : LEAN_RING_MIN) < 0)
			return -1;
	return 0;
}

/* Sending. */

static void
lean_send_run(struct lean_run *r, size_t i, size_t j)
{
	while (i < j) {
		int n = sendmmsg(r->tx_fd[i], &r->tx_msgs[i], (unsigned)(j - i), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A message that cannot leave is lost like any other. */
			r->send_errors++;
			i++;
			continue;
		}
		i += (size_t)n;
	}
}

/* One sendmmsg per run of datagrams for the same socket. */
static void
lean_flush(struct lean_run *r)
{
	size_t i = 0;

	while (i < r->n_tx) {
		size_t j = i + 1;
		while (j < r->n_tx && r->tx_fd[j] == r->tx_fd[i])
			j++;
		lean_send_run(r, i, j);
		i = j;
	}
	r->n_tx = 0;
}

static void
lean_queue(struct lean_run *r, int fd, uint8_t *buf, size_t len)
{
	if (r->n_tx == LEAN_TX_BATCH)
		lean_flush(r);
	r->tx_fd[r->n_tx] = fd;
	r->tx_iov[r->n_tx].iov_base = buf;
	r->tx_iov[r->n_tx].iov_len = len;
	r->n_tx++;
}

static int
lean_send_one(struct lean_run *r, uint64_t now)
{
	size_t k = (size_t)(r->next_seq % r->n_senders);
	struct ring *g = &r->ring[k];
	struct member_sess *m = pool_member(r->pool, rank_sender(r, k));

	if (g->head == g->tail || m->u.tx_counter != g->counter_end) {
		lean_flush(r);
		if (ring_fill(r, k, g->cap < LEAN_REFILL ? g->cap : LEAN_REFILL) < 0)
			return -1;
	}
	if (r->next_seq % r->k == 0) {
		struct sample *f = &r->smp[(r->next_seq / r->k) & r->smask];
		*f = (struct sample){ .g = r->next_seq, .sent_ns = now, .left = r->cpm };
	}
	lean_queue(r, m->u.fd, g->buf + (size_t)g->head * g->len, g->len);
	g->head++;
	m->last_tx_ns = now;
	r->next_seq++;
	return 0;
}

/* Room for one more: the window, in copies, and the sample slot the next
 * message would take (still held by a sample that has not timed out). */
static bool
lean_window_open(const struct lean_run *r)
{
	return lean_outstanding(r) + r->cpm <= (uint64_t)r->window * r->cpm;
}

static bool
lean_can_send(const struct lean_run *r)
{
	return lean_window_open(r) &&
	    (r->next_seq % r->k != 0 || r->next_seq / r->k - r->s_tail <= r->smask);
}

static int
lean_fill(struct lean_run *r, uint64_t now)
{
	int burst = 0;

	if (r->o->rate <= 0) {
		while (lean_can_send(r) && burst++ < LEAN_FILL_BURST)
			if (lean_send_one(r, now) < 0)
				return -1;
		if (!lean_can_send(r) && lean_window_open(r))
			r->throttled++;
		return 0;
	}
	uint64_t target = (uint64_t)((double)(now - r->t_start) * r->o->rate / (double)NS_PER_S);
	while (r->due < target && burst++ < LEAN_FILL_BURST) {
		r->due++;
		if (!lean_can_send(r))
			r->throttled++;
		else if (lean_send_one(r, now) < 0)
			return -1;
	}
	return 0;
}

/* Receiving. */

enum copy_kind { COPY_COUNTED, COPY_DUPLICATE, COPY_CORRUPT };

/* A sample's copy: corrupt if its numbers do not make sense, a duplicate
 * if its sample already has all its copies. */
static enum copy_kind
lean_sample_copy(struct lean_run *r, size_t to, const uint8_t *text, uint64_t now)
{
	uint64_t sender, g;

	if (!hex16_get(text, &sender) || !hex16_get(text + LEAN_SEQ, &g) || g >= r->next_seq ||
	    g % r->k != 0 || sender != rank_sender(r, (size_t)(g % r->n_senders)))
		return COPY_CORRUPT;
	/* ocmd must never relay a chat back to its sender or across rooms. */
	if (to == sender || to / r->per_room != sender / r->per_room)
		r->misrouted++;
	struct sample *f = &r->smp[(g / r->k) & r->smask];
	if (f->g != g || f->left == 0) {
		/* After its sample timed out (its slot may have been taken
		 * since): late, but here, so counted in the total. */
		r->late++;
		return f->g == g && !f->expired ? COPY_DUPLICATE : COPY_COUNTED;
	}
	if (r->phase == PH_MEASURE)
		hist_add(&r->lat, now - f->sent_ns);
	f->left--;
	return COPY_COUNTED;
}

static void
lean_on_text(void *arg, size_t to, const uint8_t *text, size_t len, uint64_t now)
{
	struct lean_run *r = arg;
	enum copy_kind kind = COPY_COUNTED;

	if (len != r->o->size || (text[LEAN_MARK] != LEAN_PLAIN && text[LEAN_MARK] != LEAN_SAMPLE))
		kind = COPY_CORRUPT;
	else if (text[LEAN_MARK] == LEAN_SAMPLE)
		kind = lean_sample_copy(r, to, text, now);
	if (kind == COPY_COUNTED)
		r->copies++;
	else if (kind == COPY_CORRUPT)
		r->corrupt++;
}

/* Loss.  Oldest first: samples complete, or time out, in about send
 * order. */

static void
lean_checkpoint(struct lean_run *r, uint64_t now)
{
	size_t last = (r->ck_head + r->ck_n + LEAN_CKPTS - 1) % LEAN_CKPTS;

	if (r->ck_n > 0 && now - r->ck[last].t < r->ck_every)
		return;
	if (r->ck_n == LEAN_CKPTS) {
		r->ck_head = (r->ck_head + 1) % LEAN_CKPTS;
		r->ck_n--;
	}
	r->ck[(r->ck_head + r->ck_n) % LEAN_CKPTS] = (struct ckpt){ .t = now, .sent = r->next_seq };
	r->ck_n++;
}

/* Every copy of a message sent a loss timeout ago is here or lost: what
 * the total is short of them comes off the window. */
static void
lean_write_off(struct lean_run *r, uint64_t now)
{
	uint64_t sent = 0;
	bool any = false;

	while (r->ck_n > 0 && now - r->ck[r->ck_head].t >= r->timeout_ns) {
		sent = r->ck[r->ck_head].sent;
		any = true;
		r->ck_head = (r->ck_head + 1) % LEAN_CKPTS;
		r->ck_n--;
	}
	if (any && r->copies + r->written_off < sent * r->cpm)
		r->written_off = sent * r->cpm - r->copies;
}

static void
lean_sweep(struct lean_run *r, uint64_t now)
{
	uint64_t sent = (r->next_seq + r->k - 1) / r->k;

	while (r->s_tail < sent) {
		struct sample *f = &r->smp[r->s_tail & r->smask];
		if (f->left != 0) {
			if (now - f->sent_ns < r->timeout_ns)
				break;
			r->lost_samples++;
			f->expired = true;
			f->left = 0;
		}
		r->s_tail++;
	}
	lean_checkpoint(r, now);
	lean_write_off(r, now);
}

/* Phases: warm-up, then (closed loop) drain, top-up and settling, then
 * the measurement, then the final drain. */

static void
lean_snap(struct lean_run *r, struct snap *s, uint64_t now)
{
	s->t = now;
	s->copies = r->copies;
	s->sent = r->next_seq;
	s->datagrams = pool_datagrams(r->pool);
	s->bench_cpu = thread_cpu_ns();
	s->idle = r->idle_ns;
	s->server_cpu = r->o->pid > 0 ? proc_cpu_ns(r->o->pid) : -1;
}

static void
lean_measure_from(struct lean_run *r, uint64_t now)
{
	lean_snap(r, &r->s0, now);
	r->phase = PH_MEASURE;
}

static void
step_warmup(struct lean_run *r, uint64_t now)
{
	if (now < r->t_measure)
		return;
	if (r->o->rate > 0 || r->o->warmup_s <= 0) {
		lean_measure_from(r, now);
		return;
	}
	r->pace = (double)r->next_seq * (double)NS_PER_S / (double)(now - r->t_start);
	r->t_drain = now;
	r->phase = PH_DRAIN;
}

/* Nothing in flight (or the loss timeout is up): seal for the measured
 * interval, then let the loop settle again before measuring. */
static void
step_drain(struct lean_run *r, uint64_t now)
{
	if (lean_outstanding(r) > 0 && now - r->t_drain < r->timeout_ns)
		return;
	double msgs = r->pace * LEAN_PACE_MARGIN *
	    (r->o->duration_s + (double)LEAN_SETTLE_NS / (double)NS_PER_S) + (double)r->window;
	lean_flush(r);
	if (rings_fill(r, (uint64_t)(msgs / (double)r->n_senders) + 2) < 0) {
		r->failed = true;
		return;
	}
	r->t_measure = now_ns() + LEAN_SETTLE_NS;
	r->t_end = r->t_measure + (uint64_t)(r->o->duration_s * (double)NS_PER_S);
	r->t_stop = r->t_end + r->timeout_ns + 100 * NS_PER_MS;
	r->phase = PH_SETTLE;
}

static void
step_settle(struct lean_run *r, uint64_t now)
{
	if (now >= r->t_measure)
		lean_measure_from(r, now);
}

/* Other processes' CPU is read outside the measured interval: reading it
 * is a walk through /proc. */
static void
step_measure(struct lean_run *r, uint64_t now)
{
	if (now < r->t_end)
		return;
	lean_snap(r, &r->s1, now);
	r->others1 = proc_others_cpu_ns(r->o->pid);
	r->phase = PH_END;
}

static void
step_end(struct lean_run *r, uint64_t now)
{
	(void)r;
	(void)now;
}

static void (*const phase_step[PH_COUNT])(struct lean_run *, uint64_t) = {
	[PH_WARMUP] = step_warmup,
	[PH_DRAIN] = step_drain,
	[PH_SETTLE] = step_settle,
	[PH_MEASURE] = step_measure,
	[PH_END] = step_end,
};

static const bool phase_sends[PH_COUNT] = {
	[PH_WARMUP] = true, [PH_SETTLE] = true, [PH_MEASURE] = true,
};

/* The loop never sleeps (unless --sleep), as bench_relay.c explains;
 * polls that found nothing are its idle time. */
static void
lean_poll(struct lean_run *r)
{
	uint64_t t = now_ns();

	if (pool_poll(r->pool, relay_wait_ns(r->o)) == 0)
		r->idle_ns += now_ns() - t;
}

static int
lean_loop(struct lean_run *r)
{
	r->others0 = proc_others_cpu_ns(r->o->pid);
	sock_drops_read(&r->drops, r->o->pid, false);
	r->t_start = now_ns();
	r->t_measure = r->t_start + (uint64_t)(r->o->warmup_s * (double)NS_PER_S);
	r->t_end = r->t_measure + (uint64_t)(r->o->duration_s * (double)NS_PER_S);
	r->t_stop = r->t_end + r->timeout_ns + 100 * NS_PER_MS;
	for (;;) {
		uint64_t now = now_ns();
		stalls_tick(&r->stalls, now, r->phase == PH_MEASURE);
		enum lean_phase was = r->phase;
		phase_step[r->phase](r, now);
		if (r->failed)
			return -1;
		/* A new phase starts with a fresh clock: the top-up takes a
		 * while, and what is sent after it must not be stamped
		 * with the time before. */
		if (r->phase != was) {
			r->stalls.prev_ns = 0;	/* the top-up is no stall */
			continue;
		}
		if (r->phase == PH_END && (lean_outstanding(r) == 0 || now >= r->t_stop))
			break;
		lean_sweep(r, now);
		if (phase_sends[r->phase] && lean_fill(r, now) < 0)
			return -1;
		lean_flush(r);
		lean_poll(r);
		pool_keepalive(r->pool, now);
	}
	lean_sweep(r, UINT64_MAX);
	sock_drops_read(&r->drops, r->o->pid, true);
	return 0;
}

/* Setup and results. */

static uint64_t
sample_every(size_t n_senders)
{
	for (size_t i = 0; i < sizeof(sample_primes) / sizeof(sample_primes[0]); i++)
		if (n_senders % sample_primes[i] != 0)
			return sample_primes[i];
	return sample_primes[0];
}

static int
lean_init(struct lean_run *r, const struct bench_opts *o)
{
	r->o = o;
	r->per_room = o->members;
	r->rooms = o->rooms;
	r->n_senders = (size_t)o->rooms * o->senders;
	r->cpm = o->members - 1;
	r->timeout_ns = (uint64_t)(o->loss_timeout_s * (double)NS_PER_S);
	r->ck_every = r->timeout_ns / 16 + 1;
	/* As in bench_relay.c: at a fixed rate the window holds what can be
	 * in flight until the loss timeout. */
	r->window = o->window;
	if (o->rate > 0 && r->window == 0)
		r->window = (size_t)(o->rate * (o->loss_timeout_s + 1.0)) + 1024;
	else if (r->window == 0)
		r->window = 1024;
	r->k = sample_every(r->n_senders);
	uint64_t size = 1024;
	while (size < 4 * (uint64_t)r->window / r->k + 64)
		size *= 2;
	r->smask = size - 1;
	r->smp = calloc(size, sizeof(*r->smp));
	r->ring = calloc(r->n_senders, sizeof(*r->ring));
	for (size_t i = LEAN_HEAD; i < o->size; i++)
		r->text[i] = (uint8_t)('g' + (i % 20));
	for (size_t i = 0; i < LEAN_TX_BATCH; i++) {
		r->tx_msgs[i].msg_hdr.msg_iov = &r->tx_iov[i];
		r->tx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return r->smp == NULL || r->ring == NULL ? -1 : 0;
}

/* Rings sized for the warm-up (closed loop) or the whole run (fixed
 * rate), within LEAN_RING_BYTES. */
static int
lean_open(struct lean_run *r)
{
	const struct bench_opts *o = r->o;
	size_t max_len = 0;
	uint64_t per_ring = LEAN_REFILL;

	if (o->size > pool_max_text(r->pool)) {
		fprintf(stderr, "ocm-bench: --size %zu is more than the %zu bytes a chat may "
		    "carry here\n", o->size, pool_max_text(r->pool));
		return -1;
	}
	pool_set_chat(r->pool, lean_on_text, r);
	pool_set_lean(r->pool, true);
	for (size_t k = 0; k < r->n_senders; k++) {
		struct ring *g = &r->ring[k];
		g->len = DGRAM_OVERHEAD(pool_member(r->pool, rank_sender(r, k))->u.room_len) + 1 +
		    o->size;
		g->next_g = k;
		if (g->len > max_len)
			max_len = g->len;
	}
	uint64_t max = LEAN_RING_BYTES / ((uint64_t)r->n_senders * max_len);
	r->ring_max = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
	if (o->rate > 0)
		per_ring = (uint64_t)(o->rate * (o->warmup_s + o->duration_s) /
		    (double)r->n_senders) + 2;
	return rings_fill(r, per_ring);
}

static void
lean_results(struct lean_run *r, struct report *rep, size_t c)
{
	uint64_t expected = r->next_seq * r->cpm;
	uint64_t lost = expected > r->copies ? expected - r->copies : 0;
	uint64_t extra = r->copies > expected ? r->copies - expected : 0;
	/* At least this many messages missed copies: all of them, when the
	 * lost copies belong to as few messages as can be. */
	uint64_t lost_msgs = (lost + r->cpm - 1) / r->cpm;

	relay_report_interval(rep, c, &r->s0, &r->s1, r->t_start, r->others0, r->others1);
	relay_report_latency(rep, c, &r->lat);
	report_set(rep, c, "msgs_sent", (double)r->next_seq);
	report_set(rep, c, "copies_delivered", (double)r->copies);
	relay_report_loss(rep, c, expected, r->lost_samples > lost_msgs ? r->lost_samples :
	    lost_msgs, lost, pool_rejected(r->pool), r->cpm, &r->drops);
	report_set(rep, c, "late_copies", (double)(r->late + extra));
	report_set(rep, c, "misrouted", (double)r->misrouted);
	report_set(rep, c, "corrupt", (double)r->corrupt);
	report_set(rep, c, "throttled", (double)r->throttled);
	report_set(rep, c, "sockets", (double)pool_sockets(r->pool));
	relay_report_stalls(rep, c, &r->stalls);
}

static void
lean_notes(const struct lean_run *r)
{
	if (r->sealed_measured > 0)
		fprintf(stderr, "ocm-bench: note: %llu datagrams were sealed inside the measured "
		    "interval (rings ran dry, or keepalive PINGs went past them), which the load "
		    "generator's CPU includes\n", (unsigned long long)r->sealed_measured);
	if (r->send_errors > 0)
		fprintf(stderr, "ocm-bench: note: %llu sendmmsg calls failed\n",
		    (unsigned long long)r->send_errors);
}

static void
lean_free(struct lean_run *r)
{
	if (r == NULL)
		return;
	for (size_t k = 0; r->ring != NULL && k < r->n_senders; k++)
		free(r->ring[k].buf);
	free(r->ring);
	free(r->smp);
	free(r);
}

int
lean_target(const struct bench_opts *o, struct report *rep)
{
	struct lean_run *r = calloc(1, sizeof(*r));
	unsigned threads = o->concurrency ? o->concurrency : 32;
	int rc = -1;

	if (r == NULL || lean_init(r, o) < 0)
		goto out;
	r->pool = pool_new(o, (size_t)o->rooms * o->members, o->members, threads, 'r');
	if (r->pool != NULL && pool_setup(r->pool) == 0 && lean_open(r) == 0 &&
	    lean_loop(r) == 0) {
		lean_results(r, rep, report_col(rep, "ocmd", "ocmd"));
		lean_notes(r);
		rc = 0;
	}
	if (r->pool != NULL)
		pool_leave(r->pool);
	pool_free(r->pool);
out:
	lean_free(r);
	return rc;
}
