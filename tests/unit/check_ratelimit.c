/*
 * check_ratelimit.c: the failed-request limiter and refusal episodes, and
 * the per-address counts.  An IPv6 host cannot walk its /64 for fresh
 * guesses; a flood of addresses cannot flush a banned or heavy offender
 * out of the fixed table; an episode opens once and ends once, and not
 * while its ban lasts; quota entries follow IPv6 prefixes and go away
 * once nothing is held.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/core/quota.h"
#include "daemon/core/ratelimit.h"
#include "tests/unit/util.h"

static struct ratelimit rl;

static struct peer_ip
ip6(const char *text)
{
	struct peer_ip ip = { .family = AF_INET6 };

	ck_assert_int_eq(inet_pton(AF_INET6, text, ip.addr), 1);
	return ip;
}

static struct peer_ip
ip4(uint32_t host_order)
{
	struct peer_ip ip = { .family = AF_INET };
	uint32_t be = htonl(host_order);

	memcpy(ip.addr, &be, 4);
	return ip;
}

/* Fails ip n times at now; true if one of them started a ban. */
static bool
fail_n(const struct peer_ip *ip, unsigned n, uint64_t now)
{
	bool banned = false;

	for (unsigned i = 0; i < n; i++)
		banned |= ratelimit_fail(&rl, ip, now);
	return banned;
}

START_TEST(ipv6_counts_per_prefix)
{
	struct peer_ip a = ip6("2001:db8:1:2::1"), b = ip6("2001:db8:1:2:ffff::7");
	struct peer_ip other = ip6("2001:db8:1:3::1");

	ck_assert_int_eq(ratelimit_init(&rl, 4, 60, 300, 64), 0);
	ck_assert(!fail_n(&a, 2, 1000));
	ck_assert(fail_n(&b, 2, 1000));		/* the same /64: the fourth */
	ck_assert(ratelimit_banned(&rl, &a, 2000));
	ck_assert(ratelimit_banned(&rl, &b, 2000));
	ck_assert(!ratelimit_banned(&rl, &other, 2000));
	/* /128: every address on its own again. */
	ratelimit_configure(&rl, 4, 60, 300, 128);
	ck_assert(!fail_n(&a, 3, 3000));
	ck_assert(!fail_n(&b, 3, 3000));
	ck_assert(fail_n(&a, 1, 3000));
	ck_assert(!ratelimit_banned(&rl, &b, 3000));
}
END_TEST

START_TEST(flood_keeps_worst_offenders)
{
	struct peer_ip guesser = ip4(0xc0000201), banned = ip4(0xc0000202);

	ck_assert_int_eq(ratelimit_init(&rl, 10, 600, 600, 64), 0);
	ck_assert(fail_n(&banned, 10, 1000));
	ck_assert(!fail_n(&guesser, 9, 1000));
	/* 100,000 other addresses fail once each, 25 times the table. */
	for (uint32_t i = 0; i < 100000; i++) {
		struct peer_ip x = ip4(0x0a000000 + i);
		ratelimit_fail(&rl, &x, 2000);
	}
	ck_assert(ratelimit_banned(&rl, &banned, 3000));
	/* The guesser's ninth failure is still remembered: one more bans. */
	ck_assert(fail_n(&guesser, 1, 3000));
	ck_assert(ratelimit_banned(&rl, &guesser, 3000));
}
END_TEST

START_TEST(episodes_open_once_and_close_once)
{
	struct peer_ip a = ip4(0xc0000201);

	ck_assert_int_eq(ratelimit_init(&rl, 3, 60, 30, 64), 0);
	ck_assert(ratelimit_refused(&rl, &a, REFUSAL_HANDSHAKES, 1000));
	for (int i = 0; i < 1000; i++)
		ck_assert(!ratelimit_refused(&rl, &a, REFUSAL_HANDSHAKES, 1000 + (uint64_t)i));
	ck_assert_uint_eq(ratelimit_sweep(&rl, 1000 + 999 + REFUSAL_QUIET_MS - 1), 1);
	ck_assert_uint_eq(ratelimit_sweep(&rl, 1000 + 999 + REFUSAL_QUIET_MS), 0);
	/* A new refusal opens a new episode. */
	ck_assert(ratelimit_refused(&rl, &a, REFUSAL_ROOMS, 50000));
	ck_assert_uint_eq(ratelimit_sweep(&rl, 50000 + REFUSAL_QUIET_MS), 0);

	/* A ban is an episode that lasts at least as long as the ban, and
	 * the refusals during it are only counted. */
	ck_assert(fail_n(&a, 3, 100000));
	ck_assert(!ratelimit_refused(&rl, &a, REFUSAL_BANNED, 100001));
	ck_assert_uint_eq(ratelimit_sweep(&rl, 100000 + REFUSAL_QUIET_MS + 1), 1);
	ck_assert_uint_eq(ratelimit_sweep(&rl, 100000 + 29999), 1);
	ck_assert_uint_eq(ratelimit_sweep(&rl, 100000 + 30000), 0);
	ck_assert(!ratelimit_banned(&rl, &a, 130000));
}
END_TEST

START_TEST(quota_prefixes_and_sweep)
{
	struct quota q;
	struct peer_ip a = ip6("2001:db8::1"), b = ip6("2001:db8::2:3"), key;

	ck_assert_int_eq(quota_init(&q), 0);
	quota_key(&key, &a, 56);
	ck_assert_int_eq(key.addr[7], 0);
	quota_key(&key, &a, 60);
	ck_assert(peer_ip_equal(&key, &(struct peer_ip){ .family = AF_INET6,
	    .addr = { 0x20, 0x01, 0x0d, 0xb8 } }));
	struct quota_entry *e = quota_get(&q, &a, 64);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(quota_get(&q, &b, 64), e);
	ck_assert_ptr_ne(quota_get(&q, &b, 128), e);
	quota_add_member(e);
	e->handshakes = 1;
	/* Thousands of passing addresses: the table sweeps those that hold
	 * nothing, never one that holds something. */
	for (uint32_t i = 0; i < 20000; i++) {
		struct peer_ip x = ip4(0x0a000000 + i);
		ck_assert_ptr_nonnull(quota_get(&q, &x, 64));
	}
	ck_assert_uint_lt(q.entries.n, 20000);
	ck_assert_ptr_eq(quota_get(&q, &a, 64), e);
	ck_assert_uint_eq(quota_members(e), 1);
	quota_drop_member(&e->members);
	ck_assert_uint_eq(quota_members(e), 0);
	quota_fini(&q);
}
END_TEST

static Suite *
ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ipv6_counts_per_prefix);
	tcase_add_test(tc, flood_keeps_worst_offenders);
	tcase_add_test(tc, episodes_open_once_and_close_once);
	tcase_add_test(tc, quota_prefixes_and_sweep);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ratelimit_suite)
