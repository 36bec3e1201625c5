/*
 * quota.h: what each address holds right now, so that no one address can
 * take what the daemon-wide limits leave for everybody: TCP connections in
 * progress, rooms it created, members it made (counting sessions not yet
 * online).  An "address" is an IPv4 address or an IPv6 prefix of
 * ipv6_prefix bits (quota_key), since one host owns a whole /64.
 *
 * The table belongs to the main thread, which admits every connection,
 * room and member.  The one field another thread writes is an entry's
 * member count: a member's home worker decrements it, through the pointer
 * the member keeps, when the member goes (as dir_room's count).  An entry
 * is freed only once every count is zero, which no other thread can undo,
 * since only the main thread increments.
 */
#ifndef OCM_QUOTA_H
#define OCM_QUOTA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/core/registry.h"
#include "lib/hash.h"

struct quota_entry {
	struct hash_link link;		/* in the table, by key */
	struct peer_ip key;
	uint32_t handshakes;		/* main thread only */
	uint32_t rooms;			/* main thread only */
	_Atomic uint32_t members;	/* decremented by home workers */
};

struct quota {
	struct hash_table entries;	/* by the key's keyed hash */
	size_t sweep_at;		/* sweep idle entries when there are as many */
	uint64_t key[2];
};

int quota_init(struct quota *q);
void quota_fini(struct quota *q);
/* ip with every bit past its prefix cleared (IPv4: all 32 bits kept). */
void quota_key(struct peer_ip *key, const struct peer_ip *ip, unsigned v6_prefix);
/* The entry of ip's prefix, made if need be; NULL on allocation failure. */
struct quota_entry *quota_get(struct quota *q, const struct peer_ip *ip, unsigned v6_prefix);
uint32_t quota_members(const struct quota_entry *e);
void quota_add_member(struct quota_entry *e);
/* Any thread: the member counted in *members is gone. */
void quota_drop_member(_Atomic uint32_t *members);

#endif
