/*
 * bench_relay.c: relay mode.  Every sender of every room chats through
 * ocmd (then, with --baseline, through the plain UDP relay) and every
 * copy is counted where it arrives.  The text of each message starts with
 * its sender, its sequence number and its send time (16 hex digits each),
 * padded with letters to --size bytes, so that each copy yields a latency
 * sample without any state beyond the in-flight table.
 *
 * One thread does it all, so that "taskset -c 1" pins the load generator:
 * fill the window (closed loop) or the schedule (--rate), seal and send,
 * wait on epoll, open what arrived, count it, sweep out what timed out.
 * A message is in flight until all (members - 1) copies have arrived, or
 * it is declared lost after --loss-timeout.
 *
 * With --lean, bench_lean.c drives ocmd instead, with a cheaper loop;
 * both report through the field table here.
 */
#include "tests/bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEXT_HEAD	48	/* sender, sequence, timestamp: 16 hex digits each */
#define FILL_BURST	1024	/* sends per pass before reading again */
#define NO_MEMBER	SIZE_MAX

struct flight {
	uint64_t seq;
	uint64_t sent_ns;
	uint32_t left;		/* copies still to come; 0: done */
};

struct relay_run;

/* ocmd or the baseline, behind the same load loop. */
struct relay_ops {
	const char *key, *label;
	int (*open)(struct relay_run *r);
	int (*send)(struct relay_run *r, size_t sender, uint64_t seq, uint64_t ts);
	void (*flush)(struct relay_run *r);
	int (*poll)(struct relay_run *r, uint64_t timeout_ns);
	void (*tick)(struct relay_run *r, uint64_t now);
	int64_t (*server_cpu)(struct relay_run *r);
	uint64_t (*datagrams)(struct relay_run *r);
	uint64_t (*rejected)(struct relay_run *r);
	size_t (*sockets)(struct relay_run *r);
	void (*close)(struct relay_run *r);
};

struct relay_run {
	const struct bench_opts *o;
	const struct relay_ops *ops;
	struct pool *pool;
	struct baseline *bl;
	size_t n, per_room, spr, n_senders, next_sender;
	uint32_t copies_per_msg;
	struct flight *fl;
	uint64_t mask;
	uint64_t next_seq, tail, due;
	size_t in_flight, window;
	uint64_t t_start, t_measure, t_end, t_stop, timeout_ns;
	bool measuring;
	uint64_t copies, late, corrupt, misrouted, lost_msgs, lost_copies, throttled;
	uint64_t idle_ns;		/* in polls that found nothing */
	int64_t others0, others1;	/* other processes' CPU, start and end */
	struct sock_drops drops;
	struct stalls stalls;
	struct snap s0, s1;
	struct hist lat;
	uint8_t text[OCM_MAX_DATAGRAM];
};

/* The text. */

static void
text_init(struct relay_run *r)
{
	for (size_t i = TEXT_HEAD; i < r->o->size; i++)
		r->text[i] = (uint8_t)('g' + (i % 20));
}

static const uint8_t *
text_for(struct relay_run *r, size_t sender, uint64_t seq, uint64_t ts)
{
	hex16_put(r->text, sender);
	hex16_put(r->text + 16, seq);
	hex16_put(r->text + 32, ts);
	return r->text;
}

/* Copies. */

static void
relay_copy(struct relay_run *r, size_t to, uint64_t sender, uint64_t seq, uint64_t ts,
    uint64_t now)
{
	if (seq >= r->next_seq || sender >= r->n || ts > now) {
		r->corrupt++;
		return;
	}
	struct flight *f = &r->fl[seq & r->mask];
	if (f->seq != seq || f->left == 0) {
		r->late++;
		return;
	}
	/* ocmd must never relay a chat back to its sender or across rooms. */
	if (to != NO_MEMBER && (to == sender || to / r->per_room != sender / r->per_room))
		r->misrouted++;
	r->copies++;
	if (r->measuring)
		hist_add(&r->lat, now - ts);
	if (--f->left == 0)
		r->in_flight--;
}

static void
relay_on_text(void *arg, size_t to, const uint8_t *text, size_t len, uint64_t now)
{
	struct relay_run *r = arg;
	uint64_t sender, seq, ts;

	if (len < TEXT_HEAD || !hex16_get(text, &sender) || !hex16_get(text + 16, &seq) ||
	    !hex16_get(text + 32, &ts)) {
		r->corrupt++;
		return;
	}
	relay_copy(r, to, sender, seq, ts, now);
}

