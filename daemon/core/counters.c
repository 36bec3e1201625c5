/*
 * counters.c: the names of the values of the counters that have several,
 * and the walks of COUNTERS() (counters.h) that add the counters up and
 * show them: in ocmctl stats' JSON, in the stats line logged at exit and
 * in the Prometheus text format.  Each shows the entries in the order of
 * the list, and each entry as its kind says, so that a new entry is shown
 * everywhere without a line here.
 */
#include "daemon/core/counters.h"

#include <stdarg.h>
#include <string.h>

const char *const handshake_names[HS_MAX_] = {
	[HS_OK] = "ok",
	[HS_FAIL_TIMEOUT] = "timeout",
	[HS_FAIL_TLS] = "tls_error",
	[HS_FAIL_BUSY] = "busy",
	[HS_FAIL_CLOSED] = "closed_early",
	[HS_FAIL_ADDRESS] = "per_address",
	[HS_FAIL_NO_FDS] = "no_descriptors",
};

const char *const drop_reason_names[DROP_MAX_] = {
	[DROP_MALFORMED] = "malformed",
	[DROP_UNKNOWN_TOKEN] = "unknown_token",
	[DROP_WRONG_ADDRESS] = "wrong_address",
	[DROP_REPLAY] = "replay",
	[DROP_BAD_TAG] = "bad_tag",
	[DROP_BAD_PLAINTEXT] = "bad_plaintext",
	[DROP_WRONG_WORKER] = "wrong_worker",
	[DROP_UNPROVEN_ADDRESS] = "unproven_address",
};

const char *const latency_bucket_names[LATENCY_BUCKETS] = {
	"1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096",
	"8192", "16384", "32768", "65536", "131072", "262144", "524288", "1048576", "+Inf",
};

#define INFO_ONE(f, json_, log_, metric_, help_) { \
	.kind = COUNTER_ONE, .json = json_, .log = log_, .metric = metric_, .help = help_, \
	.n = 1, .offset = offsetof(struct counts, f) },
#define INFO_BY(f, n_, names_, json_, log_, metric_, label_, help_) { \
	.kind = COUNTER_BY, .json = json_, .log = log_, .metric = metric_, .label = label_, \
	.help = help_, .n = n_, .names = names_, .offset = offsetof(struct counts, f) },
#define INFO_HIST(f, n_, names_, json_, metric_, help_) { \
	.kind = COUNTER_HIST, .json = json_, .metric = metric_, .help = help_, .n = n_, \
	.names = names_, .offset = offsetof(struct counts, f), \
	.sum_offset = offsetof(struct counts, f##_sum_ns) },
const struct counter_info counter_infos[] = {
	COUNTERS(INFO_ONE, INFO_BY, INFO_HIST)
};
#undef INFO_ONE
#undef INFO_BY
#undef INFO_HIST
const size_t n_counter_infos = sizeof(counter_infos) / sizeof(counter_infos[0]);

const uint64_t *
counts_values(const struct counts *c, const struct counter_info *k)
{
	return (const uint64_t *)(const void *)((const char *)c + k->offset);
}

uint64_t
counts_sum_ns(const struct counts *c, const struct counter_info *k)
{
	return *(const uint64_t *)(const void *)((const char *)c + k->sum_offset);
}

void
counts_add(struct counts *sum, const struct counters *c)
{
#define ADD_ONE(f, json, log, metric, help) \
	sum->f += counter_get(&c->f);
#define ADD_BY(f, n, names, json, log, metric, label, help) \
	for (size_t i = 0; i < (n); i++) \
		sum->f[i] += counter_get(&c->f[i]);
#define ADD_HIST(f, n, names, json, metric, help) \
	for (size_t i = 0; i < (n); i++) \
		sum->f[i] += counter_get(&c->f[i]); \
	sum->f##_sum_ns += counter_get(&c->f##_sum_ns);
	COUNTERS(ADD_ONE, ADD_BY, ADD_HIST)
#undef ADD_ONE
#undef ADD_BY
#undef ADD_HIST
}

/* ---- ocmctl stats ------------------------------------------------------- */

/* A BY entry: {"name": n, ...}. */
static json_t *
named_json(const struct counter_info *k, const uint64_t *v)
{
	json_t *o = json_object();

	for (size_t i = 0; i < k->n; i++)
		if (k->names[i] != NULL)
			json_object_set_new(o, k->names[i], json_integer((json_int_t)v[i]));
	return o;
}

/* The upper bound, in us, of the bucket that holds quantile q. */
static json_int_t
hist_quantile(const uint64_t *h, size_t n, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total + 0.5), seen = 0;

	if (want == 0)
		want = 1;
	for (size_t i = 0; i < n; i++) {
		seen += h[i];
		if (seen >= want)
			return (json_int_t)1 << i;
	}
	return (json_int_t)1 << (n - 1);
}

