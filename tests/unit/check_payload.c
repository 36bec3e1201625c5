/*
 * check_payload.c: the TCRP JSON payloads: REQUEST parsing against every
 * rule of doc/protocol.md 5.2 (table-driven bad inputs, each with its exact
 * error), the wire code table, and build-then-parse round trips of the
 * RESPONSE, session COMPLETE and LIST_ROOMS COMPLETE payloads.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ocm.h"
#include "lib/payload.h"
#include "lib/tcrp.h"
#include "tests/unit/util.h"

#define TOKEN_A	"9f86d081884c7d659a2feaa0c55ad015"

/* Copies tmpl into out with its one '@' replaced by n bytes of 'a', so a
 * table can describe names and passwords of any length. */
static size_t
expand(const char *tmpl, size_t n, char *out, size_t cap)
{
	const char *at = strchr(tmpl, '@');
	size_t len;

	if (at == NULL) {
		len = strlen(tmpl);
		ck_assert_uint_lt(len, cap);
		memcpy(out, tmpl, len + 1);
		return len;
	}
	len = (size_t)(at - tmpl) + n + strlen(at + 1);
	ck_assert_uint_lt(len, cap);
	memcpy(out, tmpl, (size_t)(at - tmpl));
	memset(out + (at - tmpl), 'a', n);
	strcpy(out + (at - tmpl) + n, at + 1);
	return len;
}

static int
parse(uint8_t op, const char *room, const char *payload, struct tcrp_request *req,
    const char **why)
{
	return tcrp_request_parse(op, TCRP_STATE_REQUEST, (const uint8_t *)room, strlen(room),
	    (const uint8_t *)payload, strlen(payload), req, why);
}

/* ---- REQUEST: accepted ---- */

START_TEST(request_create)
{
	struct tcrp_request req;
	const char *why = "untouched";

	ck_assert_int_eq(parse(TCRP_OP_CREATE_ROOM, "lobby",
	    "{\"version\": 1, \"user_name\": \"alice\", \"password\": \"s3cret\"}", &req, &why), 0);
	ck_assert_str_eq(why, "untouched");
	ck_assert_uint_eq(req.operation, TCRP_OP_CREATE_ROOM);
	ck_assert_uint_eq(req.room_len, 5);
	ck_assert_str_eq(req.room, "lobby");
	ck_assert_uint_eq(req.user_len, 5);
	ck_assert_str_eq(req.user, "alice");
	ck_assert_uint_eq(req.password_len, 6);
	ck_assert_str_eq(req.password, "s3cret");
}
END_TEST

/* No password means "", and unknown members are ignored. */
START_TEST(request_join_defaults)
{
	struct tcrp_request req;

	ck_assert_int_eq(parse(TCRP_OP_JOIN_ROOM, "caf\xc3\xa9",
	    "{\"user_name\":\"b\xc3\xb6\x62\",\"extra\":[1,{}],\"version\":1}", &req, NULL), 0);
	ck_assert_uint_eq(req.operation, TCRP_OP_JOIN_ROOM);
	ck_assert_str_eq(req.room, "caf\xc3\xa9");
	ck_assert_uint_eq(req.room_len, 5);
	ck_assert_str_eq(req.user, "b\xc3\xb6\x62");
	ck_assert_uint_eq(req.user_len, 4);
	ck_assert_uint_eq(req.password_len, 0);
	ck_assert_str_eq(req.password, "");
}
END_TEST

/* A password is bytes: an escaped NUL is kept, and counted. */
START_TEST(request_password_nul)
{
	struct tcrp_request req;

	ck_assert_int_eq(parse(TCRP_OP_JOIN_ROOM, "r",
	    "{\"version\":1,\"user_name\":\"u\",\"password\":\"a\\u0000b\"}", &req, NULL), 0);
	ck_assert_uint_eq(req.password_len, 3);
	ck_assert_mem_eq(req.password, "a\0b", 3);
}
END_TEST

/*
 * jansson frees the password's string value when the request is parsed;
 * by then it must hold nothing of the password, accepted or refused.  (A
 * free hook sees each block jansson frees; the value's block starts with
 * the password, the parser's scratch copies with a quote.)
 */
static const char *watched_pw;
static int unwiped_frees;

static void
watching_free(void *p)
{
	if (p != NULL && strncmp(p, watched_pw, strlen(watched_pw)) == 0)
		unwiped_frees++;
	free(p);
}

static const char *const password_payloads[] = {
	"{\"version\":1,\"user_name\":\"u\",\"password\":\"hunter2-but-longer\"}",
	/* Refused at user_name, before the password is looked at. */
	"{\"version\":1,\"user_name\":\"a\\u0001b\",\"password\":\"hunter2-but-longer\"}",
	"{\"password\":\"hunter2-but-longer\",\"version\":7,\"user_name\":\"u\"}",
};

START_TEST(request_password_wiped)
{
	struct tcrp_request req;

	watched_pw = "hunter2-but-longer";
	unwiped_frees = 0;
	json_set_alloc_funcs(malloc, watching_free);
	int r = parse(TCRP_OP_JOIN_ROOM, "r", password_payloads[_i], &req, NULL);
	json_set_alloc_funcs(malloc, free);
	ck_assert_int_eq(r == 0, _i == 0);
	ck_assert_int_eq(unwiped_frees, 0);
}
END_TEST

START_TEST(request_list)
{
	struct tcrp_request req;

	memset(&req, 0xaa, sizeof(req));
	ck_assert_int_eq(parse(TCRP_OP_LIST_ROOMS, "", "{\"version\":1}", &req, NULL), 0);
	ck_assert_uint_eq(req.operation, TCRP_OP_LIST_ROOMS);
	ck_assert_uint_eq(req.room_len, 0);
	ck_assert_str_eq(req.room, "");
	ck_assert_uint_eq(req.user_len, 0);
	ck_assert_str_eq(req.user, "");
	ck_assert_uint_eq(req.password_len, 0);
	/* No "after": from the first room; no "limit": the most. */
	ck_assert_uint_eq(req.after_len, 0);
	ck_assert_str_eq(req.after, "");
	ck_assert_uint_eq(req.limit, TCRP_LIST_LIMIT_MAX);
	/* user_name is not needed, and when present is not looked at. */
	ck_assert_int_eq(parse(TCRP_OP_LIST_ROOMS, "", "{\"version\":1,\"user_name\":7}",
	    &req, NULL), 0);
}
END_TEST