static void
relay_on_copy(void *arg, uint64_t sender, uint64_t seq, uint64_t ts, uint64_t now)
{
	relay_copy(arg, NO_MEMBER, sender, seq, ts, now);
}

/* ocmd. */

static int
ocmd_open(struct relay_run *r)
{
	unsigned threads = r->o->concurrency ? r->o->concurrency : 32;

	r->pool = pool_new(r->o, r->n, r->per_room, threads, 'r');
	if (r->pool == NULL || pool_setup(r->pool) < 0)
		return -1;
	if (r->o->size > pool_max_text(r->pool)) {
		fprintf(stderr, "ocm-bench: --size %zu is more than the %zu bytes a chat may "
		    "carry here\n", r->o->size, pool_max_text(r->pool));
		return -1;
	}
	pool_set_chat(r->pool, relay_on_text, r);
	return 0;
}

static int
ocmd_send(struct relay_run *r, size_t sender, uint64_t seq, uint64_t ts)
{
	return pool_queue_chat(r->pool, sender, text_for(r, sender, seq, ts), r->o->size);
}

static void
ocmd_flush(struct relay_run *r)
{
	pool_flush(r->pool);
}

static int
ocmd_poll(struct relay_run *r, uint64_t timeout_ns)
{
	return pool_poll(r->pool, timeout_ns);
}

static void
ocmd_tick(struct relay_run *r, uint64_t now)
{
	pool_keepalive(r->pool, now);
}

static int64_t
ocmd_server_cpu(struct relay_run *r)
{
	return r->o->pid > 0 ? proc_cpu_ns(r->o->pid) : -1;
}

static uint64_t
ocmd_datagrams(struct relay_run *r)
{
	return pool_datagrams(r->pool);
}

static uint64_t
ocmd_rejected(struct relay_run *r)
{
	return pool_rejected(r->pool);
}

static size_t
ocmd_sockets(struct relay_run *r)
{
	return pool_sockets(r->pool);
}

static void
ocmd_close(struct relay_run *r)
{
	if (r->pool != NULL)
		pool_leave(r->pool);
	pool_free(r->pool);
	r->pool = NULL;
}

static const struct relay_ops ocmd_ops = {
	.key = "ocmd", .label = "ocmd",
	.open = ocmd_open, .send = ocmd_send, .flush = ocmd_flush, .poll = ocmd_poll,
	.tick = ocmd_tick, .server_cpu = ocmd_server_cpu, .datagrams = ocmd_datagrams,
	.rejected = ocmd_rejected, .sockets = ocmd_sockets, .close = ocmd_close,
};

/* The plain UDP baseline. */

static int
base_open(struct relay_run *r)
{
	r->bl = baseline_new(r->o, r->n, r->per_room);
	if (r->bl == NULL || baseline_setup(r->bl) < 0)
		return -1;
	baseline_set_copy(r->bl, relay_on_copy, r);
	return 0;
}

static int
base_send(struct relay_run *r, size_t sender, uint64_t seq, uint64_t ts)
{
	return baseline_queue_chat(r->bl, sender, seq, ts, text_for(r, sender, seq, ts),
	    r->o->size);
}

static void
base_flush(struct relay_run *r)
{
	baseline_flush(r->bl);
}

static int
base_poll(struct relay_run *r, uint64_t timeout_ns)
{
	return baseline_poll(r->bl, timeout_ns);
}

static void
base_tick(struct relay_run *r, uint64_t now)
{
	(void)r;
	(void)now;
}

static int64_t
base_server_cpu(struct relay_run *r)
{
	return baseline_server_cpu_ns(r->bl);
}

static uint64_t
base_datagrams(struct relay_run *r)
{
	return baseline_datagrams(r->bl);
}

static uint64_t
base_rejected(struct relay_run *r)
{
	(void)r;
	return 0;
}

static size_t
base_sockets(struct relay_run *r)
{
	return baseline_sockets(r->bl);
}

static void
base_close(struct relay_run *r)
{
	baseline_free(r->bl);
	r->bl = NULL;
}

