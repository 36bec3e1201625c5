/*
 * registry.h: rooms and members, with no I/O.  TCRP requests become rooms
 * and members here (create, join, the limits and error codes of
 * doc/protocol.md 6); the relay finds a member by the token of each datagram
 * in O(1).  Room passwords are kept only as salted HMAC-SHA-256 digests and
 * compared in constant time.
 *
 * Ownership: the registry owns rooms and members.  Removing is two-step so
 * that the caller can stop a member's timer and send its CLOSED first:
 * registry_member_free() unlinks and frees one member,
 * registry_room_free() frees an empty room.
 */
#ifndef OCM_REGISTRY_H
#define OCM_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "daemon/base/ev.h"
#include "lib/aead.h"
#include "lib/datagram.h"
#include "lib/hash.h"
#include "lib/keys.h"
#include "lib/ocm.h"
#include "lib/payload.h"
#include "lib/replay.h"

/* An IP address without port: token binding and per-address limits. */
struct peer_ip {
	uint8_t family;		/* AF_INET or AF_INET6; v4-mapped v6 becomes AF_INET */
	uint8_t addr[16];
};

void peer_ip_from_sockaddr(struct peer_ip *ip, const struct sockaddr *sa);
/* "192.0.2.7" or "2001:db8::1" into ip.  0 or -1. */
int peer_ip_parse(struct peer_ip *ip, const char *text);
bool peer_ip_equal(const struct peer_ip *a, const struct peer_ip *b);
/* "192.0.2.7" or "2001:db8::1" into buf (INET6_ADDRSTRLEN bytes). */
const char *peer_ip_str(const struct peer_ip *ip, char *buf, size_t len);

struct room;

/* Where a member's datagrams go: an IPv4 or IPv6 socket address, no more
 * (sockaddr_storage would cost 100 bytes more per member). */
union member_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/*
 * The local address a datagram was sent to, learnt on a socket bound to a
 * wildcard address (IP_PKTINFO, IPV6_PKTINFO), so that what goes back
 * leaves from it: a client's connected socket drops replies from any
 * other.  family 0: not known, or not needed (a socket bound to one
 * address sends from it anyway).
 */
struct local_addr {
	uint8_t family;			/* AF_INET, AF_INET6 or 0 */
	uint32_t ifindex;		/* IPv6 link-local addresses only; else 0 */
	uint8_t addr[16];		/* 4 bytes for AF_INET */
};

/*
 * An address a member's datagrams came from that is not proven to reach
 * the member: not on the IP of its TCRP exchange, and not (yet) echoing
 * the challenge sent there (doc/protocol.md 8.6).  Possible only with
 * bind_token_to_ip = no.  At most one per member, the one of the highest
 * counter; it hears nothing but a PONG answering a PING.
 */
struct member_candidate {
	union member_addr addr;
	socklen_t addr_len;
	int sock;			/* the relay socket it came in on */
	struct local_addr local;	/* where it was sent to */
	uint64_t counter;		/* of its newest datagram */
	uint8_t challenge[MSG_CHALLENGE_LEN];	/* random */
};

struct member {
	struct hash_link token_link;	/* in the registry's members, by token */
	TAILQ_ENTRY(member) room_link;	/* the room's members, oldest first */
	struct room *room;
	uint8_t token[OCM_TOKEN_LEN];	/* ASCII hex, as on the wire */
	bool host;
	bool online;			/* an authenticated datagram arrived */
	bool closing;			/* being removed: send nothing more */
	uint8_t name_len;
	struct peer_ip ip;		/* the address of the TCRP exchange */
	/* Where its datagrams go: the source of the newest authenticated
	 * datagram from a proven address (relay.c). */
	union member_addr udp;
	socklen_t udp_len;
	int udp_sock;			/* the relay socket it came in on */
	struct local_addr udp_local;	/* the address it was sent to */
	struct member_candidate *cand;	/* NULL: none; owned, freed with the member */
	bool keyed;			/* keys installed */
	uint8_t key_rx[OCM_KEY_LEN];	/* client-to-server key */
	uint8_t key_tx[OCM_KEY_LEN];	/* server-to-client key */
	uint64_t tx_counter;
	uint32_t batch;			/* the relay's pending BATCH for it, index + 1; 0: none */
	struct replay_window replay;
	struct ev_timer timer;		/* token expiry, then idle timeout */
	uint64_t created_ms;
	uint64_t last_seen_ms;		/* newest authenticated datagram */
	double bucket;			/* chat_rate token bucket */
	uint64_t bucket_ms;
	uint64_t msgs_in, msgs_out;
	_Atomic uint32_t *addr_members;	/* its address's member count (quota.h) */
	uint32_t id;
	char name[];			/* name_len bytes and a NUL, allocated to fit */
};

