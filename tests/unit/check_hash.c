/*
 * check_hash.c: the intrusive hash table (lib/hash.h).  Entries are found
 * under their hash and key, a walk visits each entry once even while it
 * removes them, the table grows across many entries with every entry
 * still found, and entries that share a bucket (or a whole hash) are told
 * apart by their keys.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "tests/unit/util.h"

#define MANY	20000

struct item {
	unsigned key;
	struct hash_link link;	/* not first: hash_entry() must subtract */
	bool seen;
};

/* A multiplicative mix: distinct keys, distinct hashes, spread over the
 * buckets. */
static uint64_t
mix(unsigned key)
{
	return (uint64_t)key * 0x9e3779b97f4a7c15ULL;
}

/* The entry of key under hash h, comparing keys as a caller does. */
static struct item *
find(const struct hash_table *t, uint64_t h, unsigned key)
{
	for (struct hash_link *l = hash_find(t, h); l != NULL; l = hash_find_next(l)) {
		struct item *it = hash_entry(l, struct item, link);
		if (it->key == key)
			return it;
	}
	return NULL;
}

/* Walks t: each entry once, n of them. */
static void
walk_check(const struct hash_table *t, struct item *items, size_t count, size_t n)
{
	size_t seen = 0;

	for (size_t i = 0; i < count; i++)
		items[i].seen = false;
	for (struct hash_link *l = hash_first(t); l != NULL; l = hash_next(t, l)) {
		struct item *it = hash_entry(l, struct item, link);
		ck_assert(!it->seen);
		it->seen = true;
		seen++;
	}
	ck_assert_uint_eq(seen, n);
	ck_assert_uint_eq(t->n, n);
}

