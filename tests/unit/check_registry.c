/*
 * check_registry.c: rooms and members without I/O: every create/join
 * outcome of doc/protocol.md 6 that the registry decides, the limits, token
 * lookup, removal, table growth and iteration.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/core/registry.h"
#include "tests/unit/util.h"

static struct registry *reg;
static struct peer_ip ip4;

static void
setup(void)
{
	struct registry_limits lim = { .max_rooms = 100, .max_members = 1000,
		.max_members_per_room = 3 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	peer_ip_from_sockaddr(&ip4, (struct sockaddr *)&sin);
	reg = registry_new(&lim);
	ck_assert_ptr_nonnull(reg);
}

static void
teardown(void)
{
	registry_free(reg);
	reg = NULL;
}

static struct tcrp_request
req(int op, const char *room, const char *user, const char *pw)
{
	struct tcrp_request r;
	memset(&r, 0, sizeof(r));
	r.operation = (uint8_t)op;
	r.room_len = (uint8_t)strlen(room);
	memcpy(r.room, room, r.room_len);
	r.user_len = (uint8_t)strlen(user);
	memcpy(r.user, user, r.user_len);
	r.password_len = strlen(pw);
	memcpy(r.password, pw, r.password_len);
	return r;
}

static enum tcrp_code
create(const char *room, const char *user, const char *pw, struct member **m)
{
	struct tcrp_request r = req(1, room, user, pw);
	const char *why = NULL;
	struct member *dummy;
	enum tcrp_code c = registry_create(reg, &r, &ip4, NULL, 1000, m ? m : &dummy, &why);
	ck_assert(c == TCRP_CODE_OK || why != NULL);
	return c;
}

static enum tcrp_code
join(const char *room, const char *user, const char *pw, struct member **m)
{
	struct tcrp_request r = req(2, room, user, pw);
	const char *why = NULL;
	struct member *dummy;
	enum tcrp_code c = registry_join(reg, &r, &ip4, NULL, 1000, m ? m : &dummy, &why);
	ck_assert(c == TCRP_CODE_OK || why != NULL);
	return c;
}

START_TEST(create_makes_host_with_token)
{
	struct member *m = NULL;
	ck_assert_int_eq(create("lobby", "alice", "", &m), TCRP_CODE_OK);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->host);
	ck_assert(!m->online);
	ck_assert_ptr_eq(m->room->host, m);
	ck_assert_str_eq(m->name, "alice");
	ck_assert_str_eq(m->room->name, "lobby");
	ck_assert(!m->room->has_password);
	for (int i = 0; i < OCM_TOKEN_LEN; i++)
		ck_assert(strchr("0123456789abcdef", m->token[i]) != NULL);
	ck_assert_ptr_eq(registry_find_member(reg, m->token), m);
	ck_assert_ptr_eq(registry_find_room(reg, (const uint8_t *)"lobby", 5), m->room);
	ck_assert_ptr_null(registry_find_room(reg, (const uint8_t *)"lobb", 4));
	ck_assert_uint_eq(reg->n_rooms, 1);
	ck_assert_uint_eq(reg->n_members, 1);
	ck_assert(peer_ip_equal(&m->ip, &ip4));
}
END_TEST

START_TEST(create_existing_is_room_exists)
{
	ck_assert_int_eq(create("lobby", "alice", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(create("lobby", "bob", "x", NULL), TCRP_CODE_ROOM_EXISTS);
	ck_assert_int_eq(create("Lobby", "bob", "", NULL), TCRP_CODE_OK);	/* exact bytes */
	ck_assert_uint_eq(reg->n_rooms, 2);
}
END_TEST

START_TEST(join_outcomes)
{
	struct member *host, *bob;
	ck_assert_int_eq(create("lobby", "alice", "s3cret", &host), TCRP_CODE_OK);
	ck_assert(host->room->has_password);
	ck_assert_int_eq(join("nope", "bob", "s3cret", NULL), TCRP_CODE_NO_SUCH_ROOM);
	ck_assert_int_eq(join("lobby", "bob", "wrong", NULL), TCRP_CODE_BAD_PASSWORD);
	ck_assert_int_eq(join("lobby", "bob", "", NULL), TCRP_CODE_BAD_PASSWORD);
	ck_assert_int_eq(join("lobby", "bob", "s3cre", NULL), TCRP_CODE_BAD_PASSWORD);
	/* Wrong password wins over a taken name: names are not probeable. */
	ck_assert_int_eq(join("lobby", "alice", "wrong", NULL), TCRP_CODE_BAD_PASSWORD);
	ck_assert_int_eq(join("lobby", "alice", "s3cret", NULL), TCRP_CODE_NAME_TAKEN);
	ck_assert_int_eq(join("lobby", "bob", "s3cret", &bob), TCRP_CODE_OK);
	ck_assert(!bob->host);
	ck_assert_ptr_eq(bob->room, host->room);
	ck_assert_uint_eq(host->room->n_members, 2);
	ck_assert(memcmp(bob->token, host->token, OCM_TOKEN_LEN) != 0);
	ck_assert_ptr_eq(room_find_member(host->room, "bob"), bob);
}
END_TEST

