/*
 * check_cluster_msg.c: the cluster's JSON (lib/cluster_msg.c): room names
 * as KV keys, the ocm_rooms and ocm_nodes records, JOIN hand-offs and
 * their answers.  The exact JSON of each is pinned (other nodes, maybe of
 * another build, read it), each round-trips at its extremes, each parser
 * refuses a table of bad inputs with its exact error and leaves its output
 * alone, and a hand-off leaves no secret in memory it frees.
 */
#include <check.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cluster_msg.h"
#include "lib/ocm.h"
#include "lib/payload.h"
#include "lib/tcrp.h"
#include "tests/unit/util.h"

#define N_OF(a)	((int)(sizeof(a) / sizeof((a)[0])))

#define TOKEN_A	"9f86d081884c7d659a2feaa0c55ad015"
/* c2s = 00..1f, s2c = 20..3f */
#define KEYS_A	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

#define ROOM_JSON	"{\"v\":1,\"node\":\"n1\",\"epoch\":\"0123456789abcdef\"," \
			"\"worker\":0,\"password\":false,\"members\":3}"
#define NODE_JSON	"{\"v\":1,\"epoch\":\"0123456789abcdef\",\"udp_host\":\"192.0.2.1\"," \
			"\"started_ms\":1700000000000,\"rooms\":2,\"members\":5}"
#define JOIN_JSON	"{\"v\":1,\"room\":\"lobby\",\"user\":\"bob\",\"password\":\"pw\"," \
			"\"token\":\"" TOKEN_A "\",\"keys\":\"" KEYS_A "\",\"ip\":\"192.0.2.7\"," \
			"\"from\":\"n2\"}"
#define REPLY_JSON	"{\"v\":1,\"code\":\"ok\",\"message\":\"\",\"complete\":\"{\\\"a\\\":1}\"}"

/* ---- helpers ---- */

/* n bytes of c and a NUL, malloc'ed. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static int
parse_room(const uint8_t *b, size_t n, void *out)
{
	return cluster_room_parse(b, n, out);
}

static int
parse_node(const uint8_t *b, size_t n, void *out)
{
	return cluster_node_parse(b, n, out);
}

static int
parse_join(const uint8_t *b, size_t n, void *out)
{
	return cluster_join_parse(b, n, out);
}

static int
parse_reply(const uint8_t *b, size_t n, void *out)
{
	int err = cluster_join_reply_parse(b, n, out);

	if (err == 0)
		cluster_join_reply_clear(out);
	return err;
}

enum which { ROOM, NODE, JOIN, REPLY };

static const struct {
	int (*parse)(const uint8_t *, size_t, void *);
	const char *base;	/* a valid message the tables alter */
	size_t max;		/* the most a parser reads */
} parsers[] = {
	[ROOM] = { parse_room, ROOM_JSON, CLUSTER_MSG_MAX },
	[NODE] = { parse_node, NODE_JSON, CLUSTER_MSG_MAX },
	[JOIN] = { parse_join, JOIN_JSON, CLUSTER_MSG_MAX },
	[REPLY] = { parse_reply, REPLY_JSON, CLUSTER_REPLY_MAX },
};

union any_msg {
	struct cluster_room room;
	struct cluster_node node;
	struct cluster_join join;
	struct cluster_join_reply reply;
};

/* Parses text with parser w into a poisoned output; checks that an error
 * leaves it poisoned.  Returns the parser's result. */
static int
parse_poisoned(enum which w, const char *text, size_t len)
{
	union any_msg out, poison;
	int err;

	memset(&out, 0xa5, sizeof(out));
	memset(&poison, 0xa5, sizeof(poison));
	err = parsers[w].parse((const uint8_t *)text, len, &out);
	if (err < 0)
		ck_assert_mem_eq(&out, &poison, sizeof(out));
	return err;
}

/* The base message of w with member set to value (JSON text, '@' standing
 * for fill bytes of 'a'), or removed when value is NULL.  Malloc'ed. */