static const struct relay_ops baseline_ops = {
	.key = "baseline", .label = "baseline",
	.open = base_open, .send = base_send, .flush = base_flush, .poll = base_poll,
	.tick = base_tick, .server_cpu = base_server_cpu, .datagrams = base_datagrams,
	.rejected = base_rejected, .sockets = base_sockets, .close = base_close,
};

/* The load loop. */

static void
relay_send_one(struct relay_run *r, uint64_t now)
{
	size_t k = r->next_sender;
	/* Rooms take turns, as independent rooms' traffic interleaves: one
	 * room's messages never arrive in runs that flatter coalescing. */
	size_t rooms = r->n_senders / r->spr;
	size_t sender = (k % rooms) * r->per_room + (k / rooms) % r->spr;
	uint64_t seq = r->next_seq;
	struct flight *f = &r->fl[seq & r->mask];

	r->next_sender = (k + 1) % r->n_senders;
	f->seq = seq;
	f->sent_ns = now;
	f->left = r->copies_per_msg;
	r->next_seq++;
	r->in_flight++;
	/* A message that cannot be sent stays in the table and times out:
	 * it is lost like any other. */
	r->ops->send(r, sender, seq, now);
}

/* Room for one more: the window, and the table slot it would take (still
 * held by an old message that has not timed out yet). */
static bool
relay_can_send(const struct relay_run *r)
{
	return r->in_flight < r->window && r->next_seq - r->tail <= r->mask;
}

static void
relay_fill(struct relay_run *r, uint64_t now)
{
	int burst = 0;

	if (r->o->rate <= 0) {
		while (relay_can_send(r) && burst++ < FILL_BURST)
			relay_send_one(r, now);
		if (!relay_can_send(r) && r->in_flight < r->window)
			r->throttled++;
		return;
	}
	uint64_t target = (uint64_t)((double)(now - r->t_start) * r->o->rate / (double)NS_PER_S);
	while (r->due < target && burst++ < FILL_BURST) {
		r->due++;
		if (relay_can_send(r))
			relay_send_one(r, now);
		else
			r->throttled++;
	}
}

/* Oldest first: messages complete, or time out, in about send order. */
static void
relay_sweep(struct relay_run *r, uint64_t now)
{
	while (r->tail < r->next_seq) {
		struct flight *f = &r->fl[r->tail & r->mask];
		if (f->left != 0) {
			if (now - f->sent_ns < r->timeout_ns)
				return;
			r->lost_msgs++;
			r->lost_copies += f->left;
			f->left = 0;
			r->in_flight--;
		}
		r->tail++;
	}
}

static void
relay_snap(struct relay_run *r, struct snap *s, uint64_t now)
{
	s->t = now;
	s->copies = r->copies;
	s->sent = r->next_seq;
	s->datagrams = r->ops->datagrams(r);
	s->bench_cpu = thread_cpu_ns();
	s->idle = r->idle_ns;
	s->server_cpu = r->ops->server_cpu(r);
}

static void
relay_phase(struct relay_run *r, uint64_t now)
{
	if (r->s0.t == 0 && now >= r->t_measure) {
		relay_snap(r, &r->s0, now);
		r->measuring = true;
	}
	if (r->measuring && now >= r->t_end) {
		relay_snap(r, &r->s1, now);
		r->measuring = false;
		r->others1 = proc_others_cpu_ns(r->o->pid);
	}
}

/*
 * The loop never sleeps (unless --sleep): it polls without waiting and
 * spins, pinned to a CPU of its own.  On loopback the sender of a datagram pays for waking
 * its receiver, so a load generator asleep in epoll_wait would make ocmd
 * pay a wakeup for many of its datagrams, a cost that members on other
 * machines never put on a real server.  Time spent in polls that found
 * nothing is the load generator's idle time.
 */
static void
relay_poll(struct relay_run *r)
{
	uint64_t t = now_ns();

	if (r->ops->poll(r, relay_wait_ns(r->o)) == 0)
		r->idle_ns += now_ns() - t;
}

/*
 * Other processes' CPU is read at the start of the warm-up and at the end
 * of the measurement: reading it means a walk through /proc, a stall that
 * must not fall inside the measured interval.
 */
