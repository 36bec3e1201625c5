/*
 * check_ctl.c: the control protocol codec shared by ocmd and ocmctl:
 * every malformed request is an error (never mistaken for success), the
 * strict argument rules, replies round-trip, and the table is sane.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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
	ck_assert_uint_eq(ctl_n_commands, 7);
	for (size_t i = 0; i < ctl_n_commands; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		ck_assert_ptr_eq(ctl_command_find(c->name), c);
		ck_assert_ptr_nonnull(c->summary);
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

	ck_assert_uint_eq(ctl_n_commands, sizeof(want) / sizeof(want[0]));
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
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ctl_suite)
