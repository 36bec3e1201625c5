/*
 * check_counters.c: the list of counters (daemon/core/counters.h) and what is
 * made of it.  Every counter of the list, each value of it, is added up
 * from every thread's counters and shows with its value in ocmctl stats'
 * JSON and at /metrics, and in the stats line when it has a place there;
 * the stats line is the one ocmd(8) shows, and ocmd(8) names every
 * metric.  A counter added to the list and left out of any of them fails
 * here.
 */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/counters.h"
#include "tests/unit/util.h"

#define MAN_PATH	"man/ocmd.8"
#define MAN_MAX		(512 * 1024)

/* The tests write a struct counters through the offsets of struct counts:
 * the same list makes both, field for field. */
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
    _Alignof(_Atomic uint64_t) == _Alignof(uint64_t) &&
    sizeof(struct counters) == sizeof(struct counts), "counters and counts differ");

/* Value j of entry k, distinct across the whole list (HIST sums too). */
static uint64_t
value_of(size_t k, size_t j)
{
	return 1000 * (uint64_t)(k + 1) + j + 1;
}

/* Every value of c set by value_of(). */
static void
counts_fill(struct counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < n_counter_infos; k++) {
		const struct counter_info *i = &counter_infos[k];
		uint64_t *v = (uint64_t *)(void *)((char *)c + i->offset);
		for (size_t j = 0; j < i->n; j++)
			v[j] = value_of(k, j);
		if (i->kind == COUNTER_HIST)
			*(uint64_t *)(void *)((char *)c + i->sum_offset) = value_of(k, 999);
	}
}

START_TEST(entries_whole)
{
	for (size_t k = 0; k < n_counter_infos; k++) {
		const struct counter_info *i = &counter_infos[k];
		ck_assert_ptr_nonnull(i->json);
		ck_assert_ptr_nonnull(i->metric);
		ck_assert_ptr_nonnull(i->help);
		ck_assert_uint_ge(i->n, 1);
		ck_assert(strncmp(i->metric, "ocm_", 4) == 0);
		if (i->kind == COUNTER_BY) {
			ck_assert_ptr_nonnull(i->label);
			ck_assert_ptr_nonnull(i->names);
		}
		if (i->kind == COUNTER_BY || i->kind == COUNTER_HIST)
			for (size_t j = 0; j < i->n; j++)
				ck_assert_msg(i->names[j] != NULL, "%s: value %zu has no name",
				    i->json, j);
		for (size_t m = 0; m < k; m++) {
			ck_assert_str_ne(counter_infos[m].json, i->json);
			ck_assert_str_ne(counter_infos[m].metric, i->metric);
		}
	}
	ck_assert_ptr_nonnull(counter_infos[0].log);
	ck_assert_msg(counter_infos[0].log[0] != ' ', "the stats line starts with a group");
}
END_TEST

/* Each thread's counters, as counter_add() leaves them, add up. */
START_TEST(threads_add_up)
{
	struct counters a, b;
	struct counts want, sum;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	counts_fill(&want);
	for (size_t k = 0; k < sizeof(want) / sizeof(uint64_t); k++) {
		uint64_t v = ((const uint64_t *)(const void *)&want)[k];
		counter_add(&((_Atomic uint64_t *)(void *)&a)[k], v / 3);
		counter_add(&((_Atomic uint64_t *)(void *)&b)[k], v - v / 3);
	}
	memset(&sum, 0, sizeof(sum));
	counts_add(&sum, &a);
	counts_add(&sum, &b);
	ck_assert(memcmp(&sum, &want, sizeof(sum)) == 0);
	counter_add(&a.datagrams_in, 5);
	ck_assert_uint_eq(counter_get(&a.datagrams_in), want.datagrams_in / 3 + 5);
}
END_TEST

