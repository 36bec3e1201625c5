/*
 * check_directory.c: the room directory's hash table (daemon/core/directory.h).
 * Through growth and removals, find() finds every entry under its name and
 * a walk (directory_first/next, which go on from the bucket each entry
 * keeps) visits every entry once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/directory.h"
#include "tests/unit/util.h"

#define ROOMS	5000

/* Walks d; every entry must be one of the ROOMS names "r<i>", seen once,
 * and exactly those with live[i]. */
static void
walk_check(const struct directory *d, const bool *live)
{
	static bool seen[ROOMS];
	size_t n = 0;

	memset(seen, 0, sizeof(seen));
	for (struct dir_room *e = directory_first(d); e != NULL; e = directory_next(d, e)) {
		unsigned i;
		ck_assert_int_eq(sscanf(e->name, "r%u", &i), 1);
		ck_assert_uint_lt(i, ROOMS);
		ck_assert(live[i]);
		ck_assert(!seen[i]);
		seen[i] = true;
		n++;
	}
	ck_assert_uint_eq(n, d->rooms.n);
	for (size_t i = 0; i < ROOMS; i++)
		ck_assert(seen[i] == live[i]);
}

START_TEST(walk_through_growth_and_removal)
{
	static bool live[ROOMS];
	struct directory d;
	char name[16];

	ck_assert_int_eq(directory_init(&d), 0);
	walk_check(&d, live);
	for (unsigned i = 0; i < ROOMS; i++) {
		int len = snprintf(name, sizeof(name), "r%u", i);
		ck_assert_ptr_nonnull(directory_add(&d, name, (size_t)len, i % 4));
		live[i] = true;
	}
	ck_assert_uint_gt(d.rooms.mask + 1, 64);	/* it grew */
	walk_check(&d, live);
	for (unsigned i = 0; i < ROOMS; i += 3) {
		int len = snprintf(name, sizeof(name), "r%u", i);
		struct dir_room *e = directory_find(&d, name, (size_t)len);
		ck_assert_ptr_nonnull(e);
		directory_remove(&d, e);
		live[i] = false;
	}
	walk_check(&d, live);
	for (unsigned i = 0; i < ROOMS; i++) {
		int len = snprintf(name, sizeof(name), "r%u", i);
		ck_assert((directory_find(&d, name, (size_t)len) != NULL) == live[i]);
	}
	directory_fini(&d);
}
END_TEST

static Suite *
directory_suite(void)
{
	Suite *s = suite_create("directory");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, walk_through_growth_and_removal);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(directory_suite)
