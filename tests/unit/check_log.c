/*
 * check_log.c: the log line formats (lib/log.c) byte for byte, level
 * filtering, sanitising, truncation, and journal detection from
 * JOURNAL_STREAM.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "tests/unit/util.h"

/* log.c's line buffer: a longer line is cut to this, newline included. */
#define LINE_MAX_BYTES	1024

static FILE *cap_f;
static char *cap_buf;
static size_t cap_len;

static void
cap_setup(void)
{
	unsetenv("JOURNAL_STREAM");
	log_init("ocmtest", LOG_LEVEL_DEBUG);
	cap_f = open_memstream(&cap_buf, &cap_len);
	ck_assert_ptr_nonnull(cap_f);
	log_set_output(cap_f, false);
}

static void
cap_teardown(void)
{
	log_set_output(NULL, false);
	fclose(cap_f);
	free(cap_buf);
	cap_f = NULL;
	cap_buf = NULL;
}

/* Everything written so far (open_memstream publishes it on fflush). */
static const char *
cap_text(void)
{
	fflush(cap_f);
	return cap_buf;
}

START_TEST(test_plain_formats)
{
	log_info("listening on %s:%d", "0.0.0.0", 7600);
	log_debug("debug %d", 7);
	log_warnx("config key '%s' unknown, ignoring", "colour");
	log_errx("cannot bind");
	log_msg(LOG_LEVEL_INFO, "via log_msg");
	ck_assert_str_eq(cap_text(),
	    "ocmtest: listening on 0.0.0.0:7600\n"
	    "ocmtest: debug 7\n"
	    "ocmtest: warning: config key 'colour' unknown, ignoring\n"
	    "ocmtest: error: cannot bind\n"
	    "ocmtest: via log_msg\n");
}
END_TEST

START_TEST(test_journal_formats)
{
	log_set_output(cap_f, true);
	log_errx("e %d", 1);
	log_warnx("w");
	log_info("i");
	log_debug("d");
	ck_assert_str_eq(cap_text(), "<3>e 1\n<4>w\n<6>i\n<7>d\n");
}
END_TEST

START_TEST(test_level_filter)
{
	log_set_level(LOG_LEVEL_WARN);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_WARN);
	log_debug("no debug");
	log_info("no info");
	log_warnx("yes warn");
	log_errx("yes err");
	log_set_level(LOG_LEVEL_ERR);
	log_warnx("no warn");
	log_errx("yes err 2");
	log_set_level(LOG_LEVEL_INFO);
	log_debug("no debug 2");
	log_info("yes info");
	ck_assert_str_eq(cap_text(),
	    "ocmtest: warning: yes warn\n"
	    "ocmtest: error: yes err\n"
	    "ocmtest: error: yes err 2\n"
	    "ocmtest: yes info\n");
}
END_TEST

/*
 * Runs first (its own TCase, no fixture), so that with CK_FORK=no too it
 * sees the state before any log_init: "ocm", info, plain.
 */
START_TEST(test_before_init)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_INFO);
	log_set_output(f, false);
	log_debug("hidden");
	log_info("shown");
	log_set_output(NULL, false);
	fclose(f);
	ck_assert_str_eq(buf, "ocm: shown\n");
	free(buf);
}
END_TEST

/* log_init(NULL, ...) keeps the program name it had. */
START_TEST(test_init_null_name)
{
	log_init(NULL, LOG_LEVEL_INFO);
	log_set_output(cap_f, false);
	log_debug("hidden");
	log_info("shown");
	ck_assert_str_eq(cap_text(), "ocmtest: shown\n");
}
END_TEST

START_TEST(test_warn_appends_strerror)
{
	char want[256];

	snprintf(want, sizeof(want), "ocmtest: warning: open /nonexistent: %s\n",
	    strerror(ENOENT));
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	ck_assert_int_eq(errno, ENOENT);	/* logging leaves errno alone */
	ck_assert_str_eq(cap_text(), want);
}
END_TEST

/* A failed write (here ENOSPC from /dev/full) must not clobber the errno
 * the caller is about to test or report. */
