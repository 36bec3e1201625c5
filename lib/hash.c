/*
 * hash.c: an intrusive chained hash table (see hash.h).  Each bucket is a
 * doubly linked chain whose links point back at whatever points at them
 * (the bucket itself or the link before), so that removal needs neither
 * the key nor a walk of the chain.
 */
#include "lib/hash.h"

#include <stdlib.h>

/* Pushes l at the head of the chain *head. */
static void
chain_push(struct hash_link **head, struct hash_link *l)
{
	l->next = *head;
	if (l->next != NULL)
		l->next->pprev = &l->next;
	l->pprev = head;
	*head = l;
}

int
hash_init(struct hash_table *t, size_t buckets)
{
	t->buckets = calloc(buckets, sizeof(*t->buckets));
	t->mask = buckets - 1;
	t->n = 0;
	return t->buckets != NULL ? 0 : -1;
}

void
hash_fini(struct hash_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->mask = 0;
	t->n = 0;
}

/* Doubles the buckets; on allocation failure the old ones stay. */
static void
grow(struct hash_table *t)
{
	size_t n = (t->mask + 1) * 2;
	struct hash_link **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct hash_link *l, *next;
		for (l = t->buckets[i]; l != NULL; l = next) {
			next = l->next;
			chain_push(&b[l->hash & (n - 1)], l);
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
}

void
hash_insert(struct hash_table *t, struct hash_link *l, uint64_t hash)
{
	if (t->n >= t->mask + 1)
		grow(t);
	l->hash = hash;
	chain_push(&t->buckets[hash & t->mask], l);
	t->n++;
}

void
hash_remove(struct hash_table *t, struct hash_link *l)
{
	*l->pprev = l->next;
	if (l->next != NULL)
		l->next->pprev = l->pprev;
	l->next = NULL;
	l->pprev = NULL;
	t->n--;
}

/* The head of the first chain from bucket i on that is not empty. */
static struct hash_link *
first_from(const struct hash_table *t, size_t i)
{
	for (; i <= t->mask; i++)
		if (t->buckets[i] != NULL)
			return t->buckets[i];
	return NULL;
}

struct hash_link *
hash_first(const struct hash_table *t)
{
	return first_from(t, 0);
}

struct hash_link *
hash_next(const struct hash_table *t, const struct hash_link *l)
{
	if (l->next != NULL)
		return l->next;
	return first_from(t, (size_t)(l->hash & t->mask) + 1);
}
