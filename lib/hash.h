/*
 * hash.h: an intrusive chained hash table.  Each entry embeds a struct
 * hash_link; the table is an array of buckets of links and never
 * allocates or frees an entry.  The caller hashes its keys (with a keyed
 * hash when peers choose them, so that no one can aim at one bucket) and
 * compares keys itself while it walks the links of one hash:
 *
 *	for (l = hash_find(t, h); l != NULL; l = hash_find_next(l)) {
 *		struct item *it = hash_entry(l, struct item, link);
 *		if (the key of it is the key sought)
 *			return it;
 *	}
 *
 * A link keeps its entry's hash, so that the table grows without the
 * keys, a walk goes on from a link's bucket, and a lookup compares keys
 * only when the whole hash matches.  Removal is O(1).  The table doubles
 * when its load reaches one; it never shrinks, so that removing entries
 * during a walk moves none of the others.
 */
#ifndef OCM_HASH_H
#define OCM_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_link {
	struct hash_link *next;		/* in its bucket */
	struct hash_link **pprev;	/* what points at it: the bucket or the link before */
	uint64_t hash;
};

struct hash_table {
	struct hash_link **buckets;
	size_t mask;			/* buckets less one (a power of two less one) */
	size_t n;			/* entries */
};

/* The entry that embeds link as its member. */
#define hash_entry(link, type, member) \
	((type *)(void *)((char *)(link) - offsetof(type, member)))

/* An empty table of `buckets` buckets (a power of two).  0 or -1 when out
 * of memory. */
int hash_init(struct hash_table *t, size_t buckets);
/* Frees the buckets, not the entries (the caller's). */
void hash_fini(struct hash_table *t);
/* Links l under hash, doubling the table first when its load has reached
 * one (or keeping longer chains, still right, if that memory is not to be
 * had).  The same hash may be inserted any number of times. */
void hash_insert(struct hash_table *t, struct hash_link *l, uint64_t hash);
/* Unlinks l, which must be in t. */
void hash_remove(struct hash_table *t, struct hash_link *l);

/*
 * Every entry once, in no particular order:
 *	for (l = hash_first(t); l != NULL; l = hash_next(t, l))
 * An entry may be removed during the walk once its successor is taken
 * (next = hash_next(t, l); hash_remove(t, l)); an insert may grow the
 * table, after which the walk may miss or repeat entries.
 */
struct hash_link *hash_first(const struct hash_table *t);
struct hash_link *hash_next(const struct hash_table *t, const struct hash_link *l);

/* The first link whose hash is hash, or NULL. */
static inline struct hash_link *
hash_find(const struct hash_table *t, uint64_t hash)
{
	struct hash_link *l = t->buckets[hash & t->mask];

	while (l != NULL && l->hash != hash)
		l = l->next;
	return l;
}

/* The next link after l with l's hash, or NULL. */
static inline struct hash_link *
hash_find_next(struct hash_link *l)
{
	uint64_t hash = l->hash;

	for (l = l->next; l != NULL; l = l->next)
		if (l->hash == hash)
			return l;
	return NULL;
}

#endif