START_TEST(test_errno_kept_on_write_error)
{
	FILE *full = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(full);
	log_set_output(full, false);
	errno = EINTR;
	log_info("lost");
	ck_assert_int_eq(errno, EINTR);
	errno = EAGAIN;
	log_warn("lost too");
	ck_assert_int_eq(errno, EAGAIN);
	log_set_output(cap_f, false);
	fclose(full);
}
END_TEST

START_TEST(test_warnx_no_strerror)
{
	errno = ENOENT;
	log_warnx("plain");
	ck_assert_str_eq(cap_text(), "ocmtest: warning: plain\n");
}
END_TEST

START_TEST(test_control_chars_sanitised)
{
	log_info("refused join from 198.51.100.7: bad password for room '%s'",
	    "lob\nocmtest: forged\r\t\x1b[2J\x7f\x01" "by");
	ck_assert_str_eq(cap_text(),
	    "ocmtest: refused join from 198.51.100.7: bad password for room "
	    "'lob?ocmtest: forged???[2J??by'\n");
}
END_TEST

/* Peer-chosen text cannot break a line or reorder how it displays: C1
 * controls, U+2028/2029, bidi marks, embeddings, overrides and isolates
 * and the other format characters of lib/text.c are escaped; their
 * neighbours (U+2027, U+202F, U+2070, U+00A0) are not, and an ill-formed
 * byte is '?'. */
START_TEST(test_unicode_controls_escaped)
{
	log_info("refused join from 198.51.100.7: room '%s'",
	    "a\xc2\x85" "b\xc2\x9f" "c\xe2\x80\xa8" "d\xe2\x80\xa9" "e\xe2\x80\xae"
	    "f\xe2\x81\xa6" "g\xe2\x81\xa9" "h\xe2\x80\xa7" "i\xe2\x80\xaf" "j\xe2\x81\xa5"
	    "k\xe2\x81\xaa" "l\xc2\xa0" "m\xe2\x80\x8e" "n\xe2\x80\x8f" "o\xd8\x9c"
	    "p\xef\xbb\xbf" "q\xf3\xa0\x80\x81" "r\xe2\x81\xb0" "s\xff" "t\xe2\x80\x8b");
	ck_assert_str_eq(cap_text(),
	    "ocmtest: refused join from 198.51.100.7: room '"
	    "a\\u0085b\\u009Fc\\u2028d\\u2029e\\u202Ef\\u2066g\\u2069"
	    "h\xe2\x80\xa7i\xe2\x80\xafj\\u2065k\\u206Al\xc2\xa0m\\u200En\\u200F"
	    "o\\u061Cp\\uFEFFq\\U000E0001r\xe2\x81\xb0s?t\\u200B'\n");
}
END_TEST

/* UTF-8 is not touched: only controls, format characters and ill-formed
 * bytes are. */
START_TEST(test_utf8_kept)
{
	log_info("room '%s'", "caf\xc3\xa9 \xf0\x9f\x98\x80");
	ck_assert_str_eq(cap_text(), "ocmtest: room 'caf\xc3\xa9 \xf0\x9f\x98\x80'\n");
}
END_TEST

START_TEST(test_long_line_truncated)
{
	static char msg[5000];
	const char *out;
	size_t prefix = strlen("ocmtest: ");

	memset(msg, 'a', sizeof(msg) - 1);
	log_info("%s", msg);
	out = cap_text();
	ck_assert_uint_eq(strlen(out), LINE_MAX_BYTES);
	ck_assert(strncmp(out, "ocmtest: aaaa", 13) == 0);
	ck_assert_str_eq(out + LINE_MAX_BYTES - 4, "...\n");
	ck_assert_ptr_eq(strchr(out, '\n'), out + LINE_MAX_BYTES - 1);
	ck_assert_uint_eq(strspn(out + prefix, "a"), LINE_MAX_BYTES - 4 - prefix);
}
END_TEST