static void
json_is(json_t *o, const char *key, uint64_t want, const char *where)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "%s: no %s", where, key);
	ck_assert_msg((uint64_t)json_integer_value(v) == want, "%s.%s is %lld, not %llu",
	    where, key, (long long)json_integer_value(v), (unsigned long long)want);
}

START_TEST(every_counter_in_json)
{
	struct counts c;
	json_t *o;

	counts_fill(&c);
	o = counts_json(&c);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(json_object_size(o), n_counter_infos);
	for (size_t k = 0; k < n_counter_infos; k++) {
		const struct counter_info *i = &counter_infos[k];
		json_t *v = json_object_get(o, i->json);
		uint64_t total = 0;

		switch (i->kind) {
		case COUNTER_ONE:
			json_is(o, i->json, value_of(k, 0), "stats");
			break;
		case COUNTER_BY:
			ck_assert_msg(json_is_object(v), "stats: %s is not an object", i->json);
			ck_assert_uint_eq(json_object_size(v), i->n);
			for (size_t j = 0; j < i->n; j++)
				json_is(v, i->names[j], value_of(k, j), i->json);
			break;
		case COUNTER_HIST:
			ck_assert_msg(json_is_object(v), "stats: %s is not an object", i->json);
			for (size_t j = 0; j < i->n; j++) {
				json_is(json_object_get(v, "buckets"), i->names[j], value_of(k, j),
				    i->json);
				total += value_of(k, j);
			}
			json_is(v, "count", total, i->json);
			ck_assert_ptr_nonnull(json_object_get(v, "p50"));
			ck_assert_ptr_nonnull(json_object_get(v, "p999"));
			break;
		}
	}
	json_decref(o);
}
END_TEST

/* text has line, whole. */
static void
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	ck_abort_msg("no line '%s' in:\n%s", line, text);
}

