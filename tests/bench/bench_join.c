/*
 * bench_join.c: join mode.  --concurrency client threads do full TCRP
 * exchanges with ocmd (TCP, TLS 1.3, request, RESPONSE, COMPLETE, key
 * export) until --count are done or --duration is up; each thread CREATEs
 * its own rooms and fills them with JOINs, --members to a room (with
 * --join-via, its rooms are created before the clock starts, and only the
 * JOINs, through the hosts given, are timed).  Then the
 * same threads, with the same client code (tls_conn_open), do bare TLS
 * handshakes with the raw TLS server of bench_tls.c, and the two rates are
 * compared: what ocmd adds to the handshake that admission needs anyway.
 */
#include "tests/bench/bench.h"

#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct join_run {
	const struct bench_opts *o;
	struct server_opts so;
	bool raw;
	bool precreate;		/* --join-via: rooms made first, JOINs timed */
	char run[32];
	unsigned n_threads, per_room;
	atomic_uint tickets, ok, retries;
	atomic_bool stop;
	uint64_t deadline;
	pthread_mutex_t lock;
	char err[CLIENT_ERR_MAX];	/* the first failure */
};

struct join_worker {
	struct join_run *j;
	unsigned index;
	pthread_t thread;
	bool started;
	struct hist lat;
};

/*
 * The room (of the worker's own) and member of the worker's k-th exchange;
 * member 0 is the CREATE.  A worker fills one room after another.  With
 * --join-via the rooms exist before the clock starts (join_precreate())
 * and every exchange is a JOIN: a JOIN through another node right after
 * its room's CREATE would wait for the cluster to spread the news of the
 * room, which is not the hand-off's cost.
 */
static void
exchange_of(const struct join_run *j, uint64_t k, size_t *room, size_t *m)
{
	uint64_t per = j->precreate ? j->per_room - 1 : j->per_room;

	*room = (size_t)(k / per);
	*m = (size_t)(k % per) + (j->precreate ? 1 : 0);
}

/* With --join-via each worker has a fixed share of --count, so that its
 * rooms can be created ahead. */
static unsigned
worker_quota(const struct join_run *j, unsigned w)
{
	return j->o->count / j->n_threads + (w < j->o->count % j->n_threads ? 1 : 0);
}

/* Member m of room room_ix: a CREATE to -s (m = 0) or a JOIN to
 * join_host(). */
static int
ocmd_exchange(struct join_run *j, size_t room_ix, size_t m, char *err)
{
	uint8_t op = m == 0 ? TCRP_OP_CREATE_ROOM : TCRP_OP_JOIN_ROOM;
	struct tcrp_request req;
	struct tcrp_result res;
	struct server_opts so = j->so;
	char room[64], user[32];
	unsigned retries = 0;
	int rc;

	if (op == TCRP_OP_JOIN_ROOM)
		so.host = join_host(j->o, m);
	snprintf(room, sizeof(room), "%s-%zu", j->run, room_ix);
	snprintf(user, sizeof(user), "m%zu", m);
	bench_request(&req, op, room, user);
	rc = bench_call(j->o, &so, &req, &res, err, &retries);
	atomic_fetch_add(&j->retries, retries);
	if (rc < 0)
		return -1;
	if (res.code != TCRP_CODE_OK) {
		snprintf(err, CLIENT_ERR_MAX, "%s of room '%s' as '%s' refused: %s (%s)",
		    tcrp_operation_name(op), room, user, tcrp_code_str(res.code), res.message);
		rc = -1;
	}
	tcrp_result_clear(&res);
	return rc;
}

/* The k-th exchange of worker w: rooms are the worker's own, so that a
 * JOIN never races ahead of its room's CREATE. */
static int
ocmd_handshake(struct join_run *j, const struct join_worker *w, uint64_t k, char *err)
{
	size_t r, m;

	exchange_of(j, k, &r, &m);
	return ocmd_exchange(j, w->index + (size_t)j->n_threads * r, m, err);
}