/* "after" any room name (1 and 255 bytes, UTF-8), "limit" 1..1000. */
START_TEST(request_list_page)
{
	static const struct {
		size_t after_fill;	/* bytes of 'a' for '@' */
		const char *payload;
		const char *after;	/* NULL: the fill */
		unsigned limit;
	} ok[] = {
		{ 0, "{\"version\":1,\"after\":\"lobby\",\"limit\":50}", "lobby", 50 },
		{ 0, "{\"limit\":1,\"version\":1}", "", 1 },
		{ 0, "{\"version\":1,\"limit\":1000,\"after\":\"caf\\u00e9\"}", "caf\xc3\xa9", 1000 },
		{ 1, "{\"version\":1,\"after\":\"@\"}", NULL, TCRP_LIST_LIMIT_MAX },
		{ 255, "{\"version\":1,\"after\":\"@\",\"limit\":999}", NULL, 999 },
	};
	char payload[600], fill[300];
	struct tcrp_request req;

	expand(ok[_i].payload, ok[_i].after_fill, payload, sizeof(payload));
	expand("@", ok[_i].after_fill, fill, sizeof(fill));
	ck_assert_int_eq(parse(TCRP_OP_LIST_ROOMS, "", payload, &req, NULL), 0);
	ck_assert_str_eq(req.after, ok[_i].after != NULL ? ok[_i].after : fill);
	ck_assert_uint_eq(req.after_len, strlen(req.after));
	ck_assert_uint_eq(req.limit, ok[_i].limit);
	/* For CREATE and JOIN they are unknown members, so ignored. */
	ck_assert_int_eq(parse(TCRP_OP_JOIN_ROOM, "r",
	    "{\"version\":1,\"user_name\":\"u\",\"after\":1,\"limit\":0}", &req, NULL), 0);
	ck_assert_uint_eq(req.after_len, 0);
	ck_assert_uint_eq(req.limit, 0);
}
END_TEST

/* Names of exactly 1 and 255 bytes, a password of exactly 1024. */
START_TEST(request_boundaries)
{
	static const size_t name_lens[] = { 1, 255 };
	char room[300], payload[1500];
	struct tcrp_request req;
	size_t n = name_lens[_i];

	expand("@", n, room, sizeof(room));
	expand("{\"version\":1,\"user_name\":\"@\",\"password\":\"\"}", n, payload,
	    sizeof(payload));
	ck_assert_int_eq(parse(TCRP_OP_CREATE_ROOM, room, payload, &req, NULL), 0);
	ck_assert_uint_eq(req.room_len, n);
	ck_assert_uint_eq(req.user_len, n);
	ck_assert_uint_eq(strlen(req.room), n);
	ck_assert_uint_eq(strlen(req.user), n);
	expand("{\"version\":1,\"user_name\":\"u\",\"password\":\"@\"}", 1024, payload,
	    sizeof(payload));
	ck_assert_int_eq(parse(TCRP_OP_JOIN_ROOM, room, payload, &req, NULL), 0);
	ck_assert_uint_eq(req.password_len, 1024);
	ck_assert_uint_eq(strlen(req.password), 1024);
}
END_TEST

/* ---- REQUEST: refused, each with its exact error ---- */

