/*
 * check_ctl.c: the control protocol codec shared by ocmd and ocmctl:
 * every malformed request is an error (never mistaken for success), the
 * strict argument rules, replies round-trip, and the table is sane.  The
 * table of paged lists: its limits are checked alike on both ends, and
 * the worst page ocmd can build (with its own code) fits one reply.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control/control.h"
#include "daemon/core/registry.h"
#include "lib/ctl.h"
#include "tests/unit/util.h"

struct bad_request {
	const char *line;
	enum ctl_error err;
	const char *why;	/* a substring of the message */
};

static const struct bad_request bad_requests[] = {
	{ "", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "not json", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "[]", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "\"status\"", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "{}", CTL_E_BAD_REQUEST, "\"command\" must be a string" },
	{ "{\"command\":7}", CTL_E_BAD_REQUEST, "\"command\" must be a string" },
	{ "{\"command\":\"status\",\"command\":\"stats\"}", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "{\"command\":\"status\"} trailing", CTL_E_BAD_REQUEST, "one JSON object" },
	{ "{\"command\":\"bogus\"}", CTL_E_UNKNOWN_COMMAND, "unknown command 'bogus'" },
	{ "{\"command\":\"status\",\"args\":[]}", CTL_E_BAD_ARGUMENTS, "\"args\" must be an object" },
	{ "{\"command\":\"status\",\"args\":{\"room\":\"x\"}}", CTL_E_BAD_ARGUMENTS,
	  "status takes no argument 'room'" },
	{ "{\"command\":\"show-room\"}", CTL_E_BAD_ARGUMENTS, "show-room needs the argument 'room'" },
	{ "{\"command\":\"show-room\",\"args\":{\"room\":5}}", CTL_E_BAD_ARGUMENTS,
	  "argument 'room' must be a string" },
	{ "{\"command\":\"kick\",\"args\":{\"room\":\"a\"}}", CTL_E_BAD_ARGUMENTS,
	  "kick needs the argument 'user'" },
	{ "{\"command\":\"kick\",\"args\":{\"room\":\"a\",\"user\":\"b\",\"usr\":\"c\"}}",
	  CTL_E_BAD_ARGUMENTS, "kick takes no argument 'usr'" },
	/* Paging: only where the result is paged, and only in range. */
	{ "{\"command\":\"status\",\"args\":{\"limit\":\"5\"}}", CTL_E_BAD_ARGUMENTS,
	  "status takes no argument 'limit'" },
	{ "{\"command\":\"kick\",\"args\":{\"room\":\"a\",\"user\":\"b\",\"after\":\"c\"}}",
	  CTL_E_BAD_ARGUMENTS, "kick takes no argument 'after'" },
	{ "{\"command\":\"list-rooms\",\"args\":{\"limit\":\"0\"}}", CTL_E_BAD_ARGUMENTS,
	  "limit must be a whole number from 1 to 300, the rooms in one page" },
	{ "{\"command\":\"list-rooms\",\"args\":{\"limit\":\"301\"}}", CTL_E_BAD_ARGUMENTS,
	  "from 1 to 300" },
	{ "{\"command\":\"list-rooms\",\"args\":{\"limit\":5}}", CTL_E_BAD_ARGUMENTS,
	  "argument 'limit' must be a string" },
	{ "{\"command\":\"list-rooms\",\"args\":{\"after\":\"\"}}", CTL_E_BAD_ARGUMENTS,
	  "after must be a name of 1 to 255 bytes" },
	{ "{\"command\":\"show-room\",\"args\":{\"room\":\"a\",\"limit\":\"501\"}}",
	  CTL_E_BAD_ARGUMENTS, "limit must be a whole number from 1 to 500, the members" },
	{ "{\"command\":\"show-room\",\"args\":{\"limit\":\"5\"}}", CTL_E_BAD_ARGUMENTS,
	  "show-room needs the argument 'room'" },
};

START_TEST(bad_request_is_an_error)
{
	const struct bad_request *b = &bad_requests[_i];
	const struct ctl_command *cmd = NULL;
	json_t *args = NULL;
	char why[256] = "";

	int rc = ctl_request_parse(b->line, strlen(b->line), &cmd, &args, why, sizeof(why));
	ck_assert_int_eq(rc, -(int)b->err);
	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_null(args);
	ck_assert_msg(strstr(why, b->why) != NULL, "'%s': message '%s'", b->line, why);
}
END_TEST