START_TEST(passwordless_room_ignores_password)
{
	ck_assert_int_eq(create("open", "alice", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(join("open", "bob", "anything", NULL), TCRP_CODE_OK);
}
END_TEST

START_TEST(room_full_and_server_full)
{
	ck_assert_int_eq(create("r", "a", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(join("r", "b", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(join("r", "c", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(join("r", "d", "", NULL), TCRP_CODE_ROOM_FULL);

	struct registry_limits lim = { .max_rooms = 2, .max_members = 4,
		.max_members_per_room = 3 };
	registry_set_limits(reg, &lim);
	ck_assert_int_eq(create("s", "a", "", NULL), TCRP_CODE_OK);
	ck_assert_int_eq(create("t", "a", "", NULL), TCRP_CODE_SERVER_FULL);	/* rooms */
	lim.max_rooms = 10;
	registry_set_limits(reg, &lim);
	ck_assert_int_eq(create("t", "a", "", NULL), TCRP_CODE_SERVER_FULL);	/* members */
	ck_assert_int_eq(join("s", "b", "", NULL), TCRP_CODE_SERVER_FULL);
	ck_assert_uint_eq(reg->n_rooms, 2);
	ck_assert_uint_eq(reg->n_members, 4);
	ck_assert_uint_eq(reg->peak_members, 4);
}
END_TEST

START_TEST(member_free_updates_room_and_lookup)
{
	struct member *a, *b, *c;
	ck_assert_int_eq(create("r", "a", "", &a), TCRP_CODE_OK);
	ck_assert_int_eq(join("r", "b", "", &b), TCRP_CODE_OK);
	ck_assert_int_eq(join("r", "c", "", &c), TCRP_CODE_OK);
	struct room *room = a->room;
	ck_assert(registry_member_online(reg, b));
	ck_assert(!registry_member_online(reg, b));
	ck_assert_uint_eq(room->n_online, 1);
	ck_assert_uint_eq(reg->n_online, 1);

	uint8_t tok[OCM_TOKEN_LEN];
	memcpy(tok, b->token, sizeof(tok));
	registry_member_free(reg, b);
	ck_assert_ptr_null(registry_find_member(reg, tok));
	ck_assert_uint_eq(room->n_members, 2);
	ck_assert_uint_eq(room->n_online, 0);
	ck_assert_uint_eq(reg->n_online, 0);
	ck_assert_ptr_eq(TAILQ_FIRST(&room->members), a);
	ck_assert_ptr_eq(TAILQ_NEXT(a, room_link), c);
	ck_assert_ptr_eq(TAILQ_PREV(c, member_list, room_link), a);
	ck_assert_ptr_eq(TAILQ_LAST(&room->members, member_list), c);
	ck_assert_int_eq(join("r", "b", "", NULL), TCRP_CODE_OK);	/* name free again */

	registry_member_free(reg, a);
	ck_assert_ptr_null(room->host);
	registry_room_free(reg, room);
	ck_assert_uint_eq(reg->n_rooms, 0);
	ck_assert_uint_eq(reg->n_members, 0);
	ck_assert_ptr_null(registry_find_room(reg, (const uint8_t *)"r", 1));
	ck_assert_int_eq(create("r", "z", "", NULL), TCRP_CODE_OK);	/* name free again */
}
END_TEST

START_TEST(tables_grow_and_iterate)
{
	struct registry_limits lim = { .max_rooms = 5000, .max_members = 10000,
		.max_members_per_room = 3 };
	char name[16];
	static struct member *hosts[3000];
	registry_set_limits(reg, &lim);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "room-%d", i);
		ck_assert_int_eq(create(name, "host", "", &hosts[i]), TCRP_CODE_OK);
		ck_assert_int_eq(join(name, "guest", "", NULL), TCRP_CODE_OK);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "room-%d", i);
		ck_assert_ptr_eq(registry_find_room(reg, (const uint8_t *)name, strlen(name)),
		    hosts[i]->room);
		ck_assert_ptr_eq(registry_find_member(reg, hosts[i]->token), hosts[i]);
	}
	size_t seen = 0, members = 0;
	for (struct room *r = registry_first_room(reg); r; r = registry_next_room(reg, r)) {
		seen++;
		members += r->n_members;
	}
	ck_assert_uint_eq(seen, 3000);
	ck_assert_uint_eq(members, 6000);
	ck_assert_uint_eq(reg->n_members, 6000);
}
END_TEST

START_TEST(peer_ip_mapped_v4_equals_v4)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct peer_ip ip;
	char buf[64];
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr);
	peer_ip_from_sockaddr(&ip, (struct sockaddr *)&sin6);
	ck_assert(peer_ip_equal(&ip, &ip4));
	ck_assert_str_eq(peer_ip_str(&ip, buf, sizeof(buf)), "192.0.2.7");
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	peer_ip_from_sockaddr(&ip, (struct sockaddr *)&sin6);
	ck_assert(!peer_ip_equal(&ip, &ip4));
	ck_assert_str_eq(peer_ip_str(&ip, buf, sizeof(buf)), "2001:db8::1");
}
END_TEST

START_TEST(keys_install_contexts)
{
	struct member *m;
	struct udp_keys k;
	memset(k.c2s, 0x11, sizeof(k.c2s));
	memset(k.s2c, 0x22, sizeof(k.s2c));
	ck_assert_int_eq(create("r", "a", "", &m), TCRP_CODE_OK);
	registry_member_keys(m, &k);
	ck_assert(m->keyed);
	ck_assert_uint_eq(m->key_rx[0], 0x11);
	ck_assert_uint_eq(m->key_tx[31], 0x22);
	for (size_t i = 0; i < sizeof(k.c2s); i++)
		ck_assert_uint_eq(k.c2s[i] | k.s2c[i], 0);	/* wiped */
}
END_TEST

/* Workers: several registries against one daemon-wide member count, and
 * tokens chosen by the caller. */
START_TEST(shared_member_count_and_given_tokens)
{
	struct registry_limits lim = { .max_rooms = 10, .max_members = 3,
	    .max_members_per_room = 10 };
	_Atomic size_t shared = 0;
	struct registry *a = registry_new(&lim), *b = registry_new(&lim);
	struct tcrp_request r;
	struct member *m, *first;
	const char *why;
	const uint8_t *tok = (const uint8_t *)"00112233445566778899aabbccddeeff";

	a->shared_members = b->shared_members = &shared;
	r = req(1, "one", "alice", "");
	ck_assert_int_eq(registry_create(a, &r, &ip4, tok, 1000, &first, &why), TCRP_CODE_OK);
	ck_assert_mem_eq(first->token, tok, OCM_TOKEN_LEN);
	r = req(2, "one", "bob", "");
	/* The same token twice in one registry is refused, not shadowed. */
	ck_assert_int_eq(registry_join(a, &r, &ip4, tok, 1000, &m, &why), TCRP_CODE_INTERNAL);
	ck_assert_uint_eq(atomic_load(&shared), 1);
	ck_assert_int_eq(registry_join(a, &r, &ip4, NULL, 1000, &m, &why), TCRP_CODE_OK);
	r = req(1, "two", "carol", "");
	ck_assert_int_eq(registry_create(b, &r, &ip4, NULL, 1000, &m, &why), TCRP_CODE_OK);
	ck_assert_uint_eq(atomic_load(&shared), 3);
	/* b has one member of its own, but the daemon has three. */
	r = req(2, "two", "dave", "");
	ck_assert_int_eq(registry_join(b, &r, &ip4, NULL, 1000, &m, &why),
	    TCRP_CODE_SERVER_FULL);
	ck_assert_uint_eq(atomic_load(&shared), 3);
	registry_member_free(a, TAILQ_NEXT(first, room_link));
	ck_assert_uint_eq(atomic_load(&shared), 2);
	ck_assert_int_eq(registry_join(b, &r, &ip4, NULL, 1000, &m, &why), TCRP_CODE_OK);
	registry_free(a);
	registry_free(b);
	ck_assert_uint_eq(atomic_load(&shared), 0);
}
END_TEST

/* CPU time of this thread, in seconds: what other processes do meanwhile
 * does not count. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Freeing a registry (and so a worker's shutdown, which closes its rooms
 * the same way) walks the rooms once.  Taking the first room again after
 * each one freed scanned the emptied buckets anew every time: with
 * 100,000 rooms that took seconds, several times what making them took.
 */
START_TEST(free_walks_rooms_once)
{
	struct registry_limits lim = { .max_rooms = 100000, .max_members = 100000,
		.max_members_per_room = 1 };
	struct registry *big = registry_new(&lim);
	struct peer_ip ip = { .family = AF_INET };
	struct member *m;
	const char *why;
	char name[16];

	ck_assert_ptr_nonnull(big);
	double t0 = cpu_s();
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "room-%d", i);
		struct tcrp_request r = req(1, name, "host", "");
		ck_assert_int_eq(registry_create(big, &r, &ip, NULL, 1000, &m, &why),
		    TCRP_CODE_OK);
	}
	double t1 = cpu_s();
	registry_free(big);
	double t2 = cpu_s();
	ck_assert_msg(t2 - t1 < (t1 - t0) / 2,
	    "freeing 100,000 rooms took %.2f s of CPU, making them %.2f s", t2 - t1, t1 - t0);
}
END_TEST

static Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_makes_host_with_token);
	tcase_add_test(tc, create_existing_is_room_exists);
	tcase_add_test(tc, join_outcomes);
	tcase_add_test(tc, passwordless_room_ignores_password);
	tcase_add_test(tc, room_full_and_server_full);
	tcase_add_test(tc, member_free_updates_room_and_lookup);
	tcase_add_test(tc, tables_grow_and_iterate);
	tcase_add_test(tc, peer_ip_mapped_v4_equals_v4);
	tcase_add_test(tc, keys_install_contexts);
	tcase_add_test(tc, shared_member_count_and_given_tokens);
	suite_add_tcase(s, tc);
	tc = tcase_create("big");
	tcase_set_timeout(tc, 120);	/* slow under sanitizers */
	tcase_add_test(tc, free_walks_rooms_once);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(registry_suite)