/* The longest line that fits is written whole, without "...". */
START_TEST(test_exact_fit_not_truncated)
{
	static char msg[LINE_MAX_BYTES];
	size_t n = LINE_MAX_BYTES - 1 - strlen("ocmtest: ");
	const char *out;

	memset(msg, 'b', n);
	msg[n] = '\0';
	log_info("%s", msg);
	out = cap_text();
	ck_assert_uint_eq(strlen(out), LINE_MAX_BYTES);
	ck_assert_str_eq(out + LINE_MAX_BYTES - 2, "b\n");

	msg[n] = 'b';
	msg[n + 1] = '\0';
	log_info("%s", msg);
	out = cap_text();
	ck_assert_uint_eq(strlen(out), 2 * LINE_MAX_BYTES);
	ck_assert_str_eq(out + 2 * LINE_MAX_BYTES - 4, "...\n");
}
END_TEST

/* A cut never splits a UTF-8 sequence: "é" (2 bytes) straddling the cut
 * is dropped whole. */
START_TEST(test_truncation_keeps_utf8)
{
	static char msg[2000];
	size_t prefix = strlen("ocmtest: ");
	size_t at = LINE_MAX_BYTES - 4 - prefix - 1;	/* é covers the cut */
	const char *out;

	memset(msg, 'c', sizeof(msg) - 1);
	msg[at] = '\xc3';
	msg[at + 1] = '\xa9';
	log_info("%s", msg);
	out = cap_text();
	ck_assert_uint_eq(strlen(out), LINE_MAX_BYTES - 1);
	ck_assert_str_eq(out + prefix + at, "...\n");
	ck_assert_uint_eq(strspn(out + prefix, "c"), at);
}
END_TEST

START_TEST(test_errno_suffix_truncated)
{
	static char msg[3000];
	const char *out;

	memset(msg, 'd', sizeof(msg) - 1);
	errno = EACCES;
	log_warn("%s", msg);
	out = cap_text();
	ck_assert_uint_eq(strlen(out), LINE_MAX_BYTES);
	ck_assert_str_eq(out + LINE_MAX_BYTES - 4, "...\n");
}
END_TEST

/* The journal tests point fd 2 at a file so that its dev:ino is known. */
static int saved_stderr = -1;
static FILE *err_file;

static void
stderr_setup(void)
{
	cap_setup();
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	err_file = tmpfile();
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_ptr_nonnull(err_file);
	ck_assert_int_eq(dup2(fileno(err_file), STDERR_FILENO), STDERR_FILENO);
}

static void
stderr_teardown(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(err_file);
	unsetenv("JOURNAL_STREAM");
	cap_teardown();
}

/* What went to fd 2 since stderr_setup. */
static const char *
stderr_text(void)
{
	static char buf[512];
	size_t n;

	fflush(stderr);
	rewind(err_file);
	n = fread(buf, 1, sizeof(buf) - 1, err_file);
	buf[n] = '\0';
	return buf;
}

static void
set_journal_stream(const char *value)
{
	ck_assert_int_eq(setenv("JOURNAL_STREAM", value, 1), 0);
	log_init("ocmd", LOG_LEVEL_INFO);
}

START_TEST(test_journal_stream_matches)
{
	struct stat st;
	char v[64];

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	set_journal_stream(v);
	log_info("ready");
	log_warnx("careful");
	ck_assert_str_eq(stderr_text(), "<6>ready\n<4>careful\n");
}
END_TEST

START_TEST(test_journal_stream_unset)
{
	unsetenv("JOURNAL_STREAM");
	log_init("ocmd", LOG_LEVEL_INFO);
	log_info("ready");
	ck_assert_str_eq(stderr_text(), "ocmd: ready\n");
}
END_TEST

/* Values that must not turn the journal format on; %s stands for the
 * real dev:ino pieces where a near miss is the point. */
static const char *const journal_bad[] = {
	"0:0",
	"",
	":",
	"garbage",
	"DEV:INO",
	"%DEV:",
	":%INO",
	"%DEV",
	"%DEV:%INO:",
	"%DEV:%INO ",
	" %DEV:%INO",
	"+%DEV:%INO",
	"%DEV:-%INO",
	"%DEV:%INO1",
	"%DEV;%INO",
	"99999999999999999999999:%INO",
};

