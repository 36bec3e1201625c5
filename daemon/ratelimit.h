/*
 * ratelimit.h: failed TCRP requests per source address.  After
 * max_failed_joins failures within failed_join_window_s an address gets
 * rate_limited for rate_limit_s.  The table has a fixed size, so a flood
 * from many addresses evicts old entries rather than growing memory.
 */
#ifndef OCM_RATELIMIT_H
#define OCM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/registry.h"

#define RATELIMIT_SLOTS	4096
#define RATELIMIT_PROBE	8

struct ratelimit_entry {
	struct peer_ip ip;
	bool used;
	uint32_t fails;
	uint64_t window_start_ms;
	uint64_t banned_until_ms;
};

struct ratelimit {
	uint32_t max_fails;
	uint64_t window_ms;
	uint64_t ban_ms;
	struct ratelimit_entry slots[RATELIMIT_SLOTS];
};

void ratelimit_init(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s);
void ratelimit_configure(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s);
/* Is ip refused now? */
bool ratelimit_banned(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms);
/* Counts a failure; returns true when this one starts a ban. */
bool ratelimit_fail(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms);

#endif