START_TEST(every_counter_in_prometheus)
{
	struct counts c;
	char *text = NULL, line[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	counts_fill(&c);
	counts_prometheus(f, &c);
	ck_assert_int_eq(fclose(f), 0);
	for (size_t k = 0; k < n_counter_infos; k++) {
		const struct counter_info *i = &counter_infos[k];
		uint64_t total = 0;

		snprintf(line, sizeof(line), "# HELP %s %s", i->metric, i->help);
		has_line(text, line);
		snprintf(line, sizeof(line), "# TYPE %s %s", i->metric,
		    i->kind == COUNTER_HIST ? "histogram" : "counter");
		has_line(text, line);
		switch (i->kind) {
		case COUNTER_ONE:
			snprintf(line, sizeof(line), "%s %llu", i->metric,
			    (unsigned long long)value_of(k, 0));
			has_line(text, line);
			break;
		case COUNTER_BY:
			for (size_t j = 0; j < i->n; j++) {
				snprintf(line, sizeof(line), "%s{%s=\"%s\"} %llu", i->metric,
				    i->label, i->names[j], (unsigned long long)value_of(k, j));
				has_line(text, line);
			}
			break;
		case COUNTER_HIST:
			for (size_t j = 0; j < i->n; j++)
				total += value_of(k, j);
			snprintf(line, sizeof(line), "%s_bucket{le=\"+Inf\"} %llu", i->metric,
			    (unsigned long long)total);
			has_line(text, line);
			snprintf(line, sizeof(line), "%s_count %llu", i->metric,
			    (unsigned long long)total);
			has_line(text, line);
			snprintf(line, sizeof(line), "%s_sum %.9f", i->metric,
			    (double)value_of(k, 999) * 1e-9);
			has_line(text, line);
			break;
		}
	}
	free(text);
}
END_TEST

START_TEST(every_counter_in_log_line)
{
	struct counts c;
	char text[2048], want[128];

	counts_fill(&c);
	counts_log_line(&c, text, sizeof(text));
	for (size_t k = 0; k < n_counter_infos; k++) {
		const struct counter_info *i = &counter_infos[k];
		const char *name = i->log != NULL && i->log[0] == ' ' ? i->log + 1 : i->log;

		if (i->log == NULL)
			continue;
		if (i->kind == COUNTER_ONE) {
			snprintf(want, sizeof(want), "%s=%llu", name,
			    (unsigned long long)value_of(k, 0));
			ck_assert_msg(strstr(text, want) != NULL, "no '%s' in '%s'", want, text);
			continue;
		}
		for (size_t j = 0; j < i->n; j++) {
			snprintf(want, sizeof(want), " %s=%llu", i->names[j],
			    (unsigned long long)value_of(k, j));
			ck_assert_msg(strstr(text, want) != NULL, "no '%s' in '%s'", want, text);
		}
	}
	/* Cut short, never past the buffer. */
	memset(text, 'x', sizeof(text));
	counts_log_line(&c, text, 40);
	ck_assert_uint_eq(strlen(text), 39);
}
END_TEST

static char *
man_read(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	char *text = malloc(MAN_MAX + 1);
	size_t n;
	FILE *f;

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(top != NULL, "top_srcdir is not set: run through make check, or "
	    "set top_srcdir to the source tree");
	snprintf(path, sizeof(path), "%s/%s", top, MAN_PATH);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(text, 1, MAN_MAX, f);
	ck_assert_msg(feof(f) && !ferror(f), "cannot read %s whole", path);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* ocmd(8)'s stats line, folded in a literal display, joined again. */
static void
man_stats_line(const char *man, char *out, size_t len)
{
	const char *p = strstr(man, "\nstats: "), *end;
	size_t n = 0;

	ck_assert_msg(p != NULL, "%s shows no stats line", MAN_PATH);
	end = strstr(p, "\n.Ed");
	ck_assert_ptr_nonnull(end);
	for (p++; p < end; p++) {
		if (*p == '\n') {
			while (p[1] == ' ')
				p++;
			out[n++] = ' ';
		} else {
			out[n++] = *p;
		}
		ck_assert_uint_lt(n, len);
	}
	out[n] = '\0';
}

/* What ocmd logs with every counter 0, as ocmd(8) shows it: N for 0. */
START_TEST(log_line_as_documented)
{
	struct counts c;
	char line[2048], shown[1024], doc[2048];
	char *man = man_read();
	size_t n = 0;

	memset(&c, 0, sizeof(c));
	counts_log_line(&c, line, sizeof(line));
	for (const char *p = line; *p != '\0'; p++) {
		shown[n++] = *p == '0' && p > line && p[-1] == '=' ? 'N' : *p;
		ck_assert_uint_lt(n, sizeof(shown));
	}
	shown[n] = '\0';
	snprintf(line, sizeof(line), "stats: %s; peak rooms=N members=N", shown);
	man_stats_line(man, doc, sizeof(doc));
	ck_assert_str_eq(doc, line);
	free(man);
}
END_TEST

/* Each metric is named in ocmd(8)'s METRICS. */
START_TEST(metrics_documented)
{
	char *man = man_read();
	const char *metrics = strstr(man, "\n.Sh METRICS\n");

	ck_assert_msg(metrics != NULL, "%s has no METRICS section", MAN_PATH);
	for (size_t k = 0; k < n_counter_infos; k++) {
		const char *name = counter_infos[k].metric;
		const char *p = metrics;
		size_t n = strlen(name);
		bool found = false;

		while (!found && (p = strstr(p + 1, name)) != NULL)
			found = (p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n');
		ck_assert_msg(found, "ocmd(8)'s METRICS does not name %s", name);
	}
	free(man);
}
END_TEST

static Suite *
counters_suite(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, entries_whole);
	tcase_add_test(tc, threads_add_up);
	tcase_add_test(tc, every_counter_in_json);
	tcase_add_test(tc, every_counter_in_prometheus);
	tcase_add_test(tc, every_counter_in_log_line);
	tcase_add_test(tc, log_line_as_documented);
	tcase_add_test(tc, metrics_documented);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(counters_suite)