static char *
mutate(enum which w, const char *member, const char *value, size_t fill)
{
	json_t *o = json_loads(parsers[w].base, JSON_ALLOW_NUL, NULL);
	char *text;

	ck_assert_ptr_nonnull(o);
	if (value == NULL) {
		ck_assert_int_eq(json_object_del(o, member), 0);
	} else {
		const char *at = strchr(value, '@');
		char *v = malloc(strlen(value) + fill + 1), *a = repeat('a', fill);

		ck_assert_ptr_nonnull(v);
		if (at != NULL)
			sprintf(v, "%.*s%s%s", (int)(at - value), value, a, at + 1);
		else
			strcpy(v, value);
		json_t *jv = json_loads(v, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		ck_assert_msg(jv != NULL, "bad test value %s", value);
		ck_assert_int_eq(json_object_set_new(o, member, jv), 0);
		free(v);
		free(a);
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* ---- names and KV keys ---- */

START_TEST(node_names)
{
	static const struct {
		const char *s;
		size_t len;	/* 0: strlen */
		bool ok;
	} cases[] = {
		{ "n1", 0, true },
		{ "A-z_0-9", 0, true },
		{ "-", 0, true },
		{ "", 0, false },
		{ "n 1", 0, false },
		{ "n.1", 0, false },
		{ "n/1", 0, false },
		{ "caf\xc3\xa9", 0, false },
		{ "n\0001", 3, false },
	};
	char *max = repeat('x', CLUSTER_NODE_MAX - 1);

	for (int i = 0; i < N_OF(cases); i++)
		ck_assert_msg(cluster_node_valid(cases[i].s, cases[i].len ? cases[i].len :
		    strlen(cases[i].s)) == cases[i].ok, "case %d", i);
	ck_assert(cluster_node_valid(max, CLUSTER_NODE_MAX - 1));
	ck_assert(!cluster_node_valid(max, CLUSTER_NODE_MAX));
	ck_assert(!cluster_node_valid(NULL, 0));
	free(max);
}
END_TEST

START_TEST(key_exact)
{
	char key[CLUSTER_KEY_MAX], name[OCM_NAME_MAX + 1];
	size_t len = 0;

	ck_assert_uint_eq(cluster_room_key("lobby", 5, key), 10);
	ck_assert_str_eq(key, "6c6f626279");
	ck_assert_uint_eq(cluster_room_key("Caf\xc3\xa9 #1", 8, key), 16);
	ck_assert_str_eq(key, "436166c3a9202331");
	ck_assert_int_eq(cluster_room_key_decode(key, 16, name, &len), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_str_eq(name, "Caf\xc3\xa9 #1");
	/* Not a room name's length: no key. */
	ck_assert_uint_eq(cluster_room_key("", 0, key), 0);
	ck_assert_str_eq(key, "");
	ck_assert_uint_eq(cluster_room_key(key, OCM_NAME_MAX + 1, key), 0);
}
END_TEST

START_TEST(key_longest)
{
	char *room = repeat('\xff', OCM_NAME_MAX);
	char key[CLUSTER_KEY_MAX], name[OCM_NAME_MAX + 1];
	size_t len = 0;

	/* 255 bytes of 'a' then 'z': the longest name, both digit kinds. */
	memset(room, 'a', OCM_NAME_MAX - 1);
	room[OCM_NAME_MAX - 1] = 'z';
	ck_assert_uint_eq(cluster_room_key(room, OCM_NAME_MAX, key), 2 * OCM_NAME_MAX);
	ck_assert_uint_eq(strlen(key), 2 * OCM_NAME_MAX);
	ck_assert_str_eq(key + 2 * OCM_NAME_MAX - 4, "617a");
	ck_assert_int_eq(cluster_room_key_decode(key, strlen(key), name, &len), 0);
	ck_assert_uint_eq(len, OCM_NAME_MAX);
	ck_assert_str_eq(name, room);
	free(room);
}
END_TEST

static const char *const bad_keys[] = {
	"",
	"6",			/* odd */
	"6c6f626",		/* odd */
	"6C6F",			/* uppercase */
	"6c6G",
	"6c 6f",
	"0a",			/* a control character */
	"610062",		/* a NUL inside */
	"617f",			/* DEL */
	"ff",			/* not UTF-8 */
	"c3",			/* a cut sequence */
	"c0af",			/* overlong */
	NULL,			/* 256 bytes once decoded: filled in below */
};

START_TEST(key_refused)
{
	char name[OCM_NAME_MAX + 1], poison[OCM_NAME_MAX + 1];
	char *long_key = NULL;
	const char *key = bad_keys[_i];
	size_t len = 7;

	if (key == NULL) {
		long_key = malloc(2 * (OCM_NAME_MAX + 1) + 1);
		ck_assert_ptr_nonnull(long_key);
		for (int i = 0; i <= OCM_NAME_MAX; i++)
			memcpy(long_key + 2 * i, "61", 3);
		key = long_key;
	}
	memset(name, 0x5a, sizeof(name));
	memcpy(poison, name, sizeof(name));
	ck_assert_int_eq(cluster_room_key_decode(key, strlen(key), name, &len),
	    -OCM_E_BAD_NAME);
	ck_assert_mem_eq(name, poison, sizeof(name));
	ck_assert_uint_eq(len, 7);
	free(long_key);
}
END_TEST

/* ---- ocm_rooms ---- */

START_TEST(room_exact)
{
	struct cluster_room r = { .epoch = 0x0123456789abcdefULL, .members = 3 };
	size_t len = 0;
	char *s;

	strcpy(r.node, "n1");
	s = cluster_room_build(&r, &len);
	ck_assert_str_eq(s, ROOM_JSON);
	ck_assert_uint_eq(len, strlen(ROOM_JSON));
	free(s);
	r.free = true;
	s = cluster_room_build(&r, &len);
	ck_assert_str_eq(s, "{\"v\":1,\"free\":true}");
	ck_assert_uint_eq(len, strlen(s));
	free(s);
}
END_TEST

START_TEST(room_round_trip)
{
	static const struct cluster_room cases[] = {
		{ .epoch = 0, .worker = 0, .password = false, .members = 0 },
		{ .epoch = UINT64_MAX, .worker = CLUSTER_WORKERS - 1, .password = true,
		  .members = UINT32_MAX },
		{ .epoch = 1ULL << 63, .worker = 17, .password = true, .members = 1 },
	};
	struct cluster_room a = cases[_i], b;
	size_t len = 0;
	char *s, *node = repeat(_i == 1 ? 'Z' : '-', _i == 2 ? 1 : CLUSTER_NODE_MAX - 1);

	strcpy(a.node, node);
	ck_assert_ptr_nonnull(s = cluster_room_build(&a, &len));
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(cluster_room_parse((const uint8_t *)s, len, &b), 0);
	ck_assert(!b.free);
	ck_assert_str_eq(b.node, node);
	ck_assert_uint_eq(b.epoch, a.epoch);
	ck_assert_uint_eq(b.worker, a.worker);
	ck_assert_int_eq(b.password, a.password);
	ck_assert_uint_eq(b.members, a.members);
	free(s);
	free(node);
}
END_TEST

/* Each of these means the name is free, whatever else it says. */
static const char *const free_rooms[] = {
	"",
	"{}",
	" { } ",
	"{\"v\":1,\"free\":true}",
	"{\"v\":1,\"free\":true,\"node\":\"not a node\",\"worker\":999}",
	"{\"free\":true,\"v\":1,\"later\":[1,2]}",
};

START_TEST(room_free)
{
	struct cluster_room r;

	memset(&r, 0xa5, sizeof(r));
	ck_assert_int_eq(cluster_room_parse((const uint8_t *)free_rooms[_i],
	    strlen(free_rooms[_i]), &r), 0);
	ck_assert(r.free);
	ck_assert_str_eq(r.node, "");
	ck_assert_uint_eq(r.epoch, 0);
	ck_assert_uint_eq(r.members, 0);
	/* The empty value needs no buffer. */
	ck_assert_int_eq(cluster_room_parse(NULL, 0, &r), 0);
	ck_assert(r.free);
}
END_TEST

START_TEST(room_not_free)
{
	struct cluster_room r;
	const char *s = "{\"v\":1,\"free\":false,\"node\":\"n1\",\"epoch\":\"00000000000000ff\","
	    "\"worker\":63,\"password\":true,\"members\":4294967295,\"later\":{\"x\":1}}";

	ck_assert_int_eq(cluster_room_parse((const uint8_t *)s, strlen(s), &r), 0);
	ck_assert(!r.free);
	ck_assert_str_eq(r.node, "n1");
	ck_assert_uint_eq(r.epoch, 255);
	ck_assert_uint_eq(r.worker, 63);
	ck_assert(r.password);
	ck_assert_uint_eq(r.members, UINT32_MAX);
}
END_TEST

START_TEST(room_build_refuses)
{
	struct cluster_room r = { .members = 1 };
	size_t len = 0;

	ck_assert_ptr_null(cluster_room_build(&r, &len));		/* no node */
	strcpy(r.node, "n 1");
	ck_assert_ptr_null(cluster_room_build(&r, &len));
	memset(r.node, 'n', sizeof(r.node));				/* no NUL */
	ck_assert_ptr_null(cluster_room_build(&r, &len));
	strcpy(r.node, "n1");
	r.worker = CLUSTER_WORKERS;
	ck_assert_ptr_null(cluster_room_build(&r, &len));
}
END_TEST

/* ---- ocm_nodes ---- */

START_TEST(node_exact)
{
	struct cluster_node n = {
		.epoch = 0x0123456789abcdefULL, .started_ms = 1700000000000ULL,
		.rooms = 2, .members = 5,
	};
	size_t len = 0;
	char *s;

	strcpy(n.udp_host, "192.0.2.1");
	s = cluster_node_build(&n, &len);
	ck_assert_str_eq(s, NODE_JSON);
	ck_assert_uint_eq(len, strlen(NODE_JSON));
	free(s);
}
END_TEST

START_TEST(node_round_trip)
{
	static const struct cluster_node cases[] = {
		{ .epoch = 0, .started_ms = 0, .rooms = 0, .members = 0 },
		{ .epoch = UINT64_MAX, .started_ms = INT64_MAX, .rooms = UINT32_MAX,
		  .members = UINT32_MAX },
	};
	static const char *const hosts[] = { "2001:db8::1", NULL, "chat.example.org" };
	struct cluster_node a = cases[_i % 2], b;
	char *host = hosts[_i] != NULL ? strdup(hosts[_i]) : repeat('h', 255);
	size_t len = 0;
	char *s;

	strcpy(a.udp_host, host);
	ck_assert_ptr_nonnull(s = cluster_node_build(&a, &len));
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(cluster_node_parse((const uint8_t *)s, len, &b), 0);
	ck_assert_uint_eq(b.epoch, a.epoch);
	ck_assert_str_eq(b.udp_host, host);
	ck_assert_uint_eq(b.started_ms, a.started_ms);
	ck_assert_uint_eq(b.rooms, a.rooms);
	ck_assert_uint_eq(b.members, a.members);
	free(s);
	free(host);
}
END_TEST

START_TEST(node_build_refuses)
{
	struct cluster_node n = { .epoch = 1 };
	size_t len = 0;

	ck_assert_ptr_null(cluster_node_build(&n, &len));		/* no host */
	strcpy(n.udp_host, "a b");
	ck_assert_ptr_null(cluster_node_build(&n, &len));
	strcpy(n.udp_host, "a\tb");
	ck_assert_ptr_null(cluster_node_build(&n, &len));
	memset(n.udp_host, 'h', sizeof(n.udp_host));			/* 256, no NUL */
	ck_assert_ptr_null(cluster_node_build(&n, &len));
	strcpy(n.udp_host, "h");
	n.started_ms = (uint64_t)INT64_MAX + 1;
	ck_assert_ptr_null(cluster_node_build(&n, &len));
}
END_TEST

/* ---- JOIN hand-offs ---- */

static void
join_fill(struct cluster_join *j)
{
	memset(j, 0, sizeof(*j));
	j->req.operation = TCRP_OP_JOIN_ROOM;
	strcpy(j->req.room, "lobby");
	j->req.room_len = 5;
	strcpy(j->req.user, "bob");
	j->req.user_len = 3;
	strcpy(j->req.password, "pw");
	j->req.password_len = 2;
	strcpy(j->token, TOKEN_A);
	for (int i = 0; i < OCM_KEY_LEN; i++) {
		j->keys.c2s[i] = (uint8_t)i;
		j->keys.s2c[i] = (uint8_t)(OCM_KEY_LEN + i);
	}
	strcpy(j->ip, "192.0.2.7");
	strcpy(j->from, "n2");
}

static void
join_assert_eq(const struct cluster_join *a, const struct cluster_join *b)
{
	ck_assert_uint_eq(b->req.operation, TCRP_OP_JOIN_ROOM);
	ck_assert_uint_eq(b->req.room_len, a->req.room_len);
	ck_assert_mem_eq(b->req.room, a->req.room, a->req.room_len + 1);
	ck_assert_uint_eq(b->req.user_len, a->req.user_len);
	ck_assert_mem_eq(b->req.user, a->req.user, a->req.user_len + 1);
	ck_assert_uint_eq(b->req.password_len, a->req.password_len);
	ck_assert_mem_eq(b->req.password, a->req.password, a->req.password_len);
	ck_assert_str_eq(b->token, a->token);
	ck_assert_mem_eq(&b->keys, &a->keys, sizeof(a->keys));
	ck_assert_str_eq(b->from, a->from);
}

START_TEST(join_exact)
{
	struct cluster_join j, b;
	size_t len = 0;
	char *s;

	join_fill(&j);
	s = cluster_join_build(&j, &len);
	ck_assert_str_eq(s, JOIN_JSON);
	ck_assert_uint_eq(len, strlen(JOIN_JSON));
	ck_assert_int_eq(cluster_join_parse((const uint8_t *)s, len, &b), 0);
	join_assert_eq(&j, &b);
	ck_assert_str_eq(b.ip, "192.0.2.7");
	free(s);
}
END_TEST

/* The longest names, the longest password with NULs in it, an empty
 * password, and IPs in spellings that are not inet_ntop()'s. */
START_TEST(join_round_trip)
{
	static const struct {
		const char *ip, *normal;
	} ips[] = {
		{ "2001:DB8:0:0:0:0:0:7", "2001:db8::7" },
		{ "::ffff:192.0.2.7", "::ffff:192.0.2.7" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "255.255.255.255", "255.255.255.255" },
	};
	struct cluster_join a, b;
	size_t len = 0;
	char *s;

	join_fill(&a);
	memset(a.req.room, 'r', OCM_NAME_MAX);
	a.req.room_len = OCM_NAME_MAX;
	memset(a.req.user, 'u', OCM_NAME_MAX);
	a.req.user_len = OCM_NAME_MAX;
	a.req.password_len = _i == 1 ? 0 : OCM_PASSWORD_MAX;
	memset(a.req.password, 'p', a.req.password_len);
	if (_i != 1) {
		a.req.password[0] = '\0';
		a.req.password[500] = '\0';
		a.req.password[OCM_PASSWORD_MAX - 1] = '\0';
	}
	memset(a.keys.s2c, 0xff, sizeof(a.keys.s2c));
	strcpy(a.ip, ips[_i].ip);
	strcpy(a.from, "Node_9-x");
	ck_assert_ptr_nonnull(s = cluster_join_build(&a, &len));
	ck_assert_ptr_nonnull(strstr(s, ips[_i].normal));
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(cluster_join_parse((const uint8_t *)s, len, &b), 0);
	join_assert_eq(&a, &b);
	ck_assert_str_eq(b.ip, ips[_i].normal);
	free(s);
}
END_TEST

/* What the other node wrote is normalised too. */
START_TEST(join_ip_normalised)
{
	struct cluster_join j;
	char *s = mutate(JOIN, "ip", "\"2001:0db8:0000::00ff\"", 0);

	ck_assert_int_eq(cluster_join_parse((const uint8_t *)s, strlen(s), &j), 0);
	ck_assert_str_eq(j.ip, "2001:db8::ff");
	free(s);
}
END_TEST

START_TEST(join_build_refuses)
{
	struct cluster_join j;
	size_t len = 0;

	join_fill(&j);
	j.req.operation = TCRP_OP_CREATE_ROOM;
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	j.req.room_len = 0;
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	strcpy(j.req.user, "b\x01");
	j.req.user_len = 2;
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	j.req.password_len = OCM_PASSWORD_MAX + 1;
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	j.token[0] = 'F';
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	strcpy(j.ip, "?");		/* what peer_ip_str() writes when it fails */
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	memset(j.ip, '1', sizeof(j.ip));
	ck_assert_ptr_null(cluster_join_build(&j, &len));
	join_fill(&j);
	j.from[0] = '\0';
	ck_assert_ptr_null(cluster_join_build(&j, &len));
}
END_TEST

/*
 * No block jansson or the codec frees may hold the password, the token or
 * the keys: building must wipe every copy it made, and parsing must wipe
 * the decoded strings (the parser's raw scratch, which starts with a
 * quote, is the allocator's business: see cluster_msg.h).
 */
#define SECRET_PW	"correct-horse-battery-staple"
static int unwiped;
static bool whole_block;	/* look anywhere in a block, not only at its start */

static bool
block_has(const char *p, size_t n, const char *secret)
{
	size_t len = strlen(secret);

	if (!whole_block)
		return n >= len && memcmp(p, secret, len) == 0;
	return memmem(p, n, secret, len) != NULL;
}

static void
watching_free(void *p)
{
	static const char *const secrets[] = { SECRET_PW, TOKEN_A, "0001020304050607" };
	size_t n = p != NULL ? malloc_usable_size(p) : 0;

	for (int i = 0; i < N_OF(secrets); i++)
		if (n > 0 && block_has(p, n, secrets[i]))
			unwiped++;
	free(p);
}

START_TEST(join_secrets_wiped)
{
	struct cluster_join j, b;
	size_t len = 0;
	char *s;

	join_fill(&j);
	strcpy(j.req.password, SECRET_PW);
	j.req.password_len = strlen(SECRET_PW);
	unwiped = 0;
	whole_block = true;
	json_set_alloc_funcs(malloc, watching_free);
	s = cluster_join_build(&j, &len);
	json_set_alloc_funcs(malloc, free);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(unwiped, 0);

	whole_block = false;
	json_set_alloc_funcs(malloc, watching_free);
	int err = cluster_join_parse((const uint8_t *)s, len, &b);
	json_set_alloc_funcs(malloc, free);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(unwiped, 0);
	free(s);
}
END_TEST

/* Refused late (at "from"), after the secrets were decoded. */
START_TEST(join_secrets_wiped_refused)
{
	struct cluster_join b;
	char *s = mutate(JOIN, "password", "\"" SECRET_PW "\"", 0), *t;
	json_t *o = json_loads(s, 0, NULL);

	json_object_set_new(o, "from", json_string("not a node"));
	t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	unwiped = 0;
	whole_block = false;
	json_set_alloc_funcs(malloc, watching_free);
	int err = cluster_join_parse((const uint8_t *)t, strlen(t), &b);
	json_set_alloc_funcs(malloc, free);
	ck_assert_int_eq(err, -OCM_E_BAD_NAME);
	ck_assert_int_eq(unwiped, 0);
	free(s);
	free(t);
}
END_TEST

/* ---- join replies ---- */

START_TEST(reply_exact)
{
	static char complete[] = "{\"a\":1}";
	struct cluster_join_reply r = { .code = TCRP_CODE_OK };
	size_t len = 0;
	char *s;

	r.complete = complete;
	r.complete_len = strlen(r.complete);
	s = cluster_join_reply_build(&r, &len);
	ck_assert_str_eq(s, REPLY_JSON);
	ck_assert_uint_eq(len, strlen(REPLY_JSON));
	free(s);
	/* A refusal carries no session, even when given one. */
	r.code = TCRP_CODE_ROOM_FULL;
	strcpy(r.message, "room 'x' is full");
	s = cluster_join_reply_build(&r, &len);
	ck_assert_str_eq(s, "{\"v\":1,\"code\":\"room_full\",\"message\":\"room 'x' is full\"}");
	free(s);
}
END_TEST

START_TEST(reply_codes)
{
	static char empty[] = "{}";
	struct cluster_join_reply a = { .code = (enum tcrp_code)_i }, b;
	size_t len = 0;
	char *s;

	snprintf(a.message, sizeof(a.message), "code %d", _i);
	if (_i == TCRP_CODE_OK) {
		a.complete = empty;
		a.complete_len = 2;
	}
	ck_assert_ptr_nonnull(s = cluster_join_reply_build(&a, &len));
	ck_assert_int_eq(cluster_join_reply_parse((const uint8_t *)s, len, &b), 0);
	ck_assert_int_eq(b.code, a.code);
	ck_assert_str_eq(b.message, a.message);
	if (_i == TCRP_CODE_OK) {
		ck_assert_uint_eq(b.complete_len, 2);
		ck_assert_str_eq(b.complete, "{}");
	} else {
		ck_assert_ptr_null(b.complete);
		ck_assert_uint_eq(b.complete_len, 0);
	}
	cluster_join_reply_clear(&b);
	cluster_join_reply_clear(&b);
	cluster_join_reply_clear(NULL);
	free(s);
}
END_TEST

/* The largest COMPLETE, in bytes that JSON escapes the most, NULs and all;
 * the longest message. */
START_TEST(reply_largest)
{
	static const char fills[] = { '\x01', '"', 'x' };
	struct cluster_join_reply a = { .code = TCRP_CODE_OK }, b;
	size_t len = 0;
	char *s;

	a.complete = repeat(fills[_i], CLUSTER_COMPLETE_MAX);
	a.complete[0] = '\0';
	a.complete_len = CLUSTER_COMPLETE_MAX;
	memset(a.message, 'm', sizeof(a.message) - 1);
	ck_assert_ptr_nonnull(s = cluster_join_reply_build(&a, &len));
	ck_assert_uint_le(len, CLUSTER_REPLY_MAX);
	ck_assert_int_eq(cluster_join_reply_parse((const uint8_t *)s, len, &b), 0);
	ck_assert_uint_eq(b.complete_len, CLUSTER_COMPLETE_MAX);
	ck_assert_mem_eq(b.complete, a.complete, CLUSTER_COMPLETE_MAX);
	ck_assert_uint_eq(b.complete[CLUSTER_COMPLETE_MAX], '\0');
	ck_assert_str_eq(b.message, a.message);
	cluster_join_reply_clear(&b);
	free(a.complete);
	free(s);
}
END_TEST

/* The message reaches people: control characters and broken UTF-8 come
 * out as '?', both ways. */
START_TEST(reply_message_sanitised)
{
	struct cluster_join_reply a = { .code = TCRP_CODE_NO_SUCH_ROOM }, b;
	const char *in = "{\"v\":1,\"code\":\"bad_password\",\"message\":\"a\\u001b[2Jb\\u0000c\"}";
	size_t len = 0;
	char *s;

	ck_assert_int_eq(cluster_join_reply_parse((const uint8_t *)in, strlen(in), &b), 0);
	ck_assert_int_eq(b.code, TCRP_CODE_BAD_PASSWORD);
	ck_assert_str_eq(b.message, "a?[2Jb?c");
	/* A message cut inside a character, as snprintf() may leave it. */
	strcpy(a.message, "caf\xc3\xa9 \xc3");
	ck_assert_ptr_nonnull(s = cluster_join_reply_build(&a, &len));
	ck_assert_int_eq(cluster_join_reply_parse((const uint8_t *)s, len, &b), 0);
	ck_assert_str_eq(b.message, "caf\xc3\xa9 ?");
	free(s);
}
END_TEST

START_TEST(reply_build_refuses)
{
	struct cluster_join_reply r = { .code = TCRP_CODE_OK };
	size_t len = 0;
	char *big = repeat('x', CLUSTER_COMPLETE_MAX + 1);

	ck_assert_ptr_null(cluster_join_reply_build(&r, &len));	/* OK, no COMPLETE */
	r.complete = big;
	ck_assert_ptr_null(cluster_join_reply_build(&r, &len));	/* length 0 */
	r.complete_len = CLUSTER_COMPLETE_MAX + 1;
	ck_assert_ptr_null(cluster_join_reply_build(&r, &len));
	r.complete_len = CLUSTER_COMPLETE_MAX;
	r.code = TCRP_CODE_MAX_;
	ck_assert_ptr_null(cluster_join_reply_build(&r, &len));
	free(big);
}
END_TEST

/* ---- what every parser refuses ---- */

static const struct {
	enum which w;
	const char *member;
	const char *value;	/* JSON; NULL: the member removed */
	size_t fill;		/* bytes of 'a' for an '@' in value */
	int err;
} bad_members[] = {
	{ ROOM, "v", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "v", "2", 0, -OCM_E_BAD_VERSION },
	{ ROOM, "v", "\"1\"", 0, -OCM_E_BAD_VERSION },
	{ ROOM, "v", "1.0", 0, -OCM_E_BAD_VERSION },
	{ ROOM, "node", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "node", "7", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "node", "\"\"", 0, -OCM_E_BAD_NAME },
	{ ROOM, "node", "\"n 1\"", 0, -OCM_E_BAD_NAME },
	{ ROOM, "node", "\"n.1\"", 0, -OCM_E_BAD_NAME },
	{ ROOM, "node", "\"n\\u00001\"", 0, -OCM_E_BAD_NAME },
	{ ROOM, "node", "\"@\"", CLUSTER_NODE_MAX, -OCM_E_BAD_NAME },
	{ ROOM, "epoch", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "epoch", "81985529216486895", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"0123456789ABCDEF\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"0123456789abcde\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"0123456789abcdef0\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"0123456789abcdeg\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"-123456789abcdef\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "epoch", "\"\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "worker", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "worker", "64", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "worker", "-1", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "worker", "\"0\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "worker", "1.5", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "worker", "null", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "password", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "password", "\"false\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "password", "0", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "members", NULL, 0, -OCM_E_MISSING_FIELD },
	{ ROOM, "members", "-1", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "members", "4294967296", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "members", "1e3", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "free", "\"yes\"", 0, -OCM_E_BAD_FIELD },
	{ ROOM, "free", "1", 0, -OCM_E_BAD_FIELD },

	{ NODE, "v", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "v", "2", 0, -OCM_E_BAD_VERSION },
	{ NODE, "epoch", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "epoch", "\"0123456789abcdeF\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "udp_host", "5", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"a b\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"a\\u0001b\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"a\\u007f\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"a\\u0000b\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "udp_host", "\"@\"", 256, -OCM_E_BAD_FIELD },
	{ NODE, "started_ms", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "started_ms", "-1", 0, -OCM_E_BAD_FIELD },
	{ NODE, "started_ms", "\"1\"", 0, -OCM_E_BAD_FIELD },
	{ NODE, "rooms", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "rooms", "4294967296", 0, -OCM_E_BAD_FIELD },
	{ NODE, "members", NULL, 0, -OCM_E_MISSING_FIELD },
	{ NODE, "members", "-1", 0, -OCM_E_BAD_FIELD },

	{ JOIN, "v", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "v", "2", 0, -OCM_E_BAD_VERSION },
	{ JOIN, "room", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "room", "1", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "room", "\"\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "room", "\"a\\u0001\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "room", "\"a\\u0000b\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "room", "\"@\"", OCM_NAME_MAX + 1, -OCM_E_BAD_NAME },
	{ JOIN, "user", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "user", "null", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "user", "\"\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "user", "\"@\"", OCM_NAME_MAX + 1, -OCM_E_BAD_NAME },
	{ JOIN, "password", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "password", "5", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "password", "\"@\"", OCM_PASSWORD_MAX + 1, -OCM_E_BAD_FIELD },
	{ JOIN, "token", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "token", "5", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "token", "\"9F86D081884C7D659A2FEAA0C55AD015\"", 0, -OCM_E_BAD_TOKEN },
	{ JOIN, "token", "\"9f86d081884c7d659a2feaa0c55ad01\"", 0, -OCM_E_BAD_TOKEN },
	{ JOIN, "token", "\"9f86d081884c7d659a2feaa0c55ad0150\"", 0, -OCM_E_BAD_TOKEN },
	{ JOIN, "keys", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "keys", "5", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@\"", 127, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@\"", 129, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@\"", 126, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@\"", 130, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@AB\"", 126, -OCM_E_BAD_FIELD },
	{ JOIN, "keys", "\"@zz\"", 126, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "ip", "7", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"\"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"192.0.2.300\"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"192.0.2.7\\u0000x\"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"[::1]\"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"::1 \"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "ip", "\"fe80::1%eth0\"", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "from", NULL, 0, -OCM_E_MISSING_FIELD },
	{ JOIN, "from", "2", 0, -OCM_E_BAD_FIELD },
	{ JOIN, "from", "\"\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "from", "\"n 2\"", 0, -OCM_E_BAD_NAME },
	{ JOIN, "from", "\"@\"", CLUSTER_NODE_MAX, -OCM_E_BAD_NAME },

	{ REPLY, "v", NULL, 0, -OCM_E_MISSING_FIELD },
	{ REPLY, "v", "2", 0, -OCM_E_BAD_VERSION },
	{ REPLY, "code", NULL, 0, -OCM_E_MISSING_FIELD },
	{ REPLY, "code", "0", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "code", "\"OK\"", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "code", "\"nope\"", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "code", "\"ok\\u0000x\"", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "message", NULL, 0, -OCM_E_MISSING_FIELD },
	{ REPLY, "message", "5", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "message", "\"@\"", 512, -OCM_E_BAD_FIELD },
	{ REPLY, "complete", NULL, 0, -OCM_E_MISSING_FIELD },
	{ REPLY, "complete", "\"\"", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "complete", "5", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "complete", "{\"a\":1}", 0, -OCM_E_BAD_FIELD },
	{ REPLY, "complete", "\"@\"", CLUSTER_COMPLETE_MAX + 1, -OCM_E_BAD_FIELD },
};

START_TEST(member_refused)
{
	char *s = mutate(bad_members[_i].w, bad_members[_i].member, bad_members[_i].value,
	    bad_members[_i].fill);

	ck_assert_msg(parse_poisoned(bad_members[_i].w, s, strlen(s)) == bad_members[_i].err,
	    "%s: %s", bad_members[_i].member, s);
	free(s);
}
END_TEST

/* The alterations that are fine: a later version's members, an empty
 * password, the longest names and fields. */
static const struct {
	enum which w;
	const char *member;
	const char *value;
	size_t fill;
} good_members[] = {
	{ ROOM, "later", "{\"x\":[1]}", 0 },
	{ ROOM, "node", "\"@\"", CLUSTER_NODE_MAX - 1 },
	{ NODE, "udp_host", "\"@\"", 255 },
	{ NODE, "udp_host", "\"caf\\u00e9.example\"", 0 },
	{ JOIN, "password", "\"\"", 0 },
	{ JOIN, "password", "\"@\\u0000\"", OCM_PASSWORD_MAX - 1 },
	{ JOIN, "room", "\"@\"", OCM_NAME_MAX },
	{ JOIN, "ip", "\"::\"", 0 },
	{ JOIN, "later", "true", 0 },
	{ REPLY, "message", "\"@\"", 511 },
	{ REPLY, "complete", "\"@\"", CLUSTER_COMPLETE_MAX },
};

START_TEST(member_accepted)
{
	char *s = mutate(good_members[_i].w, good_members[_i].member, good_members[_i].value,
	    good_members[_i].fill);

	ck_assert_msg(parse_poisoned(good_members[_i].w, s, strlen(s)) == 0, "%s", s);
	free(s);
}
END_TEST

static const struct {
	enum which w;
	const char *text;
	int err;
} bad_inputs[] = {
	{ ROOM, "{\"v\":1,\"node\":\"n1\"", -OCM_E_BAD_JSON },
	{ ROOM, "[1]", -OCM_E_BAD_JSON },
	{ ROOM, "null", -OCM_E_BAD_JSON },
	{ ROOM, "{\"v\":1,\"v\":1,\"free\":true}", -OCM_E_BAD_JSON },
	{ ROOM, "{}{}", -OCM_E_BAD_JSON },
	{ ROOM, "{\"free\":true}", -OCM_E_MISSING_FIELD },
	{ ROOM, "{\"v\":2,\"free\":true}", -OCM_E_BAD_VERSION },
	{ ROOM, "{\"v\":1}", -OCM_E_MISSING_FIELD },
	{ NODE, "", -OCM_E_BAD_JSON },
	{ NODE, "{", -OCM_E_BAD_JSON },
	{ NODE, "\"v\"", -OCM_E_BAD_JSON },
	{ NODE, "{}", -OCM_E_MISSING_FIELD },
	{ NODE, "{\"v\":1,\"epoch\":\"0123456789abcdef\",\"udp_host\":\"\xff\"}", -OCM_E_BAD_JSON },
	{ NODE, "{\"v\":1,\"started_ms\":99999999999999999999}", -OCM_E_BAD_JSON },
	{ JOIN, "", -OCM_E_BAD_JSON },
	{ JOIN, "{\"v\":1,\"room\":\"lobby\",\"user\":\"b", -OCM_E_BAD_JSON },
	{ JOIN, "{}", -OCM_E_MISSING_FIELD },
	{ JOIN, "{\"v\":2}", -OCM_E_BAD_VERSION },
	{ JOIN, "[]", -OCM_E_BAD_JSON },
	{ REPLY, "", -OCM_E_BAD_JSON },
	{ REPLY, "{\"v\":1,\"code\":\"ok\"", -OCM_E_BAD_JSON },
	{ REPLY, "{}", -OCM_E_MISSING_FIELD },
	{ REPLY, "{\"v\":1,\"code\":\"room_full\",\"message\":\"x\",\"complete\":\"{}\"}",
	  -OCM_E_BAD_FIELD },
	{ REPLY, "{\"v\":1,\"code\":\"ok\",\"code\":\"ok\",\"message\":\"\",\"complete\":\"{}\"}",
	  -OCM_E_BAD_JSON },
};

START_TEST(input_refused)
{
	const char *s = bad_inputs[_i].text;

	ck_assert_msg(parse_poisoned(bad_inputs[_i].w, s, strlen(s)) == bad_inputs[_i].err,
	    "%s", s);
}
END_TEST

/* The base message padded with spaces to the limit parses; one byte more
 * is refused before it is read. */
START_TEST(input_too_large)
{
	size_t max = parsers[_i].max, base = strlen(parsers[_i].base);
	char *s = repeat(' ', max + 1);

	memcpy(s, parsers[_i].base, base);
	ck_assert_int_eq(parse_poisoned((enum which)_i, s, max), 0);
	ck_assert_int_eq(parse_poisoned((enum which)_i, s, max + 1), -OCM_E_TOO_LARGE);
	free(s);
}
END_TEST

static Suite *
cluster_msg_suite(void)
{
	Suite *s = suite_create("cluster_msg");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, node_names);
	tcase_add_test(tc, key_exact);
	tcase_add_test(tc, key_longest);
	tcase_add_loop_test(tc, key_refused, 0, N_OF(bad_keys));
	suite_add_tcase(s, tc);

	tc = tcase_create("room");
	tcase_add_test(tc, room_exact);
	tcase_add_loop_test(tc, room_round_trip, 0, 3);
	tcase_add_loop_test(tc, room_free, 0, N_OF(free_rooms));
	tcase_add_test(tc, room_not_free);
	tcase_add_test(tc, room_build_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("node");
	tcase_add_test(tc, node_exact);
	tcase_add_loop_test(tc, node_round_trip, 0, 3);
	tcase_add_test(tc, node_build_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("join");
	tcase_add_test(tc, join_exact);
	tcase_add_loop_test(tc, join_round_trip, 0, 4);
	tcase_add_test(tc, join_ip_normalised);
	tcase_add_test(tc, join_build_refuses);
	tcase_add_test(tc, join_secrets_wiped);
	tcase_add_test(tc, join_secrets_wiped_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_test(tc, reply_exact);
	tcase_add_loop_test(tc, reply_codes, 0, TCRP_CODE_MAX_);
	tcase_add_loop_test(tc, reply_largest, 0, 3);
	tcase_add_test(tc, reply_message_sanitised);
	tcase_add_test(tc, reply_build_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_loop_test(tc, member_refused, 0, N_OF(bad_members));
	tcase_add_loop_test(tc, member_accepted, 0, N_OF(good_members));
	tcase_add_loop_test(tc, input_refused, 0, N_OF(bad_inputs));
	tcase_add_loop_test(tc, input_too_large, 0, N_OF(parsers));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cluster_msg_suite)
