/*
 * ratelimit.h: what ocmd remembers about addresses that misbehave.
 *
 * Failed TCRP requests: after max_failed_joins failures within
 * failed_join_window_s an address is refused with rate_limited for
 * rate_limit_s.  Refusal episodes: while an address is being refused (a
 * ban, or one of the per-address caps of quota.h), each further refusal is
 * counted, not logged; the caller logs the first, and ratelimit_sweep logs
 * one summary once REFUSAL_QUIET_MS have passed without one, so that a
 * flood never costs more than two log lines per address.
 *
 * An address is an IPv4 address or an IPv6 prefix (quota_key), so that a
 * host cannot get unlimited guesses by walking its own /64.  The table has
 * a fixed size under a keyed hash, so a flood from many addresses can
 * neither grow memory nor aim at one entry; when a probe sequence is full,
 * the least offending entry is forgotten and the worst offenders (banned,
 * being refused, most failures) stay.
 */
#ifndef OCM_RATELIMIT_H
#define OCM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/core/registry.h"

#define RATELIMIT_SLOTS		4096
#define RATELIMIT_PROBE		8
#define REFUSAL_QUIET_MS	10000

enum refusal {
	REFUSAL_NONE,
	REFUSAL_BANNED,			/* max_failed_joins reached */
	REFUSAL_HANDSHAKES,		/* max_handshakes_per_address */
	REFUSAL_ROOMS,			/* max_rooms_per_address */
	REFUSAL_MEMBERS,		/* max_members_per_address */
	REFUSAL_MAX_
};

/* "too many failed requests", ... for the summary line. */
extern const char *const refusal_names[REFUSAL_MAX_];

struct ratelimit_entry {
	struct peer_ip key;
	bool used;
	uint8_t refusing;		/* enum refusal of the open episode */
	uint32_t fails;
	uint64_t window_start_ms;
	uint64_t banned_until_ms;
	uint64_t refused;		/* in the open episode, after its first */
	uint64_t refusing_since_ms;
	uint64_t last_refused_ms;
};

struct ratelimit {
	uint32_t max_fails;
	uint64_t window_ms;
	uint64_t ban_ms;
	unsigned v6_prefix;
	uint32_t episodes;		/* open refusal episodes */
	uint64_t hash_key[2];
	struct ratelimit_entry slots[RATELIMIT_SLOTS];
};

/* 0, or -1 when no random key could be had. */
int ratelimit_init(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s, unsigned v6_prefix);
void ratelimit_configure(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s, unsigned v6_prefix);
/* Is ip refused now? */
bool ratelimit_banned(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms);
/* Counts a failure; returns true when this one starts a ban (and its
 * refusal episode: the caller logs the ban). */
bool ratelimit_fail(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms);
/* Counts a refusal of ip for why; returns true when it starts an episode,
 * which the caller logs; later ones are only counted. */
bool ratelimit_refused(struct ratelimit *rl, const struct peer_ip *ip, enum refusal why,
    uint64_t now_ms);
/* Ends (and logs) the episodes quiet for REFUSAL_QUIET_MS; returns the
 * number still open. */
uint32_t ratelimit_sweep(struct ratelimit *rl, uint64_t now_ms);

#endif