/* A bare handshake, complete once the server's close_notify arrives (so
 * the server did finish its side). */
static int
raw_handshake(struct join_run *j, char *err)
{
	struct tls_conn c;
	uint8_t b;

	if (tls_conn_open(&j->so, &c, err) < 0)
		return -1;
	int n = SSL_read(c.ssl, &b, 1);
	int e = SSL_get_error(c.ssl, n);
	tls_conn_close(&c);
	if (n != 0 && e != SSL_ERROR_ZERO_RETURN) {
		snprintf(err, CLIENT_ERR_MAX, "the raw TLS server did not close cleanly");
		return -1;
	}
	return 0;
}

static void
join_fail(struct join_run *j, const char *err)
{
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->stop))
		snprintf(j->err, sizeof(j->err), "%s", err);
	atomic_store(&j->stop, true);
	pthread_mutex_unlock(&j->lock);
}

static void *
join_worker_main(void *arg)
{
	struct join_worker *w = arg;
	struct join_run *j = w->j;
	char err[CLIENT_ERR_MAX];

	for (uint64_t k = 0; !atomic_load(&j->stop); k++) {
		if (j->precreate ? k >= worker_quota(j, w->index) :
		    atomic_fetch_add(&j->tickets, 1) >= j->o->count)
			break;
		if (now_ns() >= j->deadline)
			break;
		uint64_t t0 = now_ns();
		int rc = j->raw ? raw_handshake(j, err) : ocmd_handshake(j, w, k, err);
		if (rc < 0) {
			join_fail(j, err);
			break;
		}
		hist_add(&w->lat, now_ns() - t0);
		atomic_fetch_add(&j->ok, 1);
	}
	return NULL;
}

static const struct field join_fields[] = {
	{ "handshakes_per_s", "handshakes/s", 1 },
	{ "handshakes", "handshakes", 0 },
	{ "seconds", "seconds", 3 },
	{ "latency_p50_ms", "latency p50 (ms)", 3 },
	{ "latency_p99_ms", "latency p99 (ms)", 3 },
	{ "server_cpu_pct", "server CPU (%)", 1 },
	{ "server_cpu_us", "server CPU per handshake (us)", 1 },
	{ "bench_cpu_pct", "client CPU (%)", 1 },
	{ "other_cpu_pct", "other processes' CPU (%)", 1 },
	{ "join_retries", "JOINs asked again (no_such_room)", 0 },
};

/* Runs the workers; returns 0 or -1 (the first failure in j->err). */
static int
join_workers(struct join_run *j, struct hist *lat)
{
	struct join_worker *w = calloc(j->n_threads, sizeof(*w));
	int rc = 0;

	if (w == NULL)
		return -1;
	for (unsigned t = 0; t < j->n_threads; t++) {
		w[t].j = j;
		w[t].index = t;
		w[t].started = pthread_create(&w[t].thread, NULL, join_worker_main, &w[t]) == 0;
		if (!w[t].started)
			join_fail(j, "cannot start a client thread");
	}
	for (unsigned t = 0; t < j->n_threads; t++) {
		if (w[t].started)
			pthread_join(w[t].thread, NULL);
		hist_merge(lat, &w[t].lat);
	}
	if (atomic_load(&j->stop))
		rc = -1;
	free(w);
	return rc;
}

static int64_t
join_server_cpu(const struct bench_opts *o, struct tls_server *ts)
{
	if (ts != NULL)
		return tls_server_cpu_ns(ts);
	return o->pid > 0 ? proc_cpu_ns(o->pid) : -1;
}

/* What one target's run measured. */
struct join_meas {
	unsigned ok;
	uint64_t ns;		/* wall time */
	int64_t server_ns;	/* -1: unknown */
	uint64_t client_ns;
	int64_t other_ns;	/* -1: unknown */
	unsigned retries;	/* JOINs asked again (bench_call()) */
};