static void
relay_loop(struct relay_run *r)
{
	r->others0 = proc_others_cpu_ns(r->o->pid);
	sock_drops_read(&r->drops, r->ops == &ocmd_ops ? r->o->pid : 0, false);
	r->t_start = now_ns();
	r->t_measure = r->t_start + (uint64_t)(r->o->warmup_s * (double)NS_PER_S);
	r->t_end = r->t_measure + (uint64_t)(r->o->duration_s * (double)NS_PER_S);
	r->t_stop = r->t_end + r->timeout_ns + 100 * NS_PER_MS;
	for (;;) {
		uint64_t now = now_ns();
		stalls_tick(&r->stalls, now, r->measuring);
		relay_phase(r, now);
		if (now >= r->t_end && (r->in_flight == 0 || now >= r->t_stop))
			break;
		relay_sweep(r, now);
		if (now < r->t_end)
			relay_fill(r, now);
		r->ops->flush(r);
		relay_poll(r);
		r->ops->tick(r, now);
	}
	relay_sweep(r, UINT64_MAX);
	sock_drops_read(&r->drops, r->ops == &ocmd_ops ? r->o->pid : 0, true);
}

/* Setup and results. */

static int
relay_init(struct relay_run *r, const struct bench_opts *o, const struct relay_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->ops = ops;
	r->per_room = o->members;
	r->n = (size_t)o->rooms * o->members;
	r->spr = o->senders;
	r->n_senders = (size_t)o->rooms * o->senders;
	r->copies_per_msg = o->members - 1;
	r->timeout_ns = (uint64_t)(o->loss_timeout_s * (double)NS_PER_S);
	/* Fixed rate: open loop, so the table holds what can be in flight
	 * until the loss timeout; --window caps it only when given. */
	r->window = o->window;
	if (o->rate > 0 && r->window == 0)
		r->window = (size_t)(o->rate * (o->loss_timeout_s + 1.0)) + 1024;
	else if (r->window == 0)
		r->window = 1024;
	uint64_t size = 1024;
	while (size < 2 * (uint64_t)r->window)
		size *= 2;
	r->mask = size - 1;
	r->fl = calloc(size, sizeof(*r->fl));
	text_init(r);
	return r->fl == NULL ? -1 : 0;
}

static const struct field relay_fields[] = {
	{ "copies_per_s", "delivered copies/s", 0 },
	{ "msgs_per_s", "incoming msgs/s", 0 },
	{ "latency_p50_us", "latency p50 (us)", 1 },
	{ "latency_p99_us", "latency p99 (us)", 1 },
	{ "latency_p999_us", "latency p99.9 (us)", 1 },
	{ "latency_max_us", "latency max (us)", 1 },
	{ "datagrams_per_s", "datagrams received/s", 0 },
	{ "copies_per_datagram", "copies per datagram", 2 },
	{ "msgs_sent", "messages sent (run)", 0 },
	{ "copies_delivered", "copies delivered (run)", 0 },
	{ "lost_msgs", "messages lost", 0 },
	{ "lost_copies", "copies lost", 0 },
	{ "loss_pct", "loss (% of copies)", 4 },
	{ "server_socket_drops", "dropped at ocmd's sockets", 0 },
	{ "bench_socket_drops", "dropped at the generator's sockets", 0 },
	{ "late_copies", "late or duplicate copies", 0 },
	{ "misrouted", "misrouted copies", 0 },
	{ "corrupt", "corrupt copies", 0 },
	{ "rejected", "chats rejected by server", 0 },
	{ "throttled", "sends held back", 0 },
	{ "sockets", "UDP sockets", 0 },
	{ "stalls", "machine stalls (20 ms or more)", 0 },
	{ "stall_max_ms", "longest machine stall (ms)", 1 },
	{ "server_cpu_pct", "server CPU (%)", 1 },
	{ "server_ns_per_copy", "server CPU per copy (ns)", 0 },
	{ "bench_cpu_pct", "load generator CPU (%)", 1 },
	{ "bench_idle_pct", "load generator idle (%)", 1 },
	{ "other_cpu_pct", "other processes' CPU (%)", 1 },
};

