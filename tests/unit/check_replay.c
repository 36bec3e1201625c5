/*
 * check_replay.c: the anti-replay window (lib/replay.c): its edges, large
 * jumps, counter 0 and counters near 2^64, and a long pseudo-random run
 * against a plain reference model that remembers every counter it saw.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/replay.h"
#include "tests/unit/util.h"

/* Accepts c if the window would, and records it; returns the verdict. */
static bool
accept(struct replay_window *w, uint64_t c)
{
	if (!replay_check(w, c))
		return false;
	replay_update(w, c);
	return true;
}

START_TEST(test_in_order)
{
	struct replay_window w;

	replay_init(&w);
	for (uint64_t c = 0; c < 10000; c++) {
		ck_assert_msg(accept(&w, c), "counter %llu refused", (unsigned long long)c);
		ck_assert(!replay_check(&w, c));
		ck_assert_uint_eq(w.top, c);
	}
	for (uint64_t c = 10000 - REPLAY_WINDOW; c < 10000; c++)
		ck_assert(!replay_check(&w, c));
}
END_TEST

START_TEST(test_reordered)
{
	struct replay_window w;
	const uint64_t top = 5000;

	replay_init(&w);
	ck_assert(accept(&w, top));
	/* Every counter still in the window, newest first, once each. */
	for (uint64_t c = top - 1; c > top - REPLAY_WINDOW; c--) {
		ck_assert(accept(&w, c));
		ck_assert(!accept(&w, c));
		ck_assert_uint_eq(w.top, top);
	}
	ck_assert(!replay_check(&w, top - REPLAY_WINDOW));
	ck_assert(accept(&w, top + 1));
	ck_assert(!accept(&w, top));
}
END_TEST

START_TEST(test_duplicate)
{
	struct replay_window w;

	replay_init(&w);
	ck_assert(accept(&w, 10));
	ck_assert(accept(&w, 12));
	ck_assert(!accept(&w, 10));
	ck_assert(!accept(&w, 12));
	ck_assert(accept(&w, 11));
	ck_assert(!accept(&w, 11));
	/* Checking without an update (a forgery) records nothing. */
	ck_assert(replay_check(&w, 13));
	ck_assert(replay_check(&w, 13));
	ck_assert(accept(&w, 13));
	ck_assert(!replay_check(&w, 13));
}
END_TEST

START_TEST(test_too_old)
{
	struct replay_window w;
	const uint64_t top = 100000;

	replay_init(&w);
	ck_assert(accept(&w, top));
	ck_assert(!replay_check(&w, top - REPLAY_WINDOW));
	ck_assert(!replay_check(&w, top - REPLAY_WINDOW - 1));
	ck_assert(!replay_check(&w, 0));
	ck_assert(accept(&w, top - (REPLAY_WINDOW - 1)));
	/* The same edge when the window has not yet slid past 0. */
	replay_init(&w);
	ck_assert(accept(&w, REPLAY_WINDOW - 1));
	ck_assert(accept(&w, 0));
	replay_init(&w);
	ck_assert(accept(&w, REPLAY_WINDOW));
	ck_assert(!replay_check(&w, 0));
	ck_assert(accept(&w, 1));
	/* A misused update of a too-old counter must not touch the window. */
	replay_update(&w, 0);
	ck_assert(replay_check(&w, 2));
	ck_assert(replay_check(&w, 33 * 64));
}
END_TEST

/* A jump that lands in the ring word holding old counters 0..63 must
 * clear it, or counters 2112..2121 would look seen. */
START_TEST(test_jump_same_word)
{
	struct replay_window w;
	const uint64_t ring = REPLAY_BLOCKS * 64;

	replay_init(&w);
	for (uint64_t c = 0; c < 64; c++)
		ck_assert(accept(&w, c));
	ck_assert(accept(&w, ring + 10));
	for (uint64_t c = ring; c < ring + 10; c++)
		ck_assert(accept(&w, c));
	/* 0..74 are now at least REPLAY_WINDOW behind; 75.. are not. */
	ck_assert(!replay_check(&w, ring + 10 - REPLAY_WINDOW));
	ck_assert(replay_check(&w, ring + 11 - REPLAY_WINDOW));
}
END_TEST

/* A jump inside the window: the counters it skipped are all new, the
 * ones seen before it stay seen. */
START_TEST(test_jump_within_window)
{
	struct replay_window w;
	const uint64_t first = 1000, last = 4000, jump = 500;

	replay_init(&w);
	for (uint64_t c = first; c <= last; c++)
		ck_assert(accept(&w, c));
	ck_assert(accept(&w, last + jump));
	for (uint64_t c = last + 1; c < last + jump; c++)
		ck_assert_msg(accept(&w, c), "skipped counter %llu refused",
		    (unsigned long long)c);
	for (uint64_t c = last + jump - REPLAY_WINDOW + 1; c <= last + jump; c++)
		ck_assert_msg(!replay_check(&w, c), "counter %llu accepted twice",
		    (unsigned long long)c);
}
END_TEST

/* A jump of exactly REPLAY_WINDOW - 1 keeps the old top in the window. */
START_TEST(test_jump_edge)
{
	struct replay_window w;

	replay_init(&w);
	ck_assert(accept(&w, 1000));
	ck_assert(accept(&w, 1000 + REPLAY_WINDOW - 1));
	ck_assert(!replay_check(&w, 1000));
	ck_assert(accept(&w, 1001));
	ck_assert(accept(&w, 1000 + REPLAY_WINDOW + 1));
	ck_assert(!replay_check(&w, 1001));	/* too old now */
	ck_assert(!replay_check(&w, 1000 + REPLAY_WINDOW - 1));
	ck_assert(accept(&w, 1002));
}
END_TEST