static const struct bad_request {
	const char *label;
	uint8_t op;
	uint8_t state;
	const char *room;	/* '@' expands to fill bytes of 'a' */
	const char *payload;	/* likewise */
	size_t fill;
	int err;
	const char *why;
} bad_requests[] = {
	{ "truncated JSON", 1, 0, "r", "{\"version\":1,\"user_name\":\"al", 0, -OCM_E_BAD_JSON,
	  "payload is not one JSON object" },
	{ "empty payload", 1, 0, "r", "", 0, -OCM_E_BAD_JSON, NULL },
	{ "not an object", 1, 0, "r", "\"version\"", 0, -OCM_E_BAD_JSON, NULL },
	{ "number", 3, 0, "", "1", 0, -OCM_E_BAD_JSON, NULL },
	{ "array", 1, 0, "r", "[{\"version\":1,\"user_name\":\"u\"}]", 0, -OCM_E_BAD_JSON, NULL },
	{ "trailing garbage", 1, 0, "r", "{\"version\":1,\"user_name\":\"u\"} x", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "two objects", 3, 0, "", "{\"version\":1}{\"version\":1}", 0, -OCM_E_BAD_JSON, NULL },
	{ "duplicate key", 1, 0, "r", "{\"version\":1,\"user_name\":\"u\",\"user_name\":\"v\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "duplicate version", 3, 0, "", "{\"version\":1,\"version\":1}", 0, -OCM_E_BAD_JSON, NULL },
	{ "invalid UTF-8 in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"a\xff\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "overlong UTF-8 in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"\xc0\xaf\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "lone surrogate in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"\\ud800\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "raw control char in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"a\x01\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
	{ "escaped control char in user_name", 1, 0, "r",
	  "{\"version\":1,\"user_name\":\"a\\u0001\"}", 0, -OCM_E_BAD_NAME,
	  "user_name is not UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F)" },
	{ "DEL in user_name", 2, 0, "r", "{\"version\":1,\"user_name\":\"a\\u007f\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	/* C1 controls are not names either (doc/protocol.md 2.1). */
	{ "C1 CSI in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"a\\u009b\"}", 0,
	  -OCM_E_BAD_NAME,
	  "user_name is not UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F)" },
	{ "raw C1 NEL in user_name", 2, 0, "r", "{\"version\":1,\"user_name\":\"a\xc2\x85\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "C1 U+0080 in user_name", 2, 0, "r", "{\"version\":1,\"user_name\":\"\\u0080\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "tab in user_name", 2, 0, "r", "{\"version\":1,\"user_name\":\"a\\tb\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "NUL in user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"a\\u0000b\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "empty user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"\"}", 0, -OCM_E_BAD_NAME,
	  "user_name is empty" },
	{ "256-byte user_name", 1, 0, "r", "{\"version\":1,\"user_name\":\"@\"}", 256,
	  -OCM_E_BAD_NAME, "user_name is longer than 255 bytes" },
	{ "user_name missing", 1, 0, "r", "{\"version\":1,\"password\":\"p\"}", 0,
	  -OCM_E_MISSING_FIELD, "user_name is missing" },
	{ "user_name number", 2, 0, "r", "{\"version\":1,\"user_name\":5}", 0, -OCM_E_BAD_FIELD,
	  "user_name is not a string" },
	{ "user_name null", 2, 0, "r", "{\"version\":1,\"user_name\":null}", 0, -OCM_E_BAD_FIELD,
	  NULL },
	{ "1025-byte password", 1, 0, "r", "{\"version\":1,\"user_name\":\"u\",\"password\":\"@\"}",
	  1025, -OCM_E_TOO_LARGE, "password is longer than 1024 bytes" },
	{ "password number", 2, 0, "r", "{\"version\":1,\"user_name\":\"u\",\"password\":1234}", 0,
	  -OCM_E_BAD_FIELD, "password is not a string" },
	{ "password null", 2, 0, "r", "{\"version\":1,\"user_name\":\"u\",\"password\":null}", 0,
	  -OCM_E_BAD_FIELD, NULL },
	{ "version 2", 1, 0, "r", "{\"version\":2,\"user_name\":\"u\"}", 0, -OCM_E_BAD_VERSION,
	  "version is not 1" },
	{ "version \"1\"", 1, 0, "r", "{\"version\":\"1\",\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_VERSION, NULL },
	{ "version 1.0", 1, 0, "r", "{\"version\":1.0,\"user_name\":\"u\"}", 0, -OCM_E_BAD_VERSION,
	  NULL },
	{ "version 0", 3, 0, "", "{\"version\":0}", 0, -OCM_E_BAD_VERSION, NULL },
	{ "version true", 3, 0, "", "{\"version\":true}", 0, -OCM_E_BAD_VERSION, NULL },
	{ "version missing", 1, 0, "r", "{\"user_name\":\"u\"}", 0, -OCM_E_MISSING_FIELD,
	  "version is missing" },
	/* The version is judged before the names, so a later client learns that. */
	{ "version 2 and bad names", 1, 0, "", "{\"version\":2}", 0, -OCM_E_BAD_VERSION, NULL },
	{ "state RESPONSE", 1, 1, "r", "{\"version\":1,\"user_name\":\"u\"}", 0, -OCM_E_BAD_STATE,
	  "state is not REQUEST" },
	{ "state COMPLETE", 3, 2, "", "{\"version\":1}", 0, -OCM_E_BAD_STATE, NULL },
	{ "state 9", 3, 9, "", "{\"version\":1}", 0, -OCM_E_BAD_STATE, NULL },
	{ "operation 0", 0, 0, "r", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_OPERATION, "unknown operation" },
	{ "operation 4", 4, 0, "r", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_OPERATION, NULL },
	{ "LIST with a room name", 3, 0, "lobby", "{\"version\":1}", 0, -OCM_E_BAD_NAME,
	  "LIST_ROOMS takes no room name" },
	{ "CREATE without room name", 1, 0, "", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_NAME, "room name is empty" },
	{ "JOIN without room name", 2, 0, "", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "256-byte room name", 1, 0, "@", "{\"version\":1,\"user_name\":\"u\"}", 256,
	  -OCM_E_BAD_NAME, "room name is longer than 255 bytes" },
	{ "room name with newline", 2, 0, "a\nb", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_NAME,
	  "room name is not UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F)" },
	{ "room name bad UTF-8", 2, 0, "a\xed\xa0\x80", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "room name with C1", 1, 0, "a\xc2\x9f", "{\"version\":1,\"user_name\":\"u\"}", 0,
	  -OCM_E_BAD_NAME,
	  "room name is not UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F)" },
	/* LIST_ROOMS pages (doc/protocol.md 5.5): "after" a room name, "limit" 1..1000. */
	{ "after empty", 3, 0, "", "{\"version\":1,\"after\":\"\"}", 0, -OCM_E_BAD_NAME,
	  "after is empty" },
	{ "256-byte after", 3, 0, "", "{\"version\":1,\"after\":\"@\"}", 256, -OCM_E_BAD_NAME,
	  "after is longer than 255 bytes" },
	{ "after with control", 3, 0, "", "{\"version\":1,\"after\":\"a\\u001b\"}", 0,
	  -OCM_E_BAD_NAME,
	  "after is not UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F)" },
	{ "after with NUL", 3, 0, "", "{\"version\":1,\"after\":\"a\\u0000\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "after with C1", 3, 0, "", "{\"version\":1,\"after\":\"a\\u0085\"}", 0,
	  -OCM_E_BAD_NAME, NULL },
	{ "after number", 3, 0, "", "{\"version\":1,\"after\":5}", 0, -OCM_E_BAD_FIELD,
	  "after is not a string" },
	{ "after null", 3, 0, "", "{\"version\":1,\"after\":null}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "after array", 3, 0, "", "{\"version\":1,\"after\":[\"a\"]}", 0, -OCM_E_BAD_FIELD,
	  NULL },
	{ "limit 0", 3, 0, "", "{\"version\":1,\"limit\":0}", 0, -OCM_E_BAD_FIELD,
	  "limit is not an integer from 1 to 1000" },
	{ "limit 1001", 3, 0, "", "{\"version\":1,\"limit\":1001}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "limit -1", 3, 0, "", "{\"version\":1,\"limit\":-1}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "limit 2^63", 3, 0, "", "{\"version\":1,\"limit\":9223372036854775807}", 0,
	  -OCM_E_BAD_FIELD, NULL },
	{ "limit 10.0", 3, 0, "", "{\"version\":1,\"limit\":10.0}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "limit \"10\"", 3, 0, "", "{\"version\":1,\"limit\":\"10\"}", 0, -OCM_E_BAD_FIELD,
	  NULL },
	{ "limit true", 3, 0, "", "{\"version\":1,\"limit\":true}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "limit null", 3, 0, "", "{\"version\":1,\"limit\":null}", 0, -OCM_E_BAD_FIELD, NULL },
	{ "good after, bad limit", 3, 0, "", "{\"version\":1,\"after\":\"a\",\"limit\":0}", 0,
	  -OCM_E_BAD_FIELD, NULL },
	{ "duplicate after", 3, 0, "", "{\"version\":1,\"after\":\"a\",\"after\":\"b\"}", 0,
	  -OCM_E_BAD_JSON, NULL },
};

START_TEST(request_refused)
{
	const struct bad_request *t = &bad_requests[_i];
	char room[300], payload[1500];
	struct tcrp_request req, before;
	const char *why = NULL;
	size_t room_len, payload_len;
	int err;

	/* A fill applies to the template that holds the '@'. */
	room_len = expand(t->room, t->fill, room, sizeof(room));
	payload_len = expand(t->payload, t->fill, payload, sizeof(payload));
	memset(&req, 0x5a, sizeof(req));
	memcpy(&before, &req, sizeof(req));
	err = tcrp_request_parse(t->op, t->state, (const uint8_t *)room, room_len,
	    (const uint8_t *)payload, payload_len, &req, &why);
	ck_assert_msg(err == t->err, "%s: got %d (%s), want %d", t->label, err,
	    ocm_strerror(err), t->err);
	ck_assert_mem_eq(&req, &before, sizeof(req));
	ck_assert_ptr_nonnull(why);
	if (t->why != NULL)
		ck_assert_str_eq(why, t->why);
	/* Without a why pointer the answer is the same. */
	ck_assert_int_eq(tcrp_request_parse(t->op, t->state, (const uint8_t *)room, room_len,
	    (const uint8_t *)payload, payload_len, &req, NULL), t->err);
}
END_TEST

/* A payload above the limit is refused without being read. */
START_TEST(request_too_large)
{
	static uint8_t big[TCRP_MAX_PAYLOAD + 1];
	struct tcrp_request req;
	const char *why = NULL;

	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"version\":1}", 13);
	ck_assert_int_eq(tcrp_request_parse(3, 0, NULL, 0, big, TCRP_MAX_PAYLOAD, &req, &why), 0);
	ck_assert_int_eq(tcrp_request_parse(3, 0, NULL, 0, big, sizeof(big), &req, &why),
	    -OCM_E_TOO_LARGE);
	ck_assert_str_eq(why, "payload is larger than 65536 bytes");
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_TOO_LARGE), TCRP_CODE_BAD_REQUEST);
}
END_TEST

START_TEST(request_build_round_trip)
{
	struct tcrp_request in = { .operation = TCRP_OP_CREATE_ROOM, .room_len = 5,
	    .user_len = 5, .password_len = 4 }, out;
	size_t len = 0;
	char *json;

	memcpy(in.room, "lobby", 6);
	memcpy(in.user, "alice", 6);
	memcpy(in.password, "p\0\"w", 4);
	json = tcrp_request_build(&in, &len);
	ck_assert_ptr_nonnull(json);
	ck_assert_uint_eq(len, strlen(json));
	ck_assert_str_eq(json, "{\"version\":1,\"user_name\":\"alice\",\"password\":\"p\\u0000\\\"w\"}");
	ck_assert_int_eq(tcrp_request_parse(in.operation, 0, (const uint8_t *)in.room, in.room_len,
	    (const uint8_t *)json, len, &out, NULL), 0);
	ck_assert_uint_eq(out.operation, in.operation);
	ck_assert_uint_eq(out.room_len, 5);
	ck_assert_str_eq(out.room, "lobby");
	ck_assert_uint_eq(out.user_len, 5);
	ck_assert_str_eq(out.user, "alice");
	ck_assert_uint_eq(out.password_len, 4);
	ck_assert_mem_eq(out.password, "p\0\"w", 4);
	free(json);

	in.operation = TCRP_OP_LIST_ROOMS;
	json = tcrp_request_build(&in, &len);
	ck_assert_str_eq(json, "{\"version\":1}");
	ck_assert_uint_eq(len, 13);
	free(json);

	/* A later page: "after" and "limit" when set, and back again. */
	memcpy(in.after, "lob\"by", 7);
	in.after_len = 6;
	in.limit = 50;
	json = tcrp_request_build(&in, &len);
	ck_assert_str_eq(json, "{\"version\":1,\"after\":\"lob\\\"by\",\"limit\":50}");
	ck_assert_int_eq(tcrp_request_parse(in.operation, 0, NULL, 0, (const uint8_t *)json, len,
	    &out, NULL), 0);
	ck_assert_uint_eq(out.after_len, 6);
	ck_assert_str_eq(out.after, "lob\"by");
	ck_assert_uint_eq(out.limit, 50);
	free(json);
	in.limit = 0;
	json = tcrp_request_build(&in, &len);
	ck_assert_str_eq(json, "{\"version\":1,\"after\":\"lob\\\"by\"}");
	free(json);
	in.after_len = 0;
	in.limit = TCRP_LIST_LIMIT_MAX;
	json = tcrp_request_build(&in, &len);
	ck_assert_str_eq(json, "{\"version\":1,\"limit\":1000}");
	free(json);
}
END_TEST

START_TEST(request_build_refuses)
{
	struct tcrp_request in = { .operation = TCRP_OP_JOIN_ROOM, .user_len = 0 };
	size_t len = 77;

	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	memcpy(in.user, "a\x01", 3);
	in.user_len = 2;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	in.user_len = 1;
	in.password_len = OCM_PASSWORD_MAX + 1;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	in.password_len = 1;
	in.password[0] = (char)0xff;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	in.password[0] = 'x';
	in.operation = 9;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	in.operation = TCRP_OP_LIST_ROOMS;
	in.limit = TCRP_LIST_LIMIT_MAX + 1;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	in.limit = 1;
	memcpy(in.after, "a\n", 3);
	in.after_len = 2;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	ck_assert_uint_eq(len, 77);
	/* A user name with C1 is no name. */
	in.operation = TCRP_OP_JOIN_ROOM;
	memcpy(in.user, "a\xc2\x9b", 4);
	in.user_len = 3;
	ck_assert_ptr_null(tcrp_request_build(&in, &len));
	ck_assert_uint_eq(len, 77);
}
END_TEST

/* ---- wire codes ---- */

static const char *const code_strings[TCRP_CODE_MAX_] = {
	"ok", "bad_request", "unsupported_version", "room_exists", "no_such_room",
	"bad_password", "name_taken", "room_full", "server_full", "rate_limited",
	"unavailable", "internal",
};

START_TEST(code_strings_round_trip)
{
	ck_assert_str_eq(tcrp_code_str((enum tcrp_code)_i), code_strings[_i]);
	ck_assert_int_eq(tcrp_code_parse(code_strings[_i]), _i);
}
END_TEST

START_TEST(code_edges)
{
	ck_assert_ptr_null(tcrp_code_str(TCRP_CODE_MAX_));
	ck_assert_ptr_null(tcrp_code_str((enum tcrp_code)-1));
	ck_assert_int_eq(tcrp_code_parse("OK"), -1);
	ck_assert_int_eq(tcrp_code_parse("bad_request "), -1);
	ck_assert_int_eq(tcrp_code_parse(""), -1);
	ck_assert_int_eq(tcrp_code_parse(NULL), -1);
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_BAD_VERSION), TCRP_CODE_UNSUPPORTED_VERSION);
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_BAD_JSON), TCRP_CODE_BAD_REQUEST);
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_BAD_NAME), TCRP_CODE_BAD_REQUEST);
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_MISSING_FIELD), TCRP_CODE_BAD_REQUEST);
	ck_assert_int_eq(tcrp_code_from_error(-OCM_E_BAD_STATE), TCRP_CODE_BAD_REQUEST);
}
END_TEST