void
relay_report_interval(struct report *rep, size_t c, const struct snap *s0,
    const struct snap *s1, uint64_t t_start, int64_t others0, int64_t others1)
{
	double secs = (double)(s1->t - s0->t) / (double)NS_PER_S;
	uint64_t copies = s1->copies - s0->copies;
	uint64_t dgrams = s1->datagrams - s0->datagrams;

	report_set(rep, c, "copies_per_s", (double)copies / secs);
	report_set(rep, c, "msgs_per_s", (double)(s1->sent - s0->sent) / secs);
	report_set(rep, c, "datagrams_per_s", (double)dgrams / secs);
	report_set(rep, c, "copies_per_datagram", dgrams ? (double)copies / (double)dgrams : 0);
	report_set(rep, c, "bench_cpu_pct", 100.0 * (double)(s1->bench_cpu - s0->bench_cpu) /
	    (double)(s1->t - s0->t));
	report_set(rep, c, "bench_idle_pct", 100.0 * (double)(s1->idle - s0->idle) /
	    (double)(s1->t - s0->t));
	if (s0->server_cpu >= 0 && s1->server_cpu >= 0) {
		double server_ns = (double)(s1->server_cpu - s0->server_cpu);
		report_set(rep, c, "server_cpu_pct", 100.0 * server_ns / (double)(s1->t - s0->t));
		/* What a copy costs the server, whoever sets the pace. */
		if (copies > 0)
			report_set(rep, c, "server_ns_per_copy", server_ns / (double)copies);
	}
	if (others0 >= 0 && others1 >= 0)
		report_set(rep, c, "other_cpu_pct", others1 < others0 ? 0 :
		    100.0 * (double)(others1 - others0) / (double)(s1->t - t_start));
}

void
relay_report_stalls(struct report *rep, size_t c, const struct stalls *s)
{
	report_set(rep, c, "stalls", (double)s->count);
	report_set(rep, c, "stall_max_ms", (double)s->max_ns / 1e6);
}

void
sock_drops_read(struct sock_drops *d, pid_t server, bool end)
{
	int64_t s = server > 0 ? proc_udp_drops(server) : -1;
	int64_t b = proc_udp_drops(getpid());

	if (end) {
		d->server1 = s;
		d->bench1 = b;
	} else {
		d->server0 = s;
		d->bench0 = b;
	}
}

/*
 * A REJECTED message never had copies, and the load loop counted it lost
 * when it timed out (every message does, before the run ends): it is taken
 * out of the loss, and reported as rejected alone.  The run waits out the
 * loss timeout before it stops, so every rejected message is among the
 * lost ones.
 */
void
relay_report_loss(struct report *rep, size_t c, uint64_t expected, uint64_t lost_msgs,
    uint64_t lost_copies, uint64_t rejected, uint64_t copies_per_msg,
    const struct sock_drops *d)
{
	uint64_t rej_copies = rejected * copies_per_msg;

	lost_msgs -= rejected < lost_msgs ? rejected : lost_msgs;
	lost_copies -= rej_copies < lost_copies ? rej_copies : lost_copies;
	expected -= rej_copies < expected ? rej_copies : expected;
	report_set(rep, c, "lost_msgs", (double)lost_msgs);
	report_set(rep, c, "lost_copies", (double)lost_copies);
	report_set(rep, c, "loss_pct", expected ? 100.0 * (double)lost_copies /
	    (double)expected : 0);
	report_set(rep, c, "rejected", (double)rejected);
	if (d->server0 >= 0 && d->server1 >= 0)
		report_set(rep, c, "server_socket_drops", (double)(d->server1 - d->server0));
	if (d->bench0 >= 0 && d->bench1 >= 0)
		report_set(rep, c, "bench_socket_drops", (double)(d->bench1 - d->bench0));
}

void
relay_report_latency(struct report *rep, size_t c, const struct hist *lat)
{
	report_set(rep, c, "latency_p50_us", (double)hist_quantile(lat, 0.50) / 1e3);
	report_set(rep, c, "latency_p99_us", (double)hist_quantile(lat, 0.99) / 1e3);
	report_set(rep, c, "latency_p999_us", (double)hist_quantile(lat, 0.999) / 1e3);
	report_set(rep, c, "latency_max_us", (double)lat->max / 1e3);
}

static void
relay_results(struct relay_run *r, struct report *rep, size_t c)
{
	uint64_t expected = r->next_seq * r->copies_per_msg;

	relay_report_interval(rep, c, &r->s0, &r->s1, r->t_start, r->others0, r->others1);
	relay_report_latency(rep, c, &r->lat);
	report_set(rep, c, "msgs_sent", (double)r->next_seq);
	report_set(rep, c, "copies_delivered", (double)r->copies);
	relay_report_loss(rep, c, expected, r->lost_msgs, r->lost_copies, r->ops->rejected(r),
	    r->copies_per_msg, &r->drops);
	report_set(rep, c, "late_copies", (double)r->late);
	report_set(rep, c, "misrouted", (double)r->misrouted);
	report_set(rep, c, "corrupt", (double)r->corrupt);
	report_set(rep, c, "throttled", (double)r->throttled);
	report_set(rep, c, "sockets", (double)r->ops->sockets(r));
	relay_report_stalls(rep, c, &r->stalls);
}