START_TEST(insert_find_remove)
{
	struct hash_table t;
	struct item items[3] = { { .key = 1 }, { .key = 2 }, { .key = 3 } };

	ck_assert_int_eq(hash_init(&t, 8), 0);
	ck_assert_ptr_null(hash_first(&t));
	ck_assert_ptr_null(find(&t, mix(1), 1));
	for (int i = 0; i < 3; i++)
		hash_insert(&t, &items[i].link, mix(items[i].key));
	ck_assert_uint_eq(t.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_eq(find(&t, mix(items[i].key), items[i].key), &items[i]);
	ck_assert_ptr_null(find(&t, mix(4), 4));
	walk_check(&t, items, 3, 3);

	hash_remove(&t, &items[1].link);
	ck_assert_ptr_null(find(&t, mix(2), 2));
	ck_assert_ptr_eq(find(&t, mix(1), 1), &items[0]);
	ck_assert_ptr_eq(find(&t, mix(3), 3), &items[2]);
	walk_check(&t, items, 3, 2);
	/* Back in, it is found again. */
	hash_insert(&t, &items[1].link, mix(2));
	ck_assert_ptr_eq(find(&t, mix(2), 2), &items[1]);
	hash_fini(&t);
}
END_TEST

/* Every other entry removed while walking, then the rest: the walk never
 * visits one twice nor misses one, and the table ends empty. */
START_TEST(remove_while_walking)
{
	static struct item items[1000];
	struct hash_table t;
	size_t visited = 0;
	struct hash_link *l, *next;

	ck_assert_int_eq(hash_init(&t, 16), 0);
	for (unsigned i = 0; i < 1000; i++) {
		items[i] = (struct item){ .key = i };
		hash_insert(&t, &items[i].link, mix(i));
	}
	for (l = hash_first(&t); l != NULL; l = next) {
		struct item *it = hash_entry(l, struct item, link);
		next = hash_next(&t, l);
		ck_assert(!it->seen);
		it->seen = true;
		visited++;
		if (it->key % 2 == 0)
			hash_remove(&t, l);
	}
	ck_assert_uint_eq(visited, 1000);
	ck_assert_uint_eq(t.n, 500);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert((find(&t, mix(i), i) != NULL) == (i % 2 == 1));
	walk_check(&t, items, 1000, 500);
	for (l = hash_first(&t); l != NULL; l = next) {
		next = hash_next(&t, l);
		hash_remove(&t, l);
	}
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(hash_first(&t));
	hash_fini(&t);
}
END_TEST

START_TEST(grows_across_many)
{
	struct item *items = calloc(MANY, sizeof(*items));
	struct hash_table t;

	ck_assert_ptr_nonnull(items);
	ck_assert_int_eq(hash_init(&t, 4), 0);
	for (unsigned i = 0; i < MANY; i++) {
		items[i].key = i;
		hash_insert(&t, &items[i].link, mix(i));
		/* The load stays at most one. */
		ck_assert_uint_le(t.n, t.mask + 1);
	}
	ck_assert_uint_ge(t.mask + 1, MANY);
	for (unsigned i = 0; i < MANY; i++)
		ck_assert_ptr_eq(find(&t, mix(i), i), &items[i]);
	walk_check(&t, items, MANY, MANY);
	/* It does not shrink: the entries left stay where they were. */
	size_t buckets = t.mask + 1;
	for (unsigned i = 0; i < MANY; i += 3)
		hash_remove(&t, &items[i].link);
	ck_assert_uint_eq(t.mask + 1, buckets);
	for (unsigned i = 0; i < MANY; i++)
		ck_assert((find(&t, mix(i), i) != NULL) == (i % 3 != 0));
	hash_fini(&t);
	free(items);
}
END_TEST

/* Keys of one whole hash (the same bucket however big the table), and
 * keys of distinct hashes in one bucket of a table not yet grown: each is
 * found by its own key, removing links from the middle of a chain leaves
 * the others, and a key that is not there is not found. */
START_TEST(collisions_in_one_bucket)
{
	static struct item same[64], apart[64];
	struct hash_table t;

	ck_assert_int_eq(hash_init(&t, 128), 0);
	for (unsigned i = 0; i < 64; i++) {
		same[i] = (struct item){ .key = i };
		hash_insert(&t, &same[i].link, 7);
		/* Hash 8 + 256 i: bucket 8 of 128 (and of 256). */
		apart[i] = (struct item){ .key = 1000 + i };
		hash_insert(&t, &apart[i].link, 8 + 256 * (uint64_t)i);
	}
	ck_assert_uint_eq(t.mask + 1, 128);	/* 128 entries: not grown yet */
	ck_assert_ptr_eq(t.buckets[7], &same[63].link);	/* one chain each */
	ck_assert_ptr_eq(t.buckets[8], &apart[63].link);
	for (unsigned i = 0; i < 64; i++) {
		ck_assert_ptr_eq(find(&t, 7, i), &same[i]);
		ck_assert_ptr_eq(find(&t, 8 + 256 * (uint64_t)i, 1000 + i), &apart[i]);
		/* The right bucket, the wrong hash: not found. */
		ck_assert_ptr_null(find(&t, 8 + 256 * (uint64_t)i, 1000 + (i + 1) % 64));
	}
	ck_assert_ptr_null(find(&t, 7, 64));
	ck_assert_ptr_null(find(&t, 9, 0));	/* an empty bucket */
	for (unsigned i = 0; i < 64; i += 2) {
		hash_remove(&t, &same[i].link);
		hash_remove(&t, &apart[i].link);
	}
	ck_assert_uint_eq(t.n, 64);
	for (unsigned i = 0; i < 64; i++) {
		ck_assert((find(&t, 7, i) != NULL) == (i % 2 == 1));
		ck_assert((find(&t, 8 + 256 * (uint64_t)i, 1000 + i) != NULL) == (i % 2 == 1));
	}
	/* The chain is 63, 61, ..., 1 (newest first): removing 61, then the
	 * link that took its place (59), and so on, each time the successor
	 * of the link just removed, leaves 63 alone. */
	for (unsigned i = 61; i < 64; i -= 2)
		hash_remove(&t, &same[i].link);
	for (unsigned i = 0; i < 63; i++)
		ck_assert_ptr_null(find(&t, 7, i));
	ck_assert_ptr_eq(find(&t, 7, 63), &same[63]);
	ck_assert_ptr_null(same[63].link.next);
	hash_fini(&t);
}
END_TEST

static Suite *
hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, insert_find_remove);
	tcase_add_test(tc, remove_while_walking);
	tcase_add_test(tc, grows_across_many);
	tcase_add_test(tc, collisions_in_one_bucket);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(hash_suite)
