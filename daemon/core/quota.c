/*
 * quota.c: per-address counts (see quota.h).  A chained hash table under a
 * keyed hash (peers choose their addresses within their prefix), doubling
 * when its load passes one.  Entries whose counts are all zero are swept
 * when the table has doubled since the last sweep, so memory follows what
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
	q->buckets = calloc(INITIAL_BUCKETS, sizeof(*q->buckets));
	if (q->buckets == NULL || RAND_bytes((unsigned char *)q->key, sizeof(q->key)) != 1) {
		free(q->buckets);
		q->buckets = NULL;
		return -1;
	}
	q->mask = INITIAL_BUCKETS - 1;
	q->sweep_at = INITIAL_BUCKETS;
	return 0;
}

void
quota_fini(struct quota *q)
{
	if (q->buckets == NULL)
		return;
	for (size_t i = 0; i <= q->mask; i++) {
		struct quota_entry *e, *next;
		for (e = q->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(q->buckets);
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

static size_t
bucket(const struct quota *q, const struct peer_ip *key)
{
	uint8_t b[1 + sizeof(key->addr)];

	b[0] = key->family;
	memcpy(b + 1, key->addr, sizeof(key->addr));
	return (size_t)name_hash(q->key, b, sizeof(b)) & q->mask;
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
	for (size_t i = 0; i <= q->mask; i++) {
		struct quota_entry **pp = &q->buckets[i];
		while (*pp != NULL) {
			struct quota_entry *e = *pp;
			if (entry_idle(e)) {
				*pp = e->next;
				free(e);
				q->n--;
			} else {
				pp = &e->next;
			}
		}
	}
	q->sweep_at = q->n * 2 > INITIAL_BUCKETS ? q->n * 2 : INITIAL_BUCKETS;
}

static void
grow(struct quota *q)
{
	size_t nmask = q->mask * 2 + 1;
	struct quota_entry **nb = calloc(nmask + 1, sizeof(*nb));

	if (nb == NULL)
		return;		/* longer chains, still correct */
	struct quota_entry **old = q->buckets;
	size_t omask = q->mask;
	q->buckets = nb;
	q->mask = nmask;
	for (size_t i = 0; i <= omask; i++) {
		struct quota_entry *e, *next;
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			size_t b = bucket(q, &e->key);
			e->next = nb[b];
			nb[b] = e;
		}
	}
	free(old);
}

struct quota_entry *
quota_get(struct quota *q, const struct peer_ip *ip, unsigned v6_prefix)
{
	struct peer_ip key;

	quota_key(&key, ip, v6_prefix);
	for (struct quota_entry *e = q->buckets[bucket(q, &key)]; e != NULL; e = e->next)
		if (peer_ip_equal(&e->key, &key))
			return e;
	if (q->n >= q->sweep_at)
		sweep(q);
	if (q->n > q->mask)
		grow(q);
	struct quota_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->key = key;
	size_t b = bucket(q, &key);
	e->next = q->buckets[b];
	q->buckets[b] = e;
	q->n++;
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