static void
join_results(struct report *rep, size_t c, const struct join_meas *m, const struct hist *lat)
{
	double secs = (double)m->ns / (double)NS_PER_S;

	report_set(rep, c, "handshakes_per_s", (double)m->ok / secs);
	report_set(rep, c, "handshakes", m->ok);
	report_set(rep, c, "seconds", secs);
	report_set(rep, c, "latency_p50_ms", (double)hist_quantile(lat, 0.50) / 1e6);
	report_set(rep, c, "latency_p99_ms", (double)hist_quantile(lat, 0.99) / 1e6);
	report_set(rep, c, "bench_cpu_pct", 100.0 * (double)m->client_ns / (double)m->ns);
	if (m->server_ns >= 0) {
		report_set(rep, c, "server_cpu_pct", 100.0 * (double)m->server_ns / (double)m->ns);
		if (m->ok > 0)
			report_set(rep, c, "server_cpu_us", (double)m->server_ns / 1e3 / m->ok);
	}
	if (m->other_ns >= 0)
		report_set(rep, c, "other_cpu_pct", 100.0 * (double)m->other_ns / (double)m->ns);
}

static void
join_init(struct join_run *j, const struct bench_opts *o, struct tls_server *ts)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->raw = ts != NULL;
	j->precreate = ts == NULL && o->n_join_via > 0;
	server_opts_init(&j->so, o, ts != NULL ? tls_server_port(ts) : o->port);
	run_id(j->run, sizeof(j->run), 'j');
	j->n_threads = o->concurrency;
	j->per_room = o->members;
	pthread_mutex_init(&j->lock, NULL);
}

/* Runs the timed part and fills *m; returns 0 or -1. */
static int
join_measure(struct join_run *j, struct tls_server *ts, struct hist *lat,
    struct join_meas *m)
{
	const struct bench_opts *o = j->o;
	int64_t x0 = proc_others_cpu_ns(o->pid), s0 = join_server_cpu(o, ts);
	uint64_t t0 = now_ns(), c0 = clock_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);

	j->deadline = t0 + (uint64_t)(o->duration_s * (double)NS_PER_S);
	int rc = join_workers(j, lat);
	uint64_t t1 = now_ns(), c1 = clock_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	int64_t s1 = join_server_cpu(o, ts), x1 = proc_others_cpu_ns(o->pid);
	if (rc < 0) {
		fprintf(stderr, "ocm-bench: %s\n", j->err);
		return -1;
	}
	m->ok = atomic_load(&j->ok);
	m->retries = atomic_load(&j->retries);
	m->ns = t1 - t0;
	m->server_ns = s0 >= 0 && s1 >= 0 ? s1 - s0 : -1;
	m->other_ns = x0 >= 0 && x1 >= 0 ? (x1 > x0 ? x1 - x0 : 0) : -1;
	/* The raw server is a thread of this process: not client time. */
	m->client_ns = c1 - c0 - (ts != NULL && m->server_ns >= 0 ? (uint64_t)m->server_ns : 0);
	return 0;
}

/* The untimed exchanges before ocmd's run: a CREATE, and with --join-via
 * a JOIN through each of its hosts (as many as a room holds), so that
 * every key is pinned before the clock starts.  Returns 0 or -1 with
 * err. */
static int
join_warm_up(struct join_run *j, char *err)
{
	size_t n = j->o->n_join_via;

	if (n > j->per_room - 1)
		n = j->per_room - 1;
	for (size_t k = 0; k <= n; k++)
		if (ocmd_exchange(j, 0, k, err) < 0)
			return -1;
	atomic_store(&j->retries, 0);
	return 0;
}

/* --join-via: every worker's rooms, untimed.  Returns 0 or -1 with err. */
static int
join_precreate(struct join_run *j, char *err)
{
	for (unsigned w = 0; w < j->n_threads; w++) {
		size_t rooms = (worker_quota(j, w) + j->per_room - 2) / (j->per_room - 1);
		for (size_t r = 0; r < rooms; r++)
			if (ocmd_exchange(j, w + (size_t)j->n_threads * r, 0, err) < 0)
				return -1;
	}
	return 0;
}

