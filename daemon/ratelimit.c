/*
 * ratelimit.c: per-address failure counting for TCRP (see ratelimit.h).
 * Open addressing over a fixed table; a full probe sequence replaces the
 * entry whose window is oldest and which is not banned, or else the ban
 * that ends first.
 */
#include "daemon/ratelimit.h"

#include <string.h>

static size_t
ip_slot(const struct peer_ip *ip)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < sizeof(ip->addr); i++)
		h = (h ^ ip->addr[i]) * 0x100000001b3ULL;
	return (size_t)(h >> 20) % RATELIMIT_SLOTS;
}

void
ratelimit_init(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s, uint32_t ban_s)
{
	memset(rl, 0, sizeof(*rl));
	ratelimit_configure(rl, max_fails, window_s, ban_s);
}

/* New limits apply to what is counted from now on; bans in force stay. */
void
ratelimit_configure(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s)
{
	rl->max_fails = max_fails;
	rl->window_ms = (uint64_t)window_s * 1000;
	rl->ban_ms = (uint64_t)ban_s * 1000;
}

static struct ratelimit_entry *
lookup(struct ratelimit *rl, const struct peer_ip *ip, bool create, uint64_t now_ms)
{
	size_t base = ip_slot(ip);
	struct ratelimit_entry *victim = NULL;

	for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
		struct ratelimit_entry *e = &rl->slots[(base + i) % RATELIMIT_SLOTS];
		if (e->used && peer_ip_equal(&e->ip, ip))
			return e;
		if (!create)
			continue;
		if (!e->used || (e->banned_until_ms <= now_ms &&
		    now_ms - e->window_start_ms >= rl->window_ms)) {
			if (victim == NULL || victim->used)
				victim = e;	/* free or stale */
		} else if (victim == NULL || (victim->used &&
		    e->banned_until_ms < victim->banned_until_ms)) {
			victim = e;
		}
	}
	if (victim != NULL) {
		memset(victim, 0, sizeof(*victim));
		victim->used = true;
		victim->ip = *ip;
		victim->window_start_ms = now_ms;
	}
	return victim;
}

bool
ratelimit_banned(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms)
{
	struct ratelimit_entry *e = lookup(rl, ip, false, now_ms);
	return e != NULL && e->banned_until_ms > now_ms;
}

bool
ratelimit_fail(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms)
{
	struct ratelimit_entry *e = lookup(rl, ip, true, now_ms);

	if (e->banned_until_ms > now_ms)
		return false;
	if (now_ms - e->window_start_ms >= rl->window_ms) {
		e->window_start_ms = now_ms;
		e->fails = 0;
	}
	if (++e->fails < rl->max_fails)
		return false;
	e->banned_until_ms = now_ms + rl->ban_ms;
	e->fails = 0;
	e->window_start_ms = now_ms;
	return true;
}
