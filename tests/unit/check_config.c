/*
 * check_config.c: ocmd.conf parsing: defaults, a full valid file, and
 * every kind of bad file, each refused with the file, line and key named.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tests/unit/util.h"

static char conf_path[64];

/* Writes text to a fresh temporary file (never into the source tree). */
static const char *
write_conf(const char *text)
{
	strcpy(conf_path, "/tmp/ocm-check-config-XXXXXX");
	int fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return conf_path;
}

START_TEST(defaults_are_documented_values)
{
	struct config c;
	config_defaults(&c);
	ck_assert_uint_eq(c.n_listen, 2);
	ck_assert_str_eq(c.listen[0].text, "0.0.0.0:7600");
	ck_assert_str_eq(c.listen[1].text, "[::]:7600");
	ck_assert_uint_eq(c.max_rooms, 10000);
	ck_assert_uint_eq(c.max_members, 100000);
	ck_assert_uint_eq(c.max_members_per_room, 1000);
	ck_assert_uint_eq(c.timeout_s, 30);
	ck_assert_uint_eq(c.keepalive_s, 10);
	ck_assert_uint_eq(c.handshake_timeout_s, 10);
	ck_assert_uint_eq(c.chat_rate, 20);
	ck_assert_uint_eq(c.max_failed_joins, 10);
	ck_assert_uint_eq(c.failed_join_window_s, 120);
	ck_assert_uint_eq(c.rate_limit_s, 300);
	ck_assert(c.bind_token_to_ip);
	ck_assert_str_eq(c.certificate, "");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(c.workers, 0);	/* auto */
	ck_assert_str_eq(c.user, "");		/* stay who started it */
}
END_TEST

START_TEST(full_file_overrides_defaults)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	const char *p = write_conf(
	    "; comment\n"
	    "[server]\n"
	    "listen = 127.0.0.1:7601   ; inline comment\n"
	    "listen = [::1]:7602\n"
	    "state_dir = /tmp/ocm-state\n"
	    "control_socket = /tmp/ocm.sock\n"
	    "log_level = debug\n"
	    "workers = 4\n"
	    "user = _ocm-d.1\n"
	    "[tls]\n"
	    "certificate = /etc/ssl/a.pem\n"
	    "private_key = /etc/ssl/a.key\n"
	    "[limits]\n"
	    "max_rooms = 5\n"
	    "timeout_s = 3\n"
	    "keepalive_s = 1\n"
	    "chat_rate = 100\n"
	    "bind_token_to_ip = no\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert_uint_eq(c.n_listen, 2);
	ck_assert_str_eq(c.listen[0].text, "127.0.0.1:7601");
	ck_assert_str_eq(c.listen[1].text, "[::1]:7602");
	ck_assert_uint_eq(c.listen[1].ss.ss_family, AF_INET6);
	ck_assert_str_eq(c.state_dir, "/tmp/ocm-state");
	ck_assert_str_eq(c.control_socket, "/tmp/ocm.sock");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(c.workers, 4);
	ck_assert_str_eq(c.user, "_ocm-d.1");
	ck_assert_str_eq(c.certificate, "/etc/ssl/a.pem");
	ck_assert_uint_eq(c.max_rooms, 5);
	ck_assert_uint_eq(c.timeout_s, 3);
	ck_assert_uint_eq(c.keepalive_s, 1);
	ck_assert_uint_eq(c.chat_rate, 100);
	ck_assert(!c.bind_token_to_ip);
	ck_assert_uint_eq(c.max_members, 100000);	/* untouched default */
}
END_TEST

struct bad_conf {
	const char *text;
	const char *error;	/* expected after "PATH" */
};