/*
 * A HIST entry, the time from a datagram's arrival to the send of the
 * copies and replies it caused, per record: {"count", "p50", "p90",
 * "p99", "p999", "buckets": {"1": n, "2": n, ..., "+Inf": n}}, a bucket
 * "L" counting records under L microseconds (and at least half of L, but
 * for "1").  Quantiles are bucket bounds, so within a factor of two.
 */
static json_t *
hist_json(const struct counter_info *k, const uint64_t *h)
{
	json_t *buckets = named_json(k, h);
	uint64_t total = 0;

	for (size_t i = 0; i < k->n; i++)
		total += h[i];
	if (total == 0)
		return json_pack("{s:I, s:o}", "count", (json_int_t)0, "buckets", buckets);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "count", (json_int_t)total,
	    "p50", hist_quantile(h, k->n, total, 0.50),
	    "p90", hist_quantile(h, k->n, total, 0.90),
	    "p99", hist_quantile(h, k->n, total, 0.99),
	    "p999", hist_quantile(h, k->n, total, 0.999), "buckets", buckets);
}

json_t *
counts_json(const struct counts *c)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n_counter_infos; i++) {
		const struct counter_info *k = &counter_infos[i];
		const uint64_t *v = counts_values(c, k);
		json_t *j = NULL;

		switch (k->kind) {
		case COUNTER_ONE:
			j = json_integer((json_int_t)v[0]);
			break;
		case COUNTER_BY:
			j = named_json(k, v);
			break;
		case COUNTER_HIST:
			j = hist_json(k, v);
			break;
		}
		/* On failure (out of memory) the object is incomplete: no
		 * result at all, rather than one without a counter. */
		if (json_object_set_new(o, k->json, j) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* ---- The stats line ----------------------------------------------------- */

static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* snprintf at buf + *at, moving *at on; nothing once buf is full. */
static void
append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

void
counts_log_line(const struct counts *c, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_counter_infos; i++) {
		const struct counter_info *k = &counter_infos[i];
		const uint64_t *v = counts_values(c, k);

		if (k->log == NULL)
			continue;
		append(buf, len, &at, "%s%s", k->log[0] != ' ' && at > 0 ? "; " : "", k->log);
		if (k->kind == COUNTER_ONE) {
			append(buf, len, &at, "=%llu", (unsigned long long)v[0]);
			continue;
		}
		for (size_t j = 0; j < k->n; j++)
			if (k->names[j] != NULL)
				append(buf, len, &at, " %s=%llu", k->names[j],
				    (unsigned long long)v[j]);
	}
}

/* ---- Prometheus --------------------------------------------------------- */

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Bucket i of a HIST holds [2^(i-1), 2^i) us; the last one everything
 * slower, so it only counts towards +Inf. */
static void
hist_prometheus(FILE *f, const struct counter_info *k, const uint64_t *h, uint64_t sum_ns)
{
	uint64_t cum = 0;

	header(f, k->metric, "histogram", k->help);
	for (size_t i = 0; i + 1 < k->n; i++) {
		cum += h[i];
		fprintf(f, "%s_bucket{le=\"%.9g\"} %llu\n", k->metric, (double)(1ULL << i) * 1e-6,
		    (unsigned long long)cum);
	}
	cum += h[k->n - 1];
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", k->metric, (unsigned long long)cum);
	fprintf(f, "%s_sum %.9f\n", k->metric, (double)sum_ns * 1e-9);
	fprintf(f, "%s_count %llu\n", k->metric, (unsigned long long)cum);
}

void
counts_prometheus(FILE *f, const struct counts *c)
{
	for (size_t i = 0; i < n_counter_infos; i++) {
		const struct counter_info *k = &counter_infos[i];
		const uint64_t *v = counts_values(c, k);

		switch (k->kind) {
		case COUNTER_ONE:
			header(f, k->metric, "counter", k->help);
			fprintf(f, "%s %llu\n", k->metric, (unsigned long long)v[0]);
			break;
		case COUNTER_BY:
			header(f, k->metric, "counter", k->help);
			for (size_t j = 0; j < k->n; j++)
				if (k->names[j] != NULL)
					fprintf(f, "%s{%s=\"%s\"} %llu\n", k->metric, k->label,
					    k->names[j], (unsigned long long)v[j]);
			break;
		case COUNTER_HIST:
			hist_prometheus(f, k, v, counts_sum_ns(c, k));
			break;
		}
	}
}