struct room {
	struct hash_link name_link;	/* in the registry's rooms, by name */
	struct registry *reg;
	TAILQ_HEAD(member_list, member) members;	/* oldest first */
	struct member *host;
	uint32_t n_members;
	uint32_t n_online;
	bool has_password;
	uint8_t salt[16];
	uint8_t pw_digest[32];
	uint64_t created_ms;
	uint64_t msgs;
	void *data;			/* the owner's (the daemon's directory entry) */
	uint8_t name_len;
	char name[OCM_NAME_MAX + 1];
};

struct registry_limits {
	uint32_t max_rooms;
	uint32_t max_members;
	uint32_t max_members_per_room;
};

struct registry {
	struct registry_limits limits;
	struct hash_table rooms;	/* by name's keyed hash */
	size_t n_rooms, peak_rooms;
	struct hash_table members;	/* by token */
	size_t n_members, peak_members;
	size_t n_online;
	uint64_t hash_key[2];		/* keyed hash of peer-chosen room names */
	/* Members of every registry of the daemon (one per worker), against
	 * which max_members holds; NULL: this registry's own count. */
	_Atomic size_t *shared_members;
	void *data;			/* the owner's (a worker) */
	uint32_t next_id;
};

struct registry *registry_new(const struct registry_limits *limits);
/* Frees every room and member (their timers must already be stopped). */
void registry_free(struct registry *reg);
void registry_set_limits(struct registry *reg, const struct registry_limits *limits);

/*
 * CREATE_ROOM / JOIN_ROOM.  token is the session's (32 hex characters,
 * chosen by the caller, who exported keys for it), or NULL for a fresh
 * one.  On TCRP_CODE_OK *out is the new member (keys not yet installed);
 * otherwise *why is a phrase for the RESPONSE message.
 */
enum tcrp_code registry_create(struct registry *reg, const struct tcrp_request *req,
    const struct peer_ip *ip, const uint8_t *token, uint64_t now_ms, struct member **out,
    const char **why);
enum tcrp_code registry_join(struct registry *reg, const struct tcrp_request *req,
    const struct peer_ip *ip, const uint8_t *token, uint64_t now_ms, struct member **out,
    const char **why);

/* SipHash-2-4 of a peer-chosen name under a secret key. */
uint64_t name_hash(const uint64_t key[2], const uint8_t *p, size_t len);

/* Installs the UDP keys (wiped from k afterwards). */
void registry_member_keys(struct member *m, struct udp_keys *k);

struct room *registry_find_room(const struct registry *reg, const uint8_t *name, size_t len);
struct member *registry_find_member(const struct registry *reg, const uint8_t *token);
struct member *room_find_member(const struct room *room, const char *name);

/* Marks a member online (first authenticated datagram); true if it was not. */
bool registry_member_online(struct registry *reg, struct member *m);
/* Unlinks and frees a member; a room left empty stays until freed. */
void registry_member_free(struct registry *reg, struct member *m);
/* Frees a room and any members it still has. */
void registry_room_free(struct registry *reg, struct room *room);

/* Rooms in no particular order: for (r = registry_first_room(reg); r;
 * r = registry_next_room(reg, r)).  A room may be freed once the next is
 * taken. */
struct room *registry_first_room(const struct registry *reg);
struct room *registry_next_room(const struct registry *reg, const struct room *r);

#endif