/* ---- RESPONSE ---- */

START_TEST(response_round_trip)
{
	struct tcrp_response r;
	size_t len = 0;
	char *json = tcrp_response_build((enum tcrp_code)_i, "wrong password for room 'lobby'",
	    &len);

	ck_assert_ptr_nonnull(json);
	ck_assert_uint_eq(len, strlen(json));
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, len, &r), 0);
	ck_assert_int_eq(r.code, _i);
	if (_i == TCRP_CODE_OK) {
		ck_assert_str_eq(json, "{\"status\":\"ok\"}");
		ck_assert_str_eq(r.message, "");
	} else {
		ck_assert_str_eq(r.message, "wrong password for room 'lobby'");
	}
	free(json);
}
END_TEST

START_TEST(response_build_exact)
{
	size_t len = 0;
	char *json = tcrp_response_build(TCRP_CODE_BAD_PASSWORD, "no", &len);

	ck_assert_str_eq(json, "{\"status\":\"error\",\"code\":\"bad_password\",\"message\":\"no\"}");
	free(json);
	/* Without a message the code stands in, so people see something. */
	json = tcrp_response_build(TCRP_CODE_ROOM_FULL, NULL, &len);
	ck_assert_str_eq(json, "{\"status\":\"error\",\"code\":\"room_full\",\"message\":\"room_full\"}");
	free(json);
	ck_assert_ptr_null(tcrp_response_build(TCRP_CODE_MAX_, "x", &len));
	ck_assert_ptr_null(tcrp_response_build(TCRP_CODE_INTERNAL, "bad \xff", &len));
}
END_TEST

