/*
 * ratelimit.c: failure counting and refusal episodes per address (see
 * ratelimit.h).  Open addressing over a fixed table under SipHash with a
 * random key.
 */
#include "daemon/core/ratelimit.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/base/journal.h"
#include "daemon/core/quota.h"
#include "lib/log.h"

const char *const refusal_names[REFUSAL_MAX_] = {
	[REFUSAL_NONE] = "not refused",
	[REFUSAL_BANNED] = "too many failed requests",
	[REFUSAL_HANDSHAKES] = "too many connections in progress",
	[REFUSAL_ROOMS] = "too many rooms",
	[REFUSAL_MEMBERS] = "too many members",
};

static size_t
key_slot(const struct ratelimit *rl, const struct peer_ip *key)
{
	uint8_t b[1 + sizeof(key->addr)];

	b[0] = key->family;
	memcpy(b + 1, key->addr, sizeof(key->addr));
	return (size_t)name_hash(rl->hash_key, b, sizeof(b)) % RATELIMIT_SLOTS;
}

int
ratelimit_init(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s, uint32_t ban_s,
    unsigned v6_prefix)
{
	memset(rl, 0, sizeof(*rl));
	ratelimit_configure(rl, max_fails, window_s, ban_s, v6_prefix);
	return RAND_bytes((unsigned char *)rl->hash_key, sizeof(rl->hash_key)) == 1 ? 0 : -1;
}

/* New limits apply to what is counted from now on; bans in force stay. */
void
ratelimit_configure(struct ratelimit *rl, uint32_t max_fails, uint32_t window_s,
    uint32_t ban_s, unsigned v6_prefix)
{
	rl->max_fails = max_fails;
	rl->window_ms = (uint64_t)window_s * 1000;
	rl->ban_ms = (uint64_t)ban_s * 1000;
	rl->v6_prefix = v6_prefix;
}

/* "192.0.2.7" or "2001:db8::/64". */
static const char *
key_str(const struct ratelimit *rl, const struct ratelimit_entry *e, char *buf, size_t len)
{
	char ip[64];

	peer_ip_str(&e->key, ip, sizeof(ip));
	if (e->key.family == AF_INET6 && rl->v6_prefix < 128)
		snprintf(buf, len, "%s/%u", ip, rl->v6_prefix);
	else
		snprintf(buf, len, "%s", ip);
	return buf;
}

static void
episode_end(struct ratelimit *rl, struct ratelimit_entry *e, uint64_t now_ms)
{
	char addr[80];

	if (e->refusing == REFUSAL_NONE)
		return;
	key_str(rl, e, addr, sizeof(addr));
	log_ocm(LOG_LEVEL_INFO, OCM_EV_REFUSING_ENDED, NULL, NULL, addr,
	    "no longer refusing %s (%s): %llu more refused in %llu s", addr, refusal_names[e->refusing],
	    (unsigned long long)e->refused,
	    (unsigned long long)((now_ms - e->refusing_since_ms + 999) / 1000));
	e->refusing = REFUSAL_NONE;
	e->refused = 0;
	rl->episodes--;
}

static bool
entry_banned(const struct ratelimit_entry *e, uint64_t now_ms)
{
	return e->banned_until_ms > now_ms;
}

/* How much ocmd would lose by forgetting e: lower goes first. */
static uint64_t
entry_worth(const struct ratelimit *rl, const struct ratelimit_entry *e, uint64_t now_ms)
{
	if (!e->used)
		return 0;
	if (entry_banned(e, now_ms) || e->refusing != REFUSAL_NONE)
		return UINT64_MAX - (UINT64_MAX >> 1) + (e->banned_until_ms > now_ms ?
		    (e->banned_until_ms - now_ms) : 0);
	if (now_ms - e->window_start_ms >= rl->window_ms)
		return 1;		/* its failures have lapsed */
	return 2 + e->fails;
}

static struct ratelimit_entry *
lookup(struct ratelimit *rl, const struct peer_ip *ip, bool create, uint64_t now_ms)
{
	struct peer_ip key;
	struct ratelimit_entry *victim = NULL;
	uint64_t victim_worth = UINT64_MAX;

	quota_key(&key, ip, rl->v6_prefix);
	size_t base = key_slot(rl, &key);
	for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
		struct ratelimit_entry *e = &rl->slots[(base + i) % RATELIMIT_SLOTS];
		if (e->used && peer_ip_equal(&e->key, &key))
			return e;
		uint64_t w = entry_worth(rl, e, now_ms);
		if (create && (victim == NULL || w < victim_worth)) {
			victim = e;
			victim_worth = w;
		}
	}
	if (victim != NULL) {
		episode_end(rl, victim, now_ms);
		memset(victim, 0, sizeof(*victim));
		victim->used = true;
		victim->key = key;
		victim->window_start_ms = now_ms;
	}
	return victim;
}

bool
ratelimit_banned(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms)
{
	struct ratelimit_entry *e = lookup(rl, ip, false, now_ms);
	return e != NULL && entry_banned(e, now_ms);
}

static void
episode_start(struct ratelimit *rl, struct ratelimit_entry *e, enum refusal why,
    uint64_t now_ms)
{
	if (e->refusing == REFUSAL_NONE) {
		rl->episodes++;
		e->refusing_since_ms = now_ms;
		e->refused = 0;
	}
	e->refusing = (uint8_t)why;
	e->last_refused_ms = now_ms;
}

bool
ratelimit_fail(struct ratelimit *rl, const struct peer_ip *ip, uint64_t now_ms)
{
	struct ratelimit_entry *e = lookup(rl, ip, true, now_ms);

	if (entry_banned(e, now_ms))
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
	episode_start(rl, e, REFUSAL_BANNED, now_ms);
	return true;
}

bool
ratelimit_refused(struct ratelimit *rl, const struct peer_ip *ip, enum refusal why,
    uint64_t now_ms)
{
	struct ratelimit_entry *e = lookup(rl, ip, true, now_ms);

	if (e->refusing != REFUSAL_NONE) {
		e->refused++;
		e->last_refused_ms = now_ms;
		return false;
	}
	episode_start(rl, e, why, now_ms);
	return true;
}

uint32_t
ratelimit_sweep(struct ratelimit *rl, uint64_t now_ms)
{
	for (size_t i = 0; i < RATELIMIT_SLOTS && rl->episodes > 0; i++) {
		struct ratelimit_entry *e = &rl->slots[i];
		if (!e->used || e->refusing == REFUSAL_NONE || entry_banned(e, now_ms) ||
		    now_ms - e->last_refused_ms < REFUSAL_QUIET_MS)
			continue;
		episode_end(rl, e, now_ms);
	}
	return rl->episodes;
}
