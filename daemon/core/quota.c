/*
 * quota.c: per-address counts (see quota.h).  An intrusive hash table
 * (lib/hash.h) under a keyed hash, since peers choose their addresses
 * within their prefix.  Entries whose counts are all zero are swept when
 * their number has doubled since the last sweep, so memory follows what
 * addresses hold now, not every address ever seen.
 */
#include "daemon/core/quota.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define INITIAL_BUCKETS	256

int
quota_init(struct quota *q)
{
	memset(q, 0, sizeof(*q));
	if (hash_init(&q->entries, INITIAL_BUCKETS) < 0)
		return -1;
	if (RAND_bytes((unsigned char *)q->key, sizeof(q->key)) != 1) {
		hash_fini(&q->entries);
		return -1;
	}
	q->sweep_at = INITIAL_BUCKETS;
	return 0;
}

void
quota_fini(struct quota *q)
{
	struct hash_link *l, *next;

	if (q->entries.buckets == NULL)
		return;
	for (l = hash_first(&q->entries); l != NULL; l = next) {
		next = hash_next(&q->entries, l);
		free(hash_entry(l, struct quota_entry, link));
	}
	hash_fini(&q->entries);
	memset(q, 0, sizeof(*q));
}

void
quota_key(struct peer_ip *key, const struct peer_ip *ip, unsigned v6_prefix)
{
	*key = *ip;
	if (ip->family != AF_INET6 || v6_prefix >= 128)
		return;
	size_t whole = v6_prefix / 8;
	if (v6_prefix % 8 != 0)
		key->addr[whole++] &= (uint8_t)(0xff00u >> (v6_prefix % 8));
	memset(key->addr + whole, 0, sizeof(key->addr) - whole);
}

/* A key's hash under the table's secret key. */
static uint64_t
key_hash(const struct quota *q, const struct peer_ip *key)
{
	uint8_t b[1 + sizeof(key->addr)];

	b[0] = key->family;
	memcpy(b + 1, key->addr, sizeof(key->addr));
	return name_hash(q->key, b, sizeof(b));
}

static int
entry_idle(const struct quota_entry *e)
{
	return e->handshakes == 0 && e->rooms == 0 &&
	    atomic_load_explicit(&e->members, memory_order_acquire) == 0;
}

/* Frees the idle entries; the rest stay where they are. */
static void
sweep(struct quota *q)
{
	struct hash_link *l, *next;

	for (l = hash_first(&q->entries); l != NULL; l = next) {
		struct quota_entry *e = hash_entry(l, struct quota_entry, link);
		next = hash_next(&q->entries, l);
		if (entry_idle(e)) {
			hash_remove(&q->entries, l);
			free(e);
		}
	}
	q->sweep_at = q->entries.n * 2 > INITIAL_BUCKETS ? q->entries.n * 2 : INITIAL_BUCKETS;
}

struct quota_entry *
quota_get(struct quota *q, const struct peer_ip *ip, unsigned v6_prefix)
{
	struct peer_ip key;

	quota_key(&key, ip, v6_prefix);
	uint64_t h = key_hash(q, &key);
	for (struct hash_link *l = hash_find(&q->entries, h); l != NULL;
	    l = hash_find_next(l)) {
		struct quota_entry *e = hash_entry(l, struct quota_entry, link);
		if (peer_ip_equal(&e->key, &key))
			return e;
	}
	if (q->entries.n >= q->sweep_at)
		sweep(q);
	struct quota_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->key = key;
	hash_insert(&q->entries, &e->link, h);
	return e;
}

uint32_t
quota_members(const struct quota_entry *e)
{
	return atomic_load_explicit(&e->members, memory_order_relaxed);
}

void
quota_add_member(struct quota_entry *e)
{
	atomic_fetch_add_explicit(&e->members, 1, memory_order_relaxed);
}

void
quota_drop_member(_Atomic uint32_t *members)
{
	/* Release: the main thread that sees zero may free the entry. */
	atomic_fetch_sub_explicit(members, 1, memory_order_release);
}