static const struct {
	const char *json;
	int err;
} bad_responses[] = {
	{ "", -OCM_E_BAD_JSON },
	{ "[\"ok\"]", -OCM_E_BAD_JSON },
	{ "{\"status\":\"ok\",\"status\":\"ok\"}", -OCM_E_BAD_JSON },
	{ "{}", -OCM_E_MISSING_FIELD },
	{ "{\"status\":1}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"fine\"}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"ok\\u0000\"}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"error\"}", -OCM_E_MISSING_FIELD },
	{ "{\"status\":\"error\",\"code\":\"nope\"}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"error\",\"code\":\"ok\"}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"error\",\"code\":\"internal\\u0000x\"}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"error\",\"code\":3}", -OCM_E_BAD_FIELD },
	{ "{\"status\":\"error\",\"code\":\"internal\",\"message\":[]}", -OCM_E_BAD_FIELD },
};

START_TEST(response_refused)
{
	struct tcrp_response r, before;

	memset(&r, 0x5a, sizeof(r));
	memcpy(&before, &r, sizeof(r));
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)bad_responses[_i].json,
	    strlen(bad_responses[_i].json), &r), bad_responses[_i].err);
	ck_assert_mem_eq(&r, &before, sizeof(r));
}
END_TEST

/* A RESPONSE whose message is k bytes of 'x', then tail. */
static size_t
message_json(char *out, size_t cap, size_t k, const char *tail)
{
	static const char head[] = "{\"status\":\"error\",\"code\":\"internal\",\"message\":\"";
	size_t n = sizeof(head) - 1;

	ck_assert_uint_lt(n + k + strlen(tail) + 2, cap);
	memcpy(out, head, n);
	memset(out + n, 'x', k);
	n += k;
	n += (size_t)snprintf(out + n, cap - n, "%s\"}", tail);
	return n;
}

/* Controls become '?', so a message cannot drive a terminal. */
START_TEST(response_message_controls)
{
	static const char json[] = "{\"status\":\"error\",\"code\":\"internal\","
	    "\"message\":\"a\\u001b[2Jb\\u0000c\\u007f\"}";
	struct tcrp_response r;

	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, sizeof(json) - 1, &r), 0);
	ck_assert_str_eq(r.message, "a?[2Jb?c?");
	ck_assert_int_eq(r.code, TCRP_CODE_INTERNAL);
}
END_TEST

/* Long messages are cut to 511 bytes on a character boundary. */
START_TEST(response_message_truncated)
{
	char json[1200];
	struct tcrp_response r;
	size_t n;

	/* A 2-byte character at 510..511 would straddle the cut: dropped. */
	n = message_json(json, sizeof(json), 510, "\xc3\xa9zz");
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, n, &r), 0);
	ck_assert_uint_eq(strlen(r.message), 510);
	/* At 509..510 it fits whole. */
	n = message_json(json, sizeof(json), 509, "\xc3\xa9zz");
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, n, &r), 0);
	ck_assert_uint_eq(strlen(r.message), 511);
	ck_assert_str_eq(r.message + 509, "\xc3\xa9");
	/* Exactly 511 ASCII bytes are kept, 512 lose one. */
	n = message_json(json, sizeof(json), 511, "");
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, n, &r), 0);
	ck_assert_uint_eq(strlen(r.message), 511);
	n = message_json(json, sizeof(json), 512, "");
	ck_assert_int_eq(tcrp_response_parse((const uint8_t *)json, n, &r), 0);
	ck_assert_uint_eq(strlen(r.message), 511);
}
END_TEST

/* ---- session COMPLETE ---- */

static void
session_example(struct tcrp_session *s, char **names, size_t n)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->token, TOKEN_A, sizeof(TOKEN_A));
	s->udp_port = 7600;
	s->keepalive_s = 10;
	s->timeout_s = 30;
	s->max_datagram = 4096;
	s->host = true;
	s->members = names;
	s->n_members = n;
}

static void
assert_session_eq(const struct tcrp_session *a, const struct tcrp_session *b)
{
	ck_assert_str_eq(a->token, b->token);
	ck_assert_uint_eq(a->udp_port, b->udp_port);
	ck_assert_str_eq(a->udp_host, b->udp_host);
	ck_assert_uint_eq(a->keepalive_s, b->keepalive_s);
	ck_assert_uint_eq(a->timeout_s, b->timeout_s);
	ck_assert_uint_eq(a->max_datagram, b->max_datagram);
	ck_assert_int_eq(a->host, b->host);
	ck_assert_int_eq(a->members_more, b->members_more);
	ck_assert_uint_eq(a->n_members, b->n_members);
	for (size_t i = 0; i < a->n_members; i++)
		ck_assert_str_eq(a->members[i], b->members[i]);
}

START_TEST(session_exact)
{
	char alice[] = "alice";
	char *names[] = { alice };
	struct tcrp_session s;
	size_t len = 0;
	char *json;

	session_example(&s, names, 1);
	json = tcrp_session_build(&s, &len);
	ck_assert_str_eq(json, "{\"token\":\"" TOKEN_A "\",\"udp_port\":7600,"
	    "\"cipher\":\"chacha20-poly1305\",\"keepalive_s\":10,\"timeout_s\":30,"
	    "\"max_datagram\":4096,\"host\":true,\"members\":[\"alice\"]}");
	ck_assert_uint_eq(len, strlen(json));
	free(json);
	memcpy(s.udp_host, "relay.example", 14);
	s.host = false;
	json = tcrp_session_build(&s, &len);
	ck_assert_ptr_nonnull(strstr(json, ",\"host\":false,"));
	ck_assert_ptr_nonnull(strstr(json, "],\"udp_host\":\"relay.example\"}"));
	free(json);
	/* members_more only when the list was cut. */
	s.members_more = true;
	json = tcrp_session_build(&s, &len);
	ck_assert_ptr_nonnull(strstr(json, "\"udp_host\":\"relay.example\",\"members_more\":true}"));
	free(json);
}
END_TEST