START_TEST(good_requests_parse)
{
	const struct ctl_command *cmd;
	json_t *args;
	char why[256];
	const char *line = "{\"command\":\"kick\",\"args\":{\"room\":\"lobby\",\"user\":\"bob\"},"
	    "\"id\":1}";

	ck_assert_int_eq(ctl_request_parse(line, strlen(line), &cmd, &args, why, sizeof(why)), 0);
	ck_assert_str_eq(cmd->name, "kick");
	ck_assert_int_eq(cmd->access, CTL_WRITE);
	ck_assert_str_eq(ctl_arg(args, "room"), "lobby");
	ck_assert_str_eq(ctl_arg(args, "user"), "bob");
	ck_assert_ptr_null(ctl_arg(args, "reason"));
	json_decref(args);

	line = "{\"command\":\"status\"}";
	ck_assert_int_eq(ctl_request_parse(line, strlen(line), &cmd, &args, why, sizeof(why)), 0);
	ck_assert_str_eq(cmd->name, "status");
	ck_assert_int_eq(cmd->access, CTL_READ);
	ck_assert(json_is_object(args));
	ck_assert_uint_eq(json_object_size(args), 0);
	json_decref(args);
}
END_TEST

START_TEST(request_build_parses_back)
{
	const struct ctl_command *cmd;
	json_t *args, *in = json_pack("{s:s, s:s}", "room", "lobby", "reason", "spam");
	char why[256];
	char *line = ctl_request_build("kill-room", in);

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_int_eq(ctl_request_parse(line, strlen(line) - 1, &cmd, &args, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(cmd->name, "kill-room");
	ck_assert_str_eq(ctl_arg(args, "reason"), "spam");
	json_decref(args);
	json_decref(in);
	free(line);
}
END_TEST

START_TEST(replies_round_trip)
{
	bool ok;
	json_t *result = NULL;
	enum ctl_error err;
	char msg[128];
	char *line = ctl_reply_ok(json_pack("{s:i}", "rooms", 3));

	ck_assert_int_eq(ctl_reply_parse(line, strlen(line), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert(ok);
	ck_assert_int_eq(json_integer_value(json_object_get(result, "rooms")), 3);
	json_decref(result);
	free(line);

	line = ctl_reply_error(CTL_E_NO_SUCH_ROOM, "no room named 'x'");
	ck_assert_str_eq(line, "{\"ok\":false,\"error\":{\"code\":\"no_such_room\","
	    "\"message\":\"no room named 'x'\"}}\n");
	ck_assert_int_eq(ctl_reply_parse(line, strlen(line), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert(!ok);
	ck_assert_int_eq(err, CTL_E_NO_SUCH_ROOM);
	ck_assert_str_eq(msg, "no room named 'x'");
	free(line);

	/* An out-of-range error still makes a valid reply. */
	line = ctl_reply_error((enum ctl_error)99, NULL);
	ck_assert_str_eq(line, "{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"\"}}\n");
	free(line);

	ck_assert_int_eq(ctl_reply_parse("{\"ok\":1}", 8, &ok, &result, &err, msg, sizeof(msg)), -1);
	/* An unknown code (a newer daemon's) is still a refusal. */
	const char *newer = "{\"ok\":false,\"error\":{\"code\":\"nope\",\"message\":\"m\"}}";
	ck_assert_int_eq(ctl_reply_parse(newer, strlen(newer), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert(!ok);
	ck_assert_int_eq(err, CTL_E_INTERNAL);
	ck_assert_str_eq(msg, "m");
	const char *no_message = "{\"ok\":false,\"error\":{\"code\":\"nope\"}}";
	ck_assert_int_eq(ctl_reply_parse(no_message, strlen(no_message), &ok, &result, &err,
	    msg, sizeof(msg)), -1);
	ck_assert_int_eq(ctl_reply_parse("garbage", 7, &ok, &result, &err, msg, sizeof(msg)), -1);
}
END_TEST

/*
 * Error messages that quote the peer's bytes still make a reply: jansson's
 * error text for bad JSON quotes the input (here an escape followed by
 * invalid UTF-8, a libFuzzer find), and '%.64s' can cut a character.
 */
static const char *const quoting_requests[] = {
	"{\"co\\\xd6\x9e\x00\xd0`\x00\x00mmand\":\"\":\"\"}",
	"{\"command\":\"x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x\"}",
	"{\"command\":\"status\",\"args\":{\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\":\"x\"}}",
	"\xff\xfe{}",
};
static const size_t quoting_lens[] = { 25, 0, 0, 0 };

START_TEST(errors_quoting_bad_bytes_reply)
{
	const char *line = quoting_requests[_i];
	size_t len = quoting_lens[_i] != 0 ? quoting_lens[_i] : strlen(line);
	const struct ctl_command *cmd;
	json_t *args = NULL, *result = NULL;
	char why[256], msg[256];
	enum ctl_error err;
	bool ok = true;

	int rc = ctl_request_parse(line, len, &cmd, &args, why, sizeof(why));
	ck_assert_int_lt(rc, 0);
	char *reply = ctl_reply_error((enum ctl_error)-rc, why);
	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(ctl_reply_parse(reply, strlen(reply), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert(!ok);
	ck_assert_int_eq(err, (enum ctl_error)-rc);
	ck_assert_uint_gt(strlen(msg), 10);
	free(reply);
}
END_TEST

START_TEST(error_message_is_made_valid)
{
	bool ok;
	json_t *result = NULL;
	enum ctl_error err;
	char msg[128];
	char *line = ctl_reply_error(CTL_E_BAD_REQUEST, "near '\xd6\x9e\xd0' and \x01 \xc3");

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(ctl_reply_parse(line, strlen(line), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert_str_eq(msg, "near '\xd6\x9e?' and ? ?");
	free(line);
}
END_TEST

START_TEST(error_names_round_trip)
{
	ck_assert_ptr_null(ctl_error_str(CTL_OK));
	ck_assert_ptr_null(ctl_error_str(CTL_E_MAX_));
	for (int e = CTL_OK + 1; e < CTL_E_MAX_; e++) {
		const char *s = ctl_error_str((enum ctl_error)e);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(ctl_error_parse(s), e);
	}
	ck_assert_int_eq(ctl_error_parse("ok"), -1);
	ck_assert_int_eq(ctl_error_parse(""), -1);
}
END_TEST

START_TEST(table_is_sane)
{
	ck_assert_uint_eq(CTL_CMD_MAX_, 7);
	for (size_t i = 0; i < CTL_CMD_MAX_; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		/* Each row at its id, with a name of its own. */
		ck_assert_uint_eq(c->id, i);
		ck_assert_ptr_nonnull(c->name);
		ck_assert_ptr_eq(ctl_command_find(c->name), c);
		ck_assert_ptr_nonnull(c->summary);
		ck_assert_msg(c->access == CTL_READ || c->access == CTL_WRITE, "%s", c->name);
		bool optional_seen = false;
		for (int a = 0; a < CTL_MAX_ARGS && c->args[a].name != NULL; a++) {
			/* Positional order: required arguments come first. */
			ck_assert(!(optional_seen && c->args[a].required));
			optional_seen |= !c->args[a].required;
		}
	}
	ck_assert_ptr_null(ctl_command_find("nope"));
}
END_TEST

/* Which commands write is a security decision: a change here is meant. */
START_TEST(access_is_as_designed)
{
	static const struct {
		const char *name;
		enum ctl_access access;
	} want[] = {
		{ "status", CTL_READ }, { "list-rooms", CTL_READ }, { "show-room", CTL_READ },
		{ "stats", CTL_READ }, { "kill-room", CTL_WRITE }, { "kick", CTL_WRITE },
		{ "reload", CTL_WRITE },
	};

	ck_assert_uint_eq(CTL_CMD_MAX_, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ctl_command *c = ctl_command_find(want[i].name);
		ck_assert_ptr_nonnull(c);
		ck_assert_msg(c->access == want[i].access, "%s", want[i].name);
	}
	ck_assert_str_eq(ctl_access_str(CTL_READ), "read");
	ck_assert_str_eq(ctl_access_str(CTL_WRITE), "write");
	ck_assert_str_eq(ctl_access_who(CTL_WRITE), "root, ocmd's user, or group " CTL_ADMIN_GROUP);
	ck_assert_ptr_nonnull(strstr(ctl_access_who(CTL_READ), CTL_ADMIN_GROUP));
	ck_assert_ptr_null(ctl_access_str(CTL_ACCESS_MAX_));
	ck_assert_ptr_null(ctl_access_who((enum ctl_access)-1));
}
END_TEST

/* Limits as ocmctl's --limit and ocmd's "limit" both take them. */
static const struct {
	const char *s;
	int want;		/* the limit, or -1 for a refusal */
} limits[] = {
	{ "1", 1 }, { "300", 300 }, { "42", 42 }, { "007", 7 },
	{ "0", -1 }, { "301", -1 }, { "", -1 }, { "-1", -1 }, { "+1", -1 }, { " 1", -1 },
	{ "1 ", -1 }, { "abc", -1 }, { "1e2", -1 }, { "0x10", -1 }, { "99999999999999999999", -1 },
	{ "4294967297", -1 },
};

START_TEST(limits_parse_alike)
{
	const struct ctl_list *l = ctl_list_find(CTL_CMD_LIST_ROOMS);
	unsigned got = 12345;
	char why[256] = "";
	int rc = ctl_limit_parse(l, limits[_i].s, &got, why, sizeof(why));

	if (limits[_i].want < 0) {
		ck_assert_int_eq(rc, -CTL_E_BAD_ARGUMENTS);
		ck_assert_uint_eq(got, 12345);
		ck_assert_msg(strstr(why, "from 1 to 300") != NULL, "'%s': %s", limits[_i].s, why);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(got, (unsigned)limits[_i].want);
	}
}
END_TEST

START_TEST(list_table_is_sane)
{
	const struct ctl_list *rooms = ctl_list_find(CTL_CMD_LIST_ROOMS);
	const struct ctl_list *members = ctl_list_find(CTL_CMD_SHOW_ROOM);

	ck_assert_ptr_eq(rooms, &ctl_lists[CTL_LIST_ROOMS]);
	ck_assert_ptr_eq(members, &ctl_lists[CTL_LIST_MEMBERS]);
	ck_assert_ptr_null(ctl_list_find(CTL_CMD_STATUS));
	ck_assert_ptr_null(ctl_list_find(CTL_CMD_KICK));
	for (int i = 0; i < CTL_LIST_MAX_; i++) {
		const struct ctl_list *l = &ctl_lists[i];
		ck_assert_uint_lt(l->cmd, CTL_CMD_MAX_);
		ck_assert_ptr_eq(ctl_list_find(l->cmd), l);
		ck_assert_uint_ge(l->limit_max, 100);
		ck_assert_uint_le(l->head_max + l->limit_max * l->row_max, CTL_REPLY_MAX);
	}
	ck_assert_uint_eq(rooms->limit_max, 300);
	ck_assert_uint_eq(members->limit_max, 500);
	ck_assert_str_eq(rooms->key, "rooms");
	ck_assert_str_eq(members->key, "members");
}
END_TEST

START_TEST(page_arguments_parse)
{
	const struct ctl_list *l = ctl_list_find(CTL_CMD_SHOW_ROOM);
	const struct ctl_command *cmd;
	json_t *args;
	char why[256], after[OCM_NAME_MAX + 2];
	const char *line = "{\"command\":\"show-room\",\"args\":{\"room\":\"a\",\"limit\":\"7\","
	    "\"after\":\"bob\"}}";

	ck_assert_int_eq(ctl_request_parse(line, strlen(line), &cmd, &args, why, sizeof(why)), 0);
	ck_assert_uint_eq(ctl_page_limit(l, args), 7);
	ck_assert_str_eq(ctl_arg(args, "after"), "bob");
	json_decref(args);
	line = "{\"command\":\"show-room\",\"args\":{\"room\":\"a\"}}";
	ck_assert_int_eq(ctl_request_parse(line, strlen(line), &cmd, &args, why, sizeof(why)), 0);
	ck_assert_uint_eq(ctl_page_limit(l, args), 500);
	json_decref(args);

	memset(after, 'x', sizeof(after));
	after[OCM_NAME_MAX] = '\0';
	ck_assert_int_eq(ctl_after_check(after, why, sizeof(why)), 0);
	after[OCM_NAME_MAX] = 'x';
	after[OCM_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(ctl_after_check(after, why, sizeof(why)), -CTL_E_BAD_ARGUMENTS);
	ck_assert_ptr_nonnull(strstr(why, "1 to 255 bytes"));
}
END_TEST

START_TEST(too_large_is_a_reply)
{
	char *line = ctl_reply_too_large("list-rooms", 5000000);
	json_t *result = NULL;
	enum ctl_error err;
	char msg[512];
	bool ok = true;

	ck_assert_ptr_nonnull(line);
	ck_assert_uint_le(strlen(line), CTL_REPLY_MAX);
	ck_assert_int_eq(ctl_reply_parse(line, strlen(line), &ok, &result, &err, msg,
	    sizeof(msg)), 0);
	ck_assert(!ok);
	ck_assert_int_eq(err, CTL_E_TOO_LARGE);
	ck_assert_msg(strstr(msg, "the reply to list-rooms would be 5000000 bytes") != NULL,
	    "%s", msg);
	free(line);
}
END_TEST

/* Worst names: OCM_NAME_MAX bytes that jansson writes as \u0001 each
 * (ocmd refuses such names, but the bound does not count on it). */
static void
worst_name(char *name)
{
	memset(name, 0x01, OCM_NAME_MAX);
	name[OCM_NAME_MAX] = '\0';
}

static struct member *
worst_member(void)
{
	struct member *m = calloc(1, sizeof(*m) + OCM_NAME_MAX + 1);

	ck_assert_ptr_nonnull(m);
	worst_name(m->name);
	m->name_len = OCM_NAME_MAX;
	m->online = true;
	m->udp.in6.sin6_family = AF_INET6;
	m->udp.in6.sin6_port = htons(65535);
	memset(&m->udp.in6.sin6_addr, 0xff, sizeof(m->udp.in6.sin6_addr));
	m->msgs_in = m->msgs_out = (uint64_t)INT64_MIN;	/* "-9223372036854775808" */
	return m;
}

static size_t
dumped_len(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n;

	ck_assert_ptr_nonnull(s);
	n = strlen(s);
	free(s);
	return n;
}

/* The largest page of each list, built by ocmd's own functions, as one
 * reply line: within the bounds of lib/ctl.h and so within CTL_REPLY_MAX. */
START_TEST(worst_pages_fit)
{
	const struct ctl_list *lr = &ctl_lists[CTL_LIST_ROOMS], *lm = &ctl_lists[CTL_LIST_MEMBERS];
	struct member *host = worst_member();
	struct room *r = calloc(1, sizeof(*r));
	json_t *rows = json_array(), *result = json_object(), *row = NULL;
	char next[OCM_NAME_MAX + 1];
	char *line;

	worst_name(r->name);
	worst_name(next);
	r->name_len = OCM_NAME_MAX;
	r->host = host;
	r->n_members = r->n_online = UINT32_MAX;
	r->msgs = (uint64_t)INT64_MIN;
	/* The longest node name (cluster.h): 63 bytes, none escaped. */
	const char *node = "node-name-of-the-longest-length-that-ocmd-allows-in-ocmd-conf-x";
	ck_assert_uint_eq(strlen(node), 63);
	for (unsigned i = 0; i < lr->limit_max; i++) {
		row = control_room_row(r, (uint64_t)INT64_MIN, UINT32_MAX, node);
		ck_assert_uint_le(dumped_len(row), lr->row_max);
		json_array_append_new(rows, row);
	}
	control_page_end(result, lr->key, rows, true, next);
	line = ctl_reply_ok(result);
	ck_assert_uint_le(strlen(line), lr->head_max + lr->limit_max * lr->row_max);
	ck_assert_uint_le(strlen(line), CTL_REPLY_MAX);
	free(line);

	result = control_room_head(r, (uint64_t)INT64_MIN, UINT32_MAX);
	rows = json_array();
	for (unsigned i = 0; i < lm->limit_max; i++) {
		row = control_member_row(host, (uint64_t)INT64_MIN);
		ck_assert_uint_le(dumped_len(row), lm->row_max);
		json_array_append_new(rows, row);
	}
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(row, "address")),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
	control_page_end(result, lm->key, rows, true, next);
	line = ctl_reply_ok(result);
	ck_assert_uint_le(strlen(line), lm->head_max + lm->limit_max * lm->row_max);
	ck_assert_uint_le(strlen(line), CTL_REPLY_MAX);
	free(line);
	free(r);
	free(host);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, bad_request_is_an_error, 0,
	    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, good_requests_parse);
	tcase_add_test(tc, request_build_parses_back);
	tcase_add_test(tc, replies_round_trip);
	tcase_add_loop_test(tc, errors_quoting_bad_bytes_reply, 0,
	    sizeof(quoting_requests) / sizeof(quoting_requests[0]));
	tcase_add_test(tc, error_message_is_made_valid);
	tcase_add_test(tc, error_names_round_trip);
	tcase_add_test(tc, table_is_sane);
	tcase_add_test(tc, access_is_as_designed);
	tcase_add_loop_test(tc, limits_parse_alike, 0, (int)(sizeof(limits) / sizeof(limits[0])));
	tcase_add_test(tc, list_table_is_sane);
	tcase_add_test(tc, page_arguments_parse);
	tcase_add_test(tc, too_large_is_a_reply);
	tcase_add_test(tc, worst_pages_fit);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ctl_suite)