/* Expands %DEV and %INO in pattern. */
static void
journal_value(const char *pattern, char *out, size_t size)
{
	struct stat st;
	char dev[32], ino[32];
	size_t len = 0;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(dev, sizeof(dev), "%llu", (unsigned long long)st.st_dev);
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)st.st_ino);
	out[0] = '\0';
	for (const char *p = pattern; *p != '\0';) {
		const char *piece = NULL;
		if (strncmp(p, "%DEV", 4) == 0)
			piece = dev;
		else if (strncmp(p, "%INO", 4) == 0)
			piece = ino;
		if (piece != NULL) {
			len += (size_t)snprintf(out + len, size - len, "%s", piece);
			p += 4;
		} else {
			len += (size_t)snprintf(out + len, size - len, "%c", *p);
			p++;
		}
		ck_assert_uint_lt(len, size);
	}
}

START_TEST(test_journal_stream_rejected)
{
	char v[128];

	journal_value(journal_bad[_i], v, sizeof(v));
	set_journal_stream(v);
	log_info("ready");
	ck_assert_msg(strcmp(stderr_text(), "ocmd: ready\n") == 0,
	    "JOURNAL_STREAM='%s' gave '%s'", v, stderr_text());
}
END_TEST

/* log_set_output(NULL, ...) goes back to stderr, plain unless asked. */
START_TEST(test_set_output_null_restores_stderr)
{
	log_info("to memstream");
	log_set_output(NULL, false);
	log_info("to stderr");
	log_set_output(NULL, true);
	log_info("journal stderr");
	ck_assert_str_eq(stderr_text(), "ocmtest: to stderr\n<6>journal stderr\n");
	ck_assert_str_eq(cap_text(), "ocmtest: to memstream\n");
}
END_TEST

static const struct {
	const char *s;
	int level;
} parse_cases[] = {
	{ .s = "err", .level = LOG_LEVEL_ERR },
	{ .s = "error", .level = LOG_LEVEL_ERR },
	{ .s = "warning", .level = LOG_LEVEL_WARN },
	{ .s = "warn", .level = LOG_LEVEL_WARN },
	{ .s = "info", .level = LOG_LEVEL_INFO },
	{ .s = "debug", .level = LOG_LEVEL_DEBUG },
	{ .s = "", .level = -1 },
	{ .s = "notice", .level = -1 },
	{ .s = "INFO", .level = -1 },
	{ .s = "info ", .level = -1 },
	{ .s = "inf", .level = -1 },
	{ .s = "6", .level = -1 },
	{ .s = NULL, .level = -1 },
};

START_TEST(test_level_parse)
{
	ck_assert_int_eq(log_level_parse(parse_cases[_i].s), parse_cases[_i].level);
}
END_TEST

START_TEST(test_level_name)
{
	ck_assert_str_eq(log_level_name(LOG_LEVEL_ERR), "err");
	ck_assert_str_eq(log_level_name(LOG_LEVEL_WARN), "warning");
	ck_assert_str_eq(log_level_name(LOG_LEVEL_INFO), "info");
	ck_assert_str_eq(log_level_name(LOG_LEVEL_DEBUG), "debug");
	ck_assert_str_eq(log_level_name((enum log_level)5), "unknown");
	ck_assert_str_eq(log_level_name((enum log_level)-1), "unknown");
	ck_assert_str_eq(log_level_name((enum log_level)100), "unknown");
	/* The names round-trip through the parser. */
	for (int l = LOG_LEVEL_ERR; l <= LOG_LEVEL_DEBUG; l++) {
		if (l == 5)
			continue;
		ck_assert_int_eq(log_level_parse(log_level_name((enum log_level)l)), l);
	}
}
END_TEST

/* A sink in place of the journal: what it was given. */
static char sunk[LINE_MAX_BYTES + 64];
static struct log_event sunk_ev;
static bool sunk_has_ev;
static int sink_result;