START_TEST(test_jump_past_ring)
{
	struct replay_window w;
	const uint64_t far = 1000000;

	replay_init(&w);
	for (uint64_t c = 0; c < 3000; c++)
		ck_assert(accept(&w, c));
	ck_assert(accept(&w, far));
	for (uint64_t c = far - REPLAY_WINDOW + 1; c < far; c++)
		ck_assert(accept(&w, c));
	ck_assert(!replay_check(&w, 2999));
}
END_TEST

START_TEST(test_zero)
{
	struct replay_window w;

	replay_init(&w);
	ck_assert(!w.any);
	ck_assert(replay_check(&w, 0));
	replay_update(&w, 0);
	ck_assert(w.any);
	ck_assert_uint_eq(w.top, 0);
	ck_assert(!replay_check(&w, 0));
	ck_assert(accept(&w, 1));
	ck_assert(!accept(&w, 0));
	/* 0 arriving after a later counter is still new, once. */
	replay_init(&w);
	ck_assert(accept(&w, 5));
	ck_assert(accept(&w, 0));
	ck_assert(!accept(&w, 0));
}
END_TEST

START_TEST(test_near_max)
{
	struct replay_window w;
	const uint64_t max = UINT64_MAX;

	replay_init(&w);
	ck_assert(accept(&w, max - 5));
	ck_assert(accept(&w, max - 1));
	ck_assert(accept(&w, max));
	ck_assert(!accept(&w, max));
	ck_assert(!accept(&w, max - 5));
	ck_assert(accept(&w, max - 2));
	ck_assert(accept(&w, max - (REPLAY_WINDOW - 1)));
	ck_assert(!replay_check(&w, max - REPLAY_WINDOW));
	ck_assert(!replay_check(&w, 0));
	ck_assert(!replay_check(&w, 1));

	/* The very first counter at the top, and a jump there from 0. */
	replay_init(&w);
	ck_assert(accept(&w, max));
	ck_assert(!accept(&w, max));
	ck_assert(accept(&w, max - 1));
	replay_init(&w);
	ck_assert(accept(&w, 0));
	ck_assert(accept(&w, max));
	ck_assert(!replay_check(&w, 0));
	ck_assert(accept(&w, max - 100));
}
END_TEST

/* ---- Against a reference model ------------------------------------------ */

/*
 * Remembers every accepted counter that is still within the window; one
 * that has fallen out can never be accepted again, so forgetting it is
 * safe and keeps the linear search short.
 */
struct model {
	uint64_t top;
	bool any;
	size_t n;
	uint64_t seen[REPLAY_WINDOW + 1];
};

static bool
model_check(const struct model *m, uint64_t c)
{
	if (!m->any || c > m->top)
		return true;
	if (m->top - c >= REPLAY_WINDOW)
		return false;
	for (size_t i = 0; i < m->n; i++)
		if (m->seen[i] == c)
			return false;
	return true;
}

static void
model_update(struct model *m, uint64_t c)
{
	size_t kept = 0;

	if (!m->any || c > m->top)
		m->top = c;
	m->any = true;
	for (size_t i = 0; i < m->n; i++)
		if (m->top - m->seen[i] < REPLAY_WINDOW)
			m->seen[kept++] = m->seen[i];
	m->n = kept;
	ck_assert_uint_lt(m->n, REPLAY_WINDOW);
	m->seen[m->n++] = c;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Adds without wrapping past 2^64 - 1. */
static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Mostly steps forward by small amounts, sometimes jumps by most of or more
 * than the ring, and keeps replaying and reordering counters from just
 * inside to just outside the window; some accepted checks are "forgeries"
 * that never get their update.
 */
static void
run_model(uint64_t start, uint64_t seed, int steps)
{
	struct model m;
	struct replay_window w;
	uint64_t s = seed, next = start;
	int accepted = 0, refused = 0;

	memset(&m, 0, sizeof(m));
	replay_init(&w);
	for (int i = 0; i < steps; i++) {
		uint64_t r = xorshift(&s), c;

		switch (r % 8) {
		case 0: case 1: case 2:
			c = next;
			next = add_sat(next, 1 + (r >> 8) % 40);
			break;
		case 3:
			c = next = add_sat(next, (r >> 8) % (3 * REPLAY_BLOCKS * 64));
			break;
		default:
			c = m.top - (m.top < REPLAY_WINDOW + 64 ? m.top :
			    (r >> 8) % (REPLAY_WINDOW + 64));
			break;
		}
		bool want = model_check(&m, c);
		ck_assert_msg(replay_check(&w, c) == want, "step %d: counter %llu: want %d",
		    i, (unsigned long long)c, want);
		if (!want) {
			refused++;
			continue;
		}
		accepted++;
		if ((r >> 60) == 0)
			continue;	/* the tag failed: no update */
		replay_update(&w, c);
		model_update(&m, c);
		ck_assert_uint_eq(w.top, m.top);
	}
	/* The run must exercise both verdicts heavily. */
	ck_assert_int_gt(accepted, steps / 4);
	ck_assert_int_gt(refused, steps / 20);
}

START_TEST(test_model)
{
	run_model(0, UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)_i, 30000);
}
END_TEST

START_TEST(test_model_near_max)
{
	run_model(UINT64_MAX - 10000000, UINT64_C(0xdeadbeefcafef00d) + (uint64_t)_i, 30000);
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("window");

	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_reordered);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_too_old);
	tcase_add_test(tc, test_jump_same_word);
	tcase_add_test(tc, test_jump_within_window);
	tcase_add_test(tc, test_jump_edge);
	tcase_add_test(tc, test_jump_past_ring);
	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_near_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_model, 0, 4);
	tcase_add_loop_test(tc, test_model_near_max, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(replay_suite)
