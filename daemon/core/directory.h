/*
 * directory.h: where each room lives.  The daemon-wide map from room name
 * to home worker, owned by the main thread: CREATE reserves a name here
 * before its home worker makes the room (so names are unique across
 * workers), JOIN finds the home here, and a worker that frees a room
 * posts the entry back to be removed.  The room's member count is the
 * one field a worker writes (an atomic, on joins and departures only), so
 * that LIST_ROOMS needs no call into the workers.
 *
 * In a cluster (cluster.h) the directory also holds the rooms other nodes
 * home, as the cluster's KV bucket last said: their entries name the node
 * and are never counted as this node's rooms.
 */
#ifndef OCM_DIRECTORY_H
#define OCM_DIRECTORY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/base/config.h"
#include "lib/hash.h"
#include "lib/ocm.h"

struct cluster_peer;

struct dir_room {
	struct hash_link link;		/* in the directory, by name */
	struct cluster_peer *node;	/* NULL: homed here; else the node that homes it */
	uint64_t epoch;			/* that node's incarnation that claimed it */
	bool stale;			/* not seen since the KV watch started over */
	unsigned worker;		/* home (on node, when node is set) */
	bool ready;			/* the home has made it (not a CREATE in flight) */
	bool password;
	_Atomic uint32_t members;	/* written by the home worker */
	uint32_t announced;		/* members as last published to the cluster */
	struct quota_entry *quota;	/* its creator's address: one room less when it goes */
	uint8_t name_len;
	char name[OCM_NAME_MAX + 1];
};

struct directory {
	struct hash_table rooms;	/* every entry, by name's keyed hash */
	size_t n_remote;		/* of them, homed on other nodes */
	uint32_t per_worker[CONFIG_MAX_WORKERS];	/* rooms homed on each */
	uint64_t key[2];
};

int directory_init(struct directory *d);
/* Frees every entry. */
void directory_fini(struct directory *d);
struct dir_room *directory_find(const struct directory *d, const char *name, size_t len);
/* A new entry (not ready) homed on worker; NULL on allocation failure. */
struct dir_room *directory_add(struct directory *d, const char *name, size_t len,
    unsigned worker);
/* A ready entry for a room that another node homes. */
struct dir_room *directory_add_remote(struct directory *d, const char *name, size_t len,
    unsigned worker, struct cluster_peer *node);
/* Rooms homed here. */
static inline size_t
directory_local(const struct directory *d)
{
	return d->rooms.n - d->n_remote;
}
void directory_remove(struct directory *d, struct dir_room *e);
/* Entries in no particular order: for (e = directory_first(d); e; e =
 * directory_next(d, e)).  An entry may be removed once the next is taken;
 * adding one during the walk may make it miss entries or see some twice. */
struct dir_room *directory_first(const struct directory *d);
struct dir_room *directory_next(const struct directory *d, const struct dir_room *e);

#endif