static int
capture_sink(enum log_level level, const struct log_event *ev, const char *msg, size_t len)
{
	(void)level;
	ck_assert_uint_eq(strlen(msg), len);
	snprintf(sunk, sizeof(sunk), "%s", msg);
	sunk_has_ev = ev != NULL;
	if (ev != NULL)
		sunk_ev = *ev;
	return sink_result;
}

START_TEST(test_sink_gets_events_with_fields)
{
	struct log_event ev = { .id = "0123456789abcdef0123456789abcdef", .name = "joined",
		.room = "lob\nby", .user = "al\xe2\x80\xaeice", .address = "192.0.2.7" };

	sink_result = 0;
	log_set_sink(capture_sink);
	log_event(LOG_LEVEL_INFO, &ev, "joined from %s: '%s' in room '%s'", ev.address,
	    ev.user, ev.room);
	log_info("plain %d", 1);
	ck_assert(!sunk_has_ev);
	ck_assert_str_eq(sunk, "plain 1");
	log_event(LOG_LEVEL_INFO, &ev, "joined from %s: '%s' in room '%s'", ev.address,
	    ev.user, ev.room);
	/* The message is sanitised as on stderr, with neither prefix nor
	 * newline; the fields are passed as they are, for the sink to send
	 * length-prefixed. */
	ck_assert_str_eq(sunk, "joined from 192.0.2.7: 'al\\u202Eice' in room 'lob?by'");
	ck_assert(sunk_has_ev);
	ck_assert_str_eq(sunk_ev.room, "lob\nby");
	ck_assert_str_eq(sunk_ev.address, "192.0.2.7");
	ck_assert_str_eq(sunk_ev.id, ev.id);
	/* Below the level: the sink is not called. */
	log_set_level(LOG_LEVEL_WARN);
	log_event(LOG_LEVEL_INFO, &ev, "quiet");
	ck_assert_str_ne(sunk, "quiet");
	log_set_level(LOG_LEVEL_DEBUG);
	ck_assert_str_eq(cap_text() != NULL ? cap_text() : "", "");
	log_set_sink(NULL);
}
END_TEST

START_TEST(test_sink_failure_falls_back)
{
	sink_result = -1;
	log_set_sink(capture_sink);
	log_warnx("journal gone");
	log_set_sink(NULL);
	ck_assert_str_eq(cap_text(), "ocmtest: warning: journal gone\n");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("default");

	tcase_add_test(tc, test_before_init);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");

	tcase_add_checked_fixture(tc, cap_setup, cap_teardown);
	tcase_add_test(tc, test_plain_formats);
	tcase_add_test(tc, test_journal_formats);
	tcase_add_test(tc, test_level_filter);
	tcase_add_test(tc, test_init_null_name);
	tcase_add_test(tc, test_warn_appends_strerror);
	tcase_add_test(tc, test_errno_kept_on_write_error);
	tcase_add_test(tc, test_warnx_no_strerror);
	tcase_add_test(tc, test_control_chars_sanitised);
	tcase_add_test(tc, test_unicode_controls_escaped);
	tcase_add_test(tc, test_utf8_kept);
	tcase_add_test(tc, test_long_line_truncated);
	tcase_add_test(tc, test_exact_fit_not_truncated);
	tcase_add_test(tc, test_truncation_keeps_utf8);
	tcase_add_test(tc, test_errno_suffix_truncated);
	tcase_add_loop_test(tc, test_level_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_level_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, stderr_setup, stderr_teardown);
	tcase_add_test(tc, test_journal_stream_matches);
	tcase_add_test(tc, test_journal_stream_unset);
	tcase_add_test(tc, test_sink_gets_events_with_fields);
	tcase_add_test(tc, test_sink_failure_falls_back);
	tcase_add_loop_test(tc, test_journal_stream_rejected, 0,
	    sizeof(journal_bad) / sizeof(journal_bad[0]));
	tcase_add_test(tc, test_set_output_null_restores_stderr);
	suite_add_tcase(s, tc);

	return s;
}

TEST_MAIN(log_suite)
