/*
 * directory.c: room name to home worker (see directory.h).  A chained
 * hash table under a keyed hash (peers choose the names), doubling when
 * its load passes one.
 */
#include "daemon/core/directory.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/quota.h"
#include "daemon/core/registry.h"

#define INITIAL_BUCKETS	64

static size_t
bucket(const struct directory *d, const char *name, size_t len)
{
	return (size_t)name_hash(d->key, (const uint8_t *)name, len) & d->mask;
}

int
directory_init(struct directory *d)
{
	memset(d, 0, sizeof(*d));
	d->buckets = calloc(INITIAL_BUCKETS, sizeof(*d->buckets));
	if (d->buckets == NULL || RAND_bytes((unsigned char *)d->key, sizeof(d->key)) != 1) {
		free(d->buckets);
		d->buckets = NULL;
		return -1;
	}
	d->mask = INITIAL_BUCKETS - 1;
	return 0;
}

void
directory_fini(struct directory *d)
{
	if (d->buckets == NULL)
		return;
	for (size_t i = 0; i <= d->mask; i++) {
		struct dir_room *e, *next;
		for (e = d->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(d->buckets);
	memset(d, 0, sizeof(*d));
}

struct dir_room *
directory_find(const struct directory *d, const char *name, size_t len)
{
	for (struct dir_room *e = d->buckets[bucket(d, name, len)]; e != NULL; e = e->next)
		if (e->name_len == len && memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

/* On allocation failure the old table stays: longer chains, still right. */
static void
grow(struct directory *d)
{
	size_t n = (d->mask + 1) * 2;
	struct dir_room **t = calloc(n, sizeof(*t));
	if (t == NULL)
		return;
	size_t old_mask = d->mask;
	d->mask = n - 1;
	for (size_t i = 0; i <= old_mask; i++) {
		struct dir_room *e, *next;
		for (e = d->buckets[i]; e != NULL; e = next) {
			next = e->next;
			size_t b = bucket(d, e->name, e->name_len);
			e->next = t[b];
			e->bucket = b;
			t[b] = e;
		}
	}
	free(d->buckets);
	d->buckets = t;
}

struct dir_room *
directory_add(struct directory *d, const char *name, size_t len, unsigned worker)
{
	struct dir_room *e = calloc(1, sizeof(*e));

	if (e == NULL || len > OCM_NAME_MAX || worker >= CONFIG_MAX_WORKERS) {
		free(e);
		return NULL;
	}
	memcpy(e->name, name, len);
	e->name_len = (uint8_t)len;
	e->worker = worker;
	if (d->n >= d->mask + 1)
		grow(d);
	size_t b = bucket(d, name, len);
	e->next = d->buckets[b];
	e->bucket = b;
	d->buckets[b] = e;
	d->n++;
	d->per_worker[worker]++;
	return e;
}

struct dir_room *
directory_add_remote(struct directory *d, const char *name, size_t len, unsigned worker,
    struct cluster_peer *node)
{
	struct dir_room *e = directory_add(d, name, len, worker);

	if (e == NULL)
		return NULL;
	d->per_worker[worker]--;
	d->n_remote++;
	e->node = node;
	e->ready = true;
	return e;
}

void
directory_remove(struct directory *d, struct dir_room *e)
{
	struct dir_room **pp = &d->buckets[e->bucket];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	d->n--;
	if (e->node != NULL)
		d->n_remote--;
	else
		d->per_worker[e->worker]--;
	if (e->quota != NULL)
		e->quota->rooms--;
	free(e);
}

struct dir_room *
directory_first(const struct directory *d)
{
	for (size_t i = 0; i <= d->mask; i++)
		if (d->buckets[i] != NULL)
			return d->buckets[i];
	return NULL;
}

struct dir_room *
directory_next(const struct directory *d, const struct dir_room *e)
{
	if (e->next != NULL)
		return e->next;
	for (size_t i = e->bucket + 1; i <= d->mask; i++)
		if (d->buckets[i] != NULL)
			return d->buckets[i];
	return NULL;
}