/* One target, after untimed exchanges (they pin the keys, load what
 * OpenSSL loads lazily).  Returns 0 or -1. */
static int
join_target(const struct bench_opts *o, struct report *rep, struct tls_server *ts)
{
	struct join_run *j = malloc(sizeof(*j));
	struct hist *lat = calloc(1, sizeof(*lat));
	struct join_meas m;
	char err[CLIENT_ERR_MAX];
	int rc = -1;

	if (j == NULL || lat == NULL)
		goto out;
	join_init(j, o, ts);
	/* The rooms to join first: the warm-up room, made after them, has
	 * a name of its own, and once a node knows it (its JOIN is asked
	 * again until then), that node knows them too. */
	run_id(j->run, sizeof(j->run), 'j');
	if (j->precreate && join_precreate(j, err) < 0) {
		fprintf(stderr, "ocm-bench: %s\n", err);
		goto out;
	}
	run_id(j->run, sizeof(j->run), 'w');
	if ((ts != NULL ? raw_handshake(j, err) : join_warm_up(j, err)) < 0) {
		fprintf(stderr, "ocm-bench: %s\n", err);
		goto out;
	}
	run_id(j->run, sizeof(j->run), 'j');
	rc = join_measure(j, ts, lat, &m);
	if (rc == 0) {
		size_t c = report_col(rep, ts != NULL ? "raw_tls" : "ocmd",
		    ts != NULL ? "raw TLS" : "ocmd");
		join_results(rep, c, &m, lat);
		if (ts == NULL && o->n_join_via > 0)
			report_set(rep, c, "join_retries", m.retries);
	}
out:
	if (j != NULL)
		pthread_mutex_destroy(&j->lock);
	free(j);
	free(lat);
	return rc;
}

int
join_main(const struct bench_opts *o)
{
	struct report rep;
	char err[256], hosts[JOIN_VIA_LIST_MAX];
	int rc;

	report_init(&rep, "join", join_fields, sizeof(join_fields) / sizeof(join_fields[0]));
	join_hosts_str(o, hosts, sizeof(hosts));
	if (o->n_join_via > 0)
		snprintf(rep.title, sizeof(rep.title), "up to %u JOINs in %.1f s at concurrency %u "
		    "(rooms of %u members created first), CREATEs to ocmd at %s port %u, "
		    "JOINs through %s", o->count, o->duration_s, o->concurrency, o->members,
		    o->host, o->port, hosts);
	else
		snprintf(rep.title, sizeof(rep.title), "up to %u handshakes in %.1f s at "
		    "concurrency %u (%u members a room: 1 CREATE, %u JOINs), ocmd at %s port %u",
		    o->count, o->duration_s, o->concurrency, o->members, o->members - 1, o->host,
		    o->port);
	report_param(&rep, "count", o->count);
	report_param(&rep, "concurrency", o->concurrency);
	report_param(&rep, "members", o->members);
	report_param(&rep, "duration_s", o->duration_s);
	report_param_str(&rep, "server", o->host);
	report_param(&rep, "port", o->port);
	if (o->n_join_via > 0)
		report_param_str(&rep, "join_via", hosts);
	rc = join_target(o, &rep, NULL);
	if (rc == 0) {
		struct tls_server *ts = tls_server_start(o, err, sizeof(err));
		if (ts == NULL)
			fprintf(stderr, "ocm-bench: %s\n", err);
		rc = ts != NULL ? join_target(o, &rep, ts) : -1;
		tls_server_stop(ts);
	}
	if (rc == 0) {
		report_ratio(&rep, "handshakes_per_s", "ocmd/raw TLS handshakes/s",
		    report_get(&rep, 0, "handshakes_per_s") / report_get(&rep, 1, "handshakes_per_s"));
		report_print(&rep, o->json);
	}
	report_free(&rep);
	return rc == 0 ? BENCH_EXIT_OK : BENCH_EXIT_FAIL;
}