/* 0, 1 and 3 members, each with and without udp_host, and extreme values. */
START_TEST(session_round_trip)
{
	char a[] = "alice", b[] = "b\xc3\xb6\x62", c[] = "\xe2\x82\xac";
	char *names[] = { a, b, c };
	size_t n = (size_t)_i / 2 == 2 ? 3 : (size_t)_i / 2;
	struct tcrp_session in, out;
	size_t len = 0;
	char *json;

	session_example(&in, names, n);
	if (_i % 2) {
		memcpy(in.udp_host, "2001:db8::1", 12);
		in.udp_port = 65535;
		in.keepalive_s = 1;
		in.timeout_s = UINT32_MAX;
		in.max_datagram = 65507;
	} else {
		in.udp_port = 1;
		in.max_datagram = 64;
		in.host = false;
		in.members_more = n > 0;
	}
	json = tcrp_session_build(&in, &len);
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(tcrp_session_parse((const uint8_t *)json, len, &out), 0);
	assert_session_eq(&in, &out);
	if (n == 0)
		ck_assert_ptr_null(out.members);
	tcrp_session_clear(&out);
	ck_assert_ptr_null(out.members);
	ck_assert_uint_eq(out.n_members, 0);
	tcrp_session_clear(&out);
	tcrp_session_clear(NULL);
	free(json);
}
END_TEST

START_TEST(session_build_refuses)
{
	char ok[] = "ok", bad[] = "bad\n";
	char *names[] = { ok, bad };
	struct tcrp_session s;
	size_t len = 0;

	session_example(&s, names, 1);
	s.token[0] = 'F';
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 1);
	s.token[31] = '\0';
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 2);
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, NULL, 1);
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 1);
	s.udp_port = 0;
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 1);
	s.max_datagram = 63;
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 1);
	s.timeout_s = 0;
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	session_example(&s, names, 1);
	memset(s.udp_host, 'h', sizeof(s.udp_host));
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

#define S_HEAD	"{\"token\":\"" TOKEN_A "\",\"udp_port\":7600,\"cipher\":\"chacha20-poly1305\"," \
		"\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true"

