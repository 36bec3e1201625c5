/*
 * check_page.c: the bounded selection behind LIST_ROOMS and ocmctl's
 * lists (daemon/base/page.h).  Whatever order the names come in, a page is the
 * first `limit` names after `after` in name_cmp() order, sorted, and
 * "more" says exactly whether names after it were left out; a limit of 0
 * picks nothing and still counts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/base/page.h"
#include "lib/text.h"
#include "tests/unit/util.h"

#define NAMES	500

/* Names with prefixes of each other, capitals, bytes above 0x7f. */
static char names[NAMES][16];
static size_t order[NAMES];

static int
name_qsort(const void *a, const void *b)
{
	const char *x = a, *y = b;

	return name_cmp((const uint8_t *)x, strlen(x), (const uint8_t *)y, strlen(y));
}

/* names sorted; order, an index permutation that offers them shuffled. */
static void
names_make(unsigned seed)
{
	static const char *const stems[] = { "a", "ab", "B", "z", "\xc3\xa9", "~" };

	for (size_t i = 0; i < NAMES; i++)
		snprintf(names[i], sizeof(names[i]), "%s%zu", stems[i % 6], i / 6);
	qsort(names, NAMES, sizeof(names[0]), name_qsort);
	srand(seed);
	for (size_t i = 0; i < NAMES; i++)
		order[i] = i;
	for (size_t i = NAMES - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* The page of limit after names[from - 1] (from 0: from the first), as
 * the sorted array says it must be. */
static void
check_page(size_t limit, size_t from)
{
	struct page p;
	size_t want = NAMES - from < limit ? NAMES - from : limit;

	ck_assert_int_eq(page_init(&p, limit, from > 0 ? names[from - 1] : NULL), 0);
	for (size_t i = 0; i < NAMES; i++)
		page_offer(&p, names[order[i]], strlen(names[order[i]]), names[order[i]]);
	bool more = page_sort(&p);
	ck_assert_uint_eq(p.n, want);
	ck_assert_uint_eq(p.seen, NAMES - from);
	ck_assert(more == (from + want < NAMES));
	for (size_t k = 0; k < p.n; k++) {
		ck_assert_str_eq(p.heap[k].name, names[from + k]);
		ck_assert_ptr_eq(p.heap[k].item, names[from + k]);
	}
	free(p.heap);
}

static const size_t limits[] = { 0, 1, 2, 7, 100, NAMES - 1, NAMES, NAMES + 5 };
static const size_t froms[] = { 0, 1, 250, NAMES - 1, NAMES };

START_TEST(pages_in_name_order)
{
	names_make((unsigned)_i + 1);
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
		for (size_t f = 0; f < sizeof(froms) / sizeof(froms[0]); f++)
			check_page(limits[l], froms[f]);
}
END_TEST

/* An after that is no name offered: the page starts at the next one. */
START_TEST(after_not_offered)
{
	struct page p;

	names_make(1);
	ck_assert_int_eq(page_init(&p, 3, "ab10x"), 0);
	for (size_t i = 0; i < NAMES; i++)
		page_offer(&p, names[order[i]], strlen(names[order[i]]), NULL);
	ck_assert(page_sort(&p));
	ck_assert_uint_eq(p.n, 3);
	ck_assert_str_eq(p.heap[0].name, "ab11");
	ck_assert_str_eq(p.heap[1].name, "ab12");
	ck_assert_str_eq(p.heap[2].name, "ab13");
	free(p.heap);
	/* "" is from the first, as NULL. */
	ck_assert_int_eq(page_init(&p, 1, ""), 0);
	for (size_t i = 0; i < NAMES; i++)
		page_offer(&p, names[order[i]], strlen(names[order[i]]), NULL);
	ck_assert(page_sort(&p));
	ck_assert_str_eq(p.heap[0].name, names[0]);
	free(p.heap);
}
END_TEST

static Suite *
page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, pages_in_name_order, 0, 4);
	tcase_add_test(tc, after_not_offered);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(page_suite)