static const struct bad_conf bad_confs[] = {
	{ "[server]\nbogus = 1\n", ":2: [server] bogus: unknown key" },
	{ "[limits]\nlisten = 1.2.3.4:5\n", ":2: [limits] listen: unknown key in this section (it belongs in [server])" },
	{ "max_rooms = 3\n", ":1: [] max_rooms: unknown key in this section (it belongs in [limits])" },
	{ "[limits]\n\nmax_rooms = abc\n", ":3: [limits] max_rooms: 'abc' is not a whole number in 1..1000000" },
	{ "[limits]\nmax_rooms = 0\n", ":2: [limits] max_rooms: '0' is not a whole number in 1..1000000" },
	{ "[limits]\nmax_rooms = -1\n", ":2: [limits] max_rooms: '-1' is not" },
	{ "[limits]\nmax_rooms = 99999999999999999999\n", ":2: [limits] max_rooms: '99999999999999999999' is not" },
	{ "[limits]\nmax_rooms = 7x\n", ":2: [limits] max_rooms: '7x' is not" },
	{ "[limits]\nbind_token_to_ip = maybe\n", ":2: [limits] bind_token_to_ip: 'maybe' is not yes or no" },
	{ "[server]\nlisten = localhost:7600\n", ":2: [server] listen: 'localhost:7600' is not ADDRESS:PORT" },
	{ "[server]\nlisten = 1.2.3.4\n", ":2: [server] listen: '1.2.3.4' is not ADDRESS:PORT" },
	{ "[server]\nlisten = 1.2.3.4:0\n", ":2: [server] listen: '1.2.3.4:0' is not" },
	{ "[server]\nlisten = 1.2.3.4:65536\n", ":2: [server] listen: '1.2.3.4:65536' is not" },
	{ "[server]\nlisten = [::1:7600\n", ":2: [server] listen: '[::1:7600' is not" },
	{ "[server]\nstate_dir = var/lib\n", ":2: [server] state_dir: 'var/lib' is not an absolute path" },
	{ "[server]\nstate_dir =\n", ":2: [server] state_dir: a path is required" },
	{ "[server]\nlog_level = loud\n", ":2: [server] log_level: 'loud' is not one of err, warning, info, debug" },
	{ "[server]\nthis line has no equals sign\n", ":2: syntax error" },
	{ "[server]\nworkers = 0\n", ":2: [server] workers: '0' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = 65\n", ":2: [server] workers: '65' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = all\n", ":2: [server] workers: 'all' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = Auto\n", ":2: [server] workers: 'Auto' is not auto" },
	{ "[server]\nuser = -ocmd\n", ":2: [server] user: '-ocmd' is not a user name" },
	{ "[server]\nuser = oc md\n", ":2: [server] user: 'oc md' is not a user name" },
	{ "[server]\nuser = ocmd:ocmd\n", ":2: [server] user: 'ocmd:ocmd' is not a user name" },
	{ "[server]\nuser = 123456789012345678901234567890123\n",
	  ":2: [server] user: '123456789012345678901234567890123' is not a user name "
	  "(letters, digits, '.', '_', '-'; up to 32)" },
	{ "[limits]\nkeepalive_s = 30\n", ": [limits] keepalive_s (30) must be less than timeout_s (30)" },
	{ "[tls]\ncertificate = /a.pem\n", ": [tls] certificate and private_key must be set together" },
	{ "[limits]\nmax_members = 10\n", ": [limits] max_members_per_room (1000) exceeds max_members (10)" },
};

START_TEST(bad_file_names_line_and_key)
{
	const struct bad_conf *b = &bad_confs[_i];
	struct config c, before;
	char err[CONFIG_ERROR_MAX] = "";
	char want[CONFIG_ERROR_MAX + 64];

	config_defaults(&c);
	c.max_rooms = 4242;
	before = c;
	const char *p = write_conf(b->text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	snprintf(want, sizeof(want), "%s%s", p, b->error);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
	ck_assert_uint_eq(c.max_rooms, before.max_rooms);	/* untouched on error */
}
END_TEST

START_TEST(overlong_line_is_refused)
{
	char text[600];
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";

	strcpy(text, "[server]\nstate_dir = /");
	memset(text + strlen(text), 'a', 400);
	strcpy(text + 22 + 400, "\n");
	const char *p = write_conf(text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	ck_assert_msg(strstr(err, ":2: line longer than") != NULL, "%s", err);
}
END_TEST

START_TEST(missing_file_names_it)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	ck_assert_int_eq(config_load("/nonexistent/ocmd.conf", &c, err), -1);
	ck_assert_str_eq(err, "/nonexistent/ocmd.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(dump_round_trips)
{
	struct config a, b;
	char err[CONFIG_ERROR_MAX] = "";
	config_defaults(&a);
	a.max_rooms = 77;
	a.bind_token_to_ip = false;
	strcpy(conf_path, "/tmp/ocm-check-dump-XXXXXX");
	int fd = mkstemp(conf_path);
	FILE *f = fdopen(fd, "w");
	config_dump(&a, f);
	fclose(f);
	ck_assert_msg(config_load(conf_path, &b, err) == 0, "%s", err);
	unlink(conf_path);
	ck_assert_uint_eq(b.max_rooms, 77);
	ck_assert(!b.bind_token_to_ip);
	ck_assert_uint_eq(b.n_listen, 2);
	ck_assert_str_eq(b.listen[1].text, "[::]:7600");
	ck_assert_str_eq(b.state_dir, a.state_dir);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_are_documented_values);
	tcase_add_test(tc, full_file_overrides_defaults);
	tcase_add_loop_test(tc, bad_file_names_line_and_key, 0,
	    (int)(sizeof(bad_confs) / sizeof(bad_confs[0])));
	tcase_add_test(tc, overlong_line_is_refused);
	tcase_add_test(tc, missing_file_names_it);
	tcase_add_test(tc, dump_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(config_suite)