static const struct {
	const char *label;
	const char *json;
	int err;
} bad_sessions[] = {
	{ "not JSON", "{\"token\":", -OCM_E_BAD_JSON },
	{ "array", "[]", -OCM_E_BAD_JSON },
	{ "uppercase token", "{\"token\":\"9F86D081884C7D659A2FEAA0C55AD015\",\"udp_port\":7600,"
	  "\"cipher\":\"chacha20-poly1305\",\"keepalive_s\":10,\"timeout_s\":30,"
	  "\"max_datagram\":4096,\"host\":true,\"members\":[]}", -OCM_E_BAD_TOKEN },
	{ "31-char token", "{\"token\":\"9f86d081884c7d659a2feaa0c55ad01\",\"udp_port\":7600,"
	  "\"cipher\":\"chacha20-poly1305\",\"keepalive_s\":10,\"timeout_s\":30,"
	  "\"max_datagram\":4096,\"host\":true,\"members\":[]}", -OCM_E_BAD_TOKEN },
	{ "33-char token", "{\"token\":\"9f86d081884c7d659a2feaa0c55ad0150\",\"udp_port\":7600,"
	  "\"cipher\":\"chacha20-poly1305\",\"keepalive_s\":10,\"timeout_s\":30,"
	  "\"max_datagram\":4096,\"host\":true,\"members\":[]}", -OCM_E_BAD_TOKEN },
	{ "token with NUL", "{\"token\":\"9f86d081884c7d659a2feaa0c55ad01\\u0000\",\"udp_port\":1,"
	  "\"cipher\":\"chacha20-poly1305\",\"keepalive_s\":10,\"timeout_s\":30,"
	  "\"max_datagram\":4096,\"host\":true,\"members\":[]}", -OCM_E_BAD_TOKEN },
	{ "token missing", "{\"udp_port\":7600}", -OCM_E_MISSING_FIELD },
	{ "token number", "{\"token\":1}", -OCM_E_BAD_FIELD },
	{ "bad cipher", "{\"token\":\"" TOKEN_A "\",\"udp_port\":7600,\"cipher\":\"aes-128-gcm\","
	  "\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "cipher with suffix", "{\"token\":\"" TOKEN_A "\",\"cipher\":\"chacha20-poly1305\\u0000\","
	  "\"udp_port\":7600,\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,"
	  "\"host\":true,\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "cipher missing", "{\"token\":\"" TOKEN_A "\",\"udp_port\":7600}", -OCM_E_MISSING_FIELD },
	{ "port 0", "{\"token\":\"" TOKEN_A "\",\"udp_port\":0,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "port 65536", "{\"token\":\"" TOKEN_A "\",\"udp_port\":65536,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "port string", "{\"token\":\"" TOKEN_A "\",\"udp_port\":\"7600\",\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "port missing", "{\"token\":\"" TOKEN_A "\",\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":10,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_MISSING_FIELD },
	{ "keepalive 0", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":0,\"timeout_s\":30,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "timeout -1", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":-1,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "timeout 2^32", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":4294967296,\"max_datagram\":4096,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "max_datagram 63", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":1,\"max_datagram\":63,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "max_datagram 65508", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":1,\"max_datagram\":65508,\"host\":true,"
	  "\"members\":[]}", -OCM_E_BAD_FIELD },
	{ "host missing", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":1,\"max_datagram\":64,\"members\":[]}",
	  -OCM_E_MISSING_FIELD },
	{ "host number", "{\"token\":\"" TOKEN_A "\",\"udp_port\":1,\"cipher\":\"chacha20-poly1305\","
	  "\"keepalive_s\":1,\"timeout_s\":1,\"max_datagram\":64,\"host\":1,\"members\":[]}",
	  -OCM_E_BAD_FIELD },
	{ "members missing", S_HEAD "}", -OCM_E_MISSING_FIELD },
	{ "members object", S_HEAD ",\"members\":{}}", -OCM_E_BAD_FIELD },
	{ "member number", S_HEAD ",\"members\":[\"a\",2]}", -OCM_E_BAD_FIELD },
	{ "member empty", S_HEAD ",\"members\":[\"a\",\"\"]}", -OCM_E_BAD_NAME },
	{ "member control", S_HEAD ",\"members\":[\"a\\u001b\"]}", -OCM_E_BAD_NAME },
	{ "udp_host number", S_HEAD ",\"members\":[],\"udp_host\":1}", -OCM_E_BAD_FIELD },
	{ "udp_host control", S_HEAD ",\"members\":[],\"udp_host\":\"h\\n\"}", -OCM_E_BAD_FIELD },
	{ "duplicate member key", S_HEAD ",\"members\":[],\"members\":[]}", -OCM_E_BAD_JSON },
	{ "members_more number", S_HEAD ",\"members\":[\"a\"],\"members_more\":1}",
	  -OCM_E_BAD_FIELD },
	{ "members_more string", S_HEAD ",\"members\":[\"a\"],\"members_more\":\"true\"}",
	  -OCM_E_BAD_FIELD },
	{ "members_more null", S_HEAD ",\"members\":[\"a\"],\"members_more\":null}",
	  -OCM_E_BAD_FIELD },
};

START_TEST(session_refused)
{
	struct tcrp_session s, before;
	int err;

	memset(&s, 0x5a, sizeof(s));
	memcpy(&before, &s, sizeof(s));
	err = tcrp_session_parse((const uint8_t *)bad_sessions[_i].json,
	    strlen(bad_sessions[_i].json), &s);
	ck_assert_msg(err == bad_sessions[_i].err, "%s: got %d (%s), want %d",
	    bad_sessions[_i].label, err, ocm_strerror(err), bad_sessions[_i].err);
	ck_assert_mem_eq(&s, &before, sizeof(s));
}
END_TEST

/* udp_host may be absent, empty (the same) or at most 255 bytes. */
START_TEST(session_udp_host)
{
	char json[1024], host[300];
	struct tcrp_session s;
	int n;

	ck_assert_int_eq(tcrp_session_parse((const uint8_t *)S_HEAD ",\"members\":[],\"udp_host\":\"\"}",
	    strlen(S_HEAD) + 28, &s), 0);
	ck_assert_str_eq(s.udp_host, "");
	tcrp_session_clear(&s);
	expand("@", 255, host, sizeof(host));
	n = snprintf(json, sizeof(json), "%s,\"members\":[\"x\"],\"udp_host\":\"%s\"}", S_HEAD, host);
	ck_assert_int_eq(tcrp_session_parse((const uint8_t *)json, (size_t)n, &s), 0);
	ck_assert_uint_eq(strlen(s.udp_host), 255);
	ck_assert_uint_eq(s.n_members, 1);
	ck_assert_str_eq(s.members[0], "x");
	tcrp_session_clear(&s);
	expand("@", 256, host, sizeof(host));
	n = snprintf(json, sizeof(json), "%s,\"members\":[\"x\"],\"udp_host\":\"%s\"}", S_HEAD, host);
	ck_assert_int_eq(tcrp_session_parse((const uint8_t *)json, (size_t)n, &s), -OCM_E_BAD_FIELD);
}
END_TEST

/* members_more: absent is false, and so is false. */
START_TEST(session_members_more)
{
	static const struct {
		const char *tail;
		bool more;
	} cases[] = {
		{ "}", false },
		{ ",\"members_more\":false}", false },
		{ ",\"members_more\":true}", true },
	};
	char json[512];
	struct tcrp_session s;
	int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(json, sizeof(json), "%s,\"members\":[\"a\"]%s", S_HEAD, cases[i].tail);
		memset(&s, 0x5a, sizeof(s));
		ck_assert_int_eq(tcrp_session_parse((const uint8_t *)json, (size_t)n, &s), 0);
		ck_assert_int_eq(s.members_more, cases[i].more);
		ck_assert_uint_eq(s.n_members, 1);
		tcrp_session_clear(&s);
	}
}
END_TEST

/* ---- LIST_ROOMS COMPLETE ---- */

START_TEST(rooms_exact)
{
	struct tcrp_room_info rooms[2] = {
		{ .name = "lobby", .members = 3, .password = true },
		{ .name = "q", .members = 0, .password = false },
	};
	size_t len = 0;
	char *json = tcrp_rooms_build(rooms, 2, false, &len);

	ck_assert_str_eq(json, "{\"rooms\":[{\"name\":\"lobby\",\"members\":3,\"password\":true},"
	    "{\"name\":\"q\",\"members\":0,\"password\":false}],\"more\":false}");
	ck_assert_uint_eq(len, strlen(json));
	free(json);
	json = tcrp_rooms_build(rooms, 1, true, &len);
	ck_assert_str_eq(json, "{\"rooms\":[{\"name\":\"lobby\",\"members\":3,\"password\":true}],"
	    "\"more\":true}");
	free(json);
	json = tcrp_rooms_build(NULL, 0, false, &len);
	ck_assert_str_eq(json, "{\"rooms\":[],\"more\":false}");
	ck_assert_uint_eq(len, 25);
	free(json);
}
END_TEST

/* "more" comes back as sent; a server that does not page omits it. */
START_TEST(rooms_more)
{
	static const struct {
		const char *json;
		bool more;
	} cases[] = {
		{ "{\"rooms\":[]}", false },
		{ "{\"rooms\":[],\"more\":false}", false },
		{ "{\"more\":true,\"rooms\":[{\"name\":\"a\",\"members\":1,\"password\":false}]}",
		  true },
	};
	struct tcrp_room_info *rooms = NULL;
	size_t n = 42;
	bool more = !cases[_i].more;

	ck_assert_int_eq(tcrp_rooms_parse((const uint8_t *)cases[_i].json,
	    strlen(cases[_i].json), &rooms, &n, &more), 0);
	ck_assert_int_eq(more, cases[_i].more);
	free(rooms);
}
END_TEST

/* 0, 1 and 50 rooms. */
START_TEST(rooms_round_trip)
{
	static const size_t counts[] = { 0, 1, 50 };
	size_t n_in = counts[_i], n_out = 99;
	struct tcrp_room_info in[50], *out = in;
	size_t len = 0;
	bool more = n_in != 1;
	char *json;

	memset(in, 0, sizeof(in));
	for (size_t i = 0; i < n_in; i++) {
		expand("@", i % 255 + 1, in[i].name, sizeof(in[i].name));
		in[i].name[0] = (char)('A' + i % 26);
		in[i].members = i == 1 ? UINT32_MAX : (uint32_t)i;
		in[i].password = i % 3 == 0;
	}
	json = tcrp_rooms_build(in, n_in, n_in == 1, &len);
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(tcrp_rooms_parse((const uint8_t *)json, len, &out, &n_out, &more), 0);
	ck_assert_uint_eq(n_out, n_in);
	ck_assert_int_eq(more, n_in == 1);
	if (n_in == 0)
		ck_assert_ptr_null(out);
	for (size_t i = 0; i < n_in; i++) {
		ck_assert_str_eq(out[i].name, in[i].name);
		ck_assert_uint_eq(out[i].members, in[i].members);
		ck_assert_int_eq(out[i].password, in[i].password);
	}
	free(out);
	free(json);
}
END_TEST

/*
 * An older server may list a room with C1 in its name (doc/protocol.md
 * 2.1): the client takes the page, and may ask for the next one after that
 * name; a server of this version neither lists nor takes such a name.
 */
START_TEST(listed_names_c1)
{
	static const char page[] = "{\"rooms\":[{\"name\":\"a\\u009b\",\"members\":1,"
	    "\"password\":false},{\"name\":\"b\xc2\x85\",\"members\":2,\"password\":true}],"
	    "\"more\":true}";
	static const char complete[] = S_HEAD ",\"members\":[\"me\",\"x\\u0085\"]}";
	struct tcrp_room_info *rooms = NULL;
	struct tcrp_request in = { .operation = TCRP_OP_LIST_ROOMS }, out;
	struct tcrp_session s;
	size_t n = 0, len = 0;
	bool more = false;
	char *json;

	ck_assert_int_eq(tcrp_rooms_parse((const uint8_t *)page, strlen(page), &rooms, &n, &more),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rooms[0].name, "a\xc2\x9b");
	ck_assert_str_eq(rooms[1].name, "b\xc2\x85");
	ck_assert_ptr_null(tcrp_rooms_build(rooms, n, more, &len));
	free(rooms);

	memcpy(in.after, "b\xc2\x85", 4);
	in.after_len = 3;
	json = tcrp_request_build(&in, &len);
	ck_assert_str_eq(json, "{\"version\":1,\"after\":\"b\xc2\x85\"}");
	ck_assert_int_eq(tcrp_request_parse(in.operation, 0, NULL, 0, (const uint8_t *)json, len,
	    &out, NULL), -OCM_E_BAD_NAME);
	free(json);

	ck_assert_int_eq(tcrp_session_parse((const uint8_t *)complete, strlen(complete), &s), 0);
	ck_assert_uint_eq(s.n_members, 2);
	ck_assert_str_eq(s.members[1], "x\xc2\x85");
	ck_assert_ptr_null(tcrp_session_build(&s, &len));
	tcrp_session_clear(&s);
}
END_TEST

START_TEST(rooms_build_refuses)
{
	struct tcrp_room_info bad = { .name = "", .members = 1 };
	size_t len = 0;

	ck_assert_ptr_null(tcrp_rooms_build(&bad, 1, false, &len));
	memcpy(bad.name, "a\x7f", 3);
	ck_assert_ptr_null(tcrp_rooms_build(&bad, 1, true, &len));
	ck_assert_ptr_null(tcrp_rooms_build(NULL, 1, false, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

static const struct {
	const char *json;
	int err;
} bad_rooms[] = {
	{ "{\"rooms\":[", -OCM_E_BAD_JSON },
	{ "[]", -OCM_E_BAD_JSON },
	{ "{}", -OCM_E_MISSING_FIELD },
	{ "{\"rooms\":{}}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[1]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[{\"members\":1,\"password\":true}]}", -OCM_E_MISSING_FIELD },
	{ "{\"rooms\":[{\"name\":1,\"members\":1,\"password\":true}]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[{\"name\":\"\",\"members\":1,\"password\":true}]}", -OCM_E_BAD_NAME },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":1,\"password\":true},"
	  "{\"name\":\"b\\u0000\",\"members\":1,\"password\":true}]}", -OCM_E_BAD_NAME },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":-1,\"password\":true}]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":1.5,\"password\":true}]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":4294967296,\"password\":true}]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[{\"name\":\"a\",\"password\":true}]}", -OCM_E_MISSING_FIELD },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":1}]}", -OCM_E_MISSING_FIELD },
	{ "{\"rooms\":[{\"name\":\"a\",\"members\":1,\"password\":\"yes\"}]}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[],\"more\":1}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[],\"more\":\"true\"}", -OCM_E_BAD_FIELD },
	{ "{\"rooms\":[],\"more\":null}", -OCM_E_BAD_FIELD },
	{ "{\"more\":false}", -OCM_E_MISSING_FIELD },
	{ "{\"rooms\":[],\"more\":true,\"more\":false}", -OCM_E_BAD_JSON },
};

START_TEST(rooms_refused)
{
	static struct tcrp_room_info sentinel;
	struct tcrp_room_info *rooms = &sentinel;
	size_t n = 42;
	bool more = true;

	ck_assert_int_eq(tcrp_rooms_parse((const uint8_t *)bad_rooms[_i].json,
	    strlen(bad_rooms[_i].json), &rooms, &n, &more), bad_rooms[_i].err);
	ck_assert_ptr_eq(rooms, &sentinel);
	ck_assert_uint_eq(n, 42);
	ck_assert(more);
}
END_TEST

#define N_OF(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
payload_suite(void)
{
	Suite *s = suite_create("payload");
	TCase *tc = tcase_create("request");

	tcase_add_test(tc, request_create);
	tcase_add_test(tc, request_join_defaults);
	tcase_add_test(tc, request_password_nul);
	tcase_add_loop_test(tc, request_password_wiped, 0, N_OF(password_payloads));
	tcase_add_test(tc, request_list);
	tcase_add_loop_test(tc, request_list_page, 0, 5);
	tcase_add_loop_test(tc, request_boundaries, 0, 2);
	tcase_add_loop_test(tc, request_refused, 0, N_OF(bad_requests));
	tcase_add_test(tc, request_too_large);
	tcase_add_test(tc, request_build_round_trip);
	tcase_add_test(tc, request_build_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("codes");
	tcase_add_loop_test(tc, code_strings_round_trip, 0, TCRP_CODE_MAX_);
	tcase_add_test(tc, code_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, response_round_trip, 0, TCRP_CODE_MAX_);
	tcase_add_test(tc, response_build_exact);
	tcase_add_loop_test(tc, response_refused, 0, N_OF(bad_responses));
	tcase_add_test(tc, response_message_controls);
	tcase_add_test(tc, response_message_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_test(tc, session_exact);
	tcase_add_loop_test(tc, session_round_trip, 0, 6);
	tcase_add_test(tc, session_build_refuses);
	tcase_add_loop_test(tc, session_refused, 0, N_OF(bad_sessions));
	tcase_add_test(tc, session_udp_host);
	tcase_add_test(tc, session_members_more);
	suite_add_tcase(s, tc);

	tc = tcase_create("rooms");
	tcase_add_test(tc, rooms_exact);
	tcase_add_loop_test(tc, rooms_more, 0, 3);
	tcase_add_loop_test(tc, rooms_round_trip, 0, 3);
	tcase_add_test(tc, rooms_build_refuses);
	tcase_add_test(tc, listed_names_c1);
	tcase_add_loop_test(tc, rooms_refused, 0, N_OF(bad_rooms));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(payload_suite)