/* One target: set up, run, report, tear down.  Returns 0 or -1. */
static int
relay_target(const struct bench_opts *o, struct report *rep, const struct relay_ops *ops)
{
	struct relay_run *r = malloc(sizeof(*r));
	int rc = -1;

	if (r == NULL || relay_init(r, o, ops) < 0)
		goto out;
	if (ops->open(r) == 0) {
		relay_loop(r);
		relay_results(r, rep, report_col(rep, ops->key, ops->label));
		rc = 0;
	}
	ops->close(r);
out:
	if (r != NULL)
		free(r->fl);
	free(r);
	return rc;
}

static void
relay_title(const struct bench_opts *o, struct report *rep)
{
	char load[64], hosts[JOIN_VIA_LIST_MAX], via[JOIN_VIA_LIST_MAX + 32] = "";

	join_hosts_str(o, hosts, sizeof(hosts));
	if (o->n_join_via > 0)
		snprintf(via, sizeof(via), ", JOINs through %s", hosts);
	if (o->rate > 0)
		snprintf(load, sizeof(load), "fixed rate %.0f msgs/s", o->rate);
	else
		snprintf(load, sizeof(load), "closed loop, window %u", o->window ? o->window : 1024);
	snprintf(rep->title, sizeof(rep->title),
	    "%u room%s of %u members, %u sender%s each, %zu-byte texts, %s, %.1f s after "
	    "%.1f s warm-up%s%s%s", o->rooms, o->rooms == 1 ? "" : "s", o->members, o->senders,
	    o->senders == 1 ? "" : "s", o->size, load, o->duration_s, o->warmup_s,
	    o->lean ? ", lean" : "", o->sleep ? ", sleeping" : "", via);
	report_param(rep, "rooms", o->rooms);
	report_param(rep, "members", o->members);
	report_param(rep, "senders", o->senders);
	report_param(rep, "size", (double)o->size);
	report_param(rep, "duration_s", o->duration_s);
	report_param(rep, "warmup_s", o->warmup_s);
	report_param(rep, "window", o->rate > 0 ? o->window : (o->window ? o->window : 1024));
	report_param(rep, "rate", o->rate);
	report_param(rep, "loss_timeout_s", o->loss_timeout_s);
	report_param_str(rep, "server", o->host);
	report_param(rep, "port", o->port);
	if (o->lean)
		report_param_bool(rep, "lean", true);
	if (o->sleep)
		report_param_bool(rep, "sleep", true);
	if (o->n_join_via > 0)
		report_param_str(rep, "join_via", hosts);
}

int
relay_main(const struct bench_opts *o)
{
	struct report rep;
	int rc;

	report_init(&rep, "relay", relay_fields, sizeof(relay_fields) / sizeof(relay_fields[0]));
	relay_title(o, &rep);
	rc = o->lean ? lean_target(o, &rep) : relay_target(o, &rep, &ocmd_ops);
	if (rc == 0 && o->baseline)
		rc = relay_target(o, &rep, &baseline_ops);
	if (rc == 0 && rep.n_cols == 2) {
		report_ratio(&rep, "copies_per_s", "ocmd/baseline delivered copies/s",
		    report_get(&rep, 0, "copies_per_s") / report_get(&rep, 1, "copies_per_s"));
		report_ratio(&rep, "latency_p99", "ocmd/baseline latency p99",
		    report_get(&rep, 0, "latency_p99_us") / report_get(&rep, 1, "latency_p99_us"));
		report_ratio(&rep, "server_ns_per_copy", "ocmd/baseline server CPU per copy",
		    report_get(&rep, 0, "server_ns_per_copy") /
		    report_get(&rep, 1, "server_ns_per_copy"));
	}
	if (rc == 0)
		report_print(&rep, o->json);
	report_free(&rep);
	return rc == 0 ? BENCH_EXIT_OK : BENCH_EXIT_FAIL;
}
