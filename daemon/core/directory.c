/*
 * directory.c: room name to home worker (see directory.h).  An intrusive
 * hash table (lib/hash.h) under a keyed hash, since peers choose the
 * names.
 */
#include "daemon/core/directory.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/quota.h"
#include "daemon/core/registry.h"

#define INITIAL_BUCKETS	64

/* A name's hash under the directory's secret key. */
static uint64_t
dir_hash(const struct directory *d, const char *name, size_t len)
{
	return name_hash(d->key, (const uint8_t *)name, len);
}

int
directory_init(struct directory *d)
{
	memset(d, 0, sizeof(*d));
	if (hash_init(&d->rooms, INITIAL_BUCKETS) < 0)
		return -1;
	if (RAND_bytes((unsigned char *)d->key, sizeof(d->key)) != 1) {
		hash_fini(&d->rooms);
		return -1;
	}
	return 0;
}

void
directory_fini(struct directory *d)
{
	struct hash_link *l, *next;

	if (d->rooms.buckets == NULL)
		return;
	for (l = hash_first(&d->rooms); l != NULL; l = next) {
		next = hash_next(&d->rooms, l);
		free(hash_entry(l, struct dir_room, link));
	}
	hash_fini(&d->rooms);
	memset(d, 0, sizeof(*d));
}

struct dir_room *
directory_find(const struct directory *d, const char *name, size_t len)
{
	uint64_t h = dir_hash(d, name, len);

	for (struct hash_link *l = hash_find(&d->rooms, h); l != NULL;
	    l = hash_find_next(l)) {
		struct dir_room *e = hash_entry(l, struct dir_room, link);
		if (e->name_len == len && memcmp(e->name, name, len) == 0)
			return e;
	}
	return NULL;
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
	hash_insert(&d->rooms, &e->link, dir_hash(d, name, len));
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
	hash_remove(&d->rooms, &e->link);
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
	struct hash_link *l = hash_first(&d->rooms);

	return l != NULL ? hash_entry(l, struct dir_room, link) : NULL;
}

struct dir_room *
directory_next(const struct directory *d, const struct dir_room *e)
{
	struct hash_link *l = hash_next(&d->rooms, &e->link);

	return l != NULL ? hash_entry(l, struct dir_room, link) : NULL;
}
