/*
 * check_text.c: UTF-8, name and chat-text validation (lib/text.c), the
 * gate every peer-supplied string passes before it is stored or relayed.
 * Byte sequences are written in hex so the tables show exactly what the
 * wire carries.
 */
#include <check.h>
#include <string.h>

#include "lib/ocm.h"
#include "lib/text.h"
#include "tests/unit/util.h"

struct utf8_case {
	const char *hex;
	bool valid;
	const char *what;
};

static const struct utf8_case utf8_cases[] = {
	{ .hex = "", .valid = true, .what = "empty" },
	{ .hex = "61", .valid = true, .what = "ASCII a" },
	{ .hex = "00", .valid = true, .what = "NUL is a code point" },
	{ .hex = "7f", .valid = true, .what = "DEL" },
	{ .hex = "48 65 6c 6c 6f", .valid = true, .what = "Hello" },
	{ .hex = "c2 80", .valid = true, .what = "U+0080, first 2-byte" },
	{ .hex = "c3 a9", .valid = true, .what = "U+00E9" },
	{ .hex = "df bf", .valid = true, .what = "U+07FF, last 2-byte" },
	{ .hex = "e0 a0 80", .valid = true, .what = "U+0800, first 3-byte" },
	{ .hex = "e2 82 ac", .valid = true, .what = "U+20AC euro" },
	{ .hex = "ed 9f bf", .valid = true, .what = "U+D7FF, below surrogates" },
	{ .hex = "ee 80 80", .valid = true, .what = "U+E000, above surrogates" },
	{ .hex = "ef bf bf", .valid = true, .what = "U+FFFF" },
	{ .hex = "f0 90 80 80", .valid = true, .what = "U+10000, first 4-byte" },
	{ .hex = "f0 9f 98 80", .valid = true, .what = "U+1F600" },
	{ .hex = "f4 8f bf bf", .valid = true, .what = "U+10FFFF" },
	{ .hex = "61 c3 a9 e2 82 ac f0 9f 98 80 62", .valid = true, .what = "mixed" },
	{ .hex = "c0 80", .valid = false, .what = "overlong 2-byte NUL" },
	{ .hex = "c1 bf", .valid = false, .what = "overlong 2-byte U+007F" },
	{ .hex = "e0 80 80", .valid = false, .what = "overlong 3-byte NUL" },
	{ .hex = "e0 9f bf", .valid = false, .what = "overlong 3-byte U+07FF" },
	{ .hex = "f0 80 80 80", .valid = false, .what = "overlong 4-byte NUL" },
	{ .hex = "f0 8f bf bf", .valid = false, .what = "overlong 4-byte U+FFFF" },
	{ .hex = "ed a0 80", .valid = false, .what = "surrogate U+D800" },
	{ .hex = "ed bf bf", .valid = false, .what = "surrogate U+DFFF" },
	{ .hex = "ed a0 bd ed b8 80", .valid = false, .what = "CESU-8 surrogate pair" },
	{ .hex = "f4 90 80 80", .valid = false, .what = "U+110000" },
	{ .hex = "f5 80 80 80", .valid = false, .what = "lead f5" },
	{ .hex = "f7 bf bf bf", .valid = false, .what = "lead f7" },
	{ .hex = "f8 88 80 80 80", .valid = false, .what = "lead f8, 5-byte form" },
	{ .hex = "fc 84 80 80 80 80", .valid = false, .what = "lead fc, 6-byte form" },
	{ .hex = "fe", .valid = false, .what = "fe" },
	{ .hex = "ff", .valid = false, .what = "ff" },
	{ .hex = "c3", .valid = false, .what = "2-byte cut after lead" },
	{ .hex = "61 c3", .valid = false, .what = "2-byte cut at end" },
	{ .hex = "e2 82", .valid = false, .what = "3-byte cut after 2" },
	{ .hex = "e2", .valid = false, .what = "3-byte cut after lead" },
	{ .hex = "f0 9f 98", .valid = false, .what = "4-byte cut after 3" },
	{ .hex = "f0 9f", .valid = false, .what = "4-byte cut after 2" },
	{ .hex = "80", .valid = false, .what = "lone continuation 80" },
	{ .hex = "bf", .valid = false, .what = "lone continuation bf" },
	{ .hex = "61 80 62", .valid = false, .what = "continuation between ASCII" },
	{ .hex = "c3 a9 a9", .valid = false, .what = "extra continuation" },
	{ .hex = "c3 41", .valid = false, .what = "2-byte with ASCII second" },
	{ .hex = "e2 28 a1", .valid = false, .what = "3-byte with bad second" },
	{ .hex = "e2 82 28", .valid = false, .what = "3-byte with bad third" },
	{ .hex = "f0 9f 98 28", .valid = false, .what = "4-byte with bad fourth" },
	{ .hex = "c3 c3 a9", .valid = false, .what = "lead where continuation due" },
	{ .hex = "e2 82 c3", .valid = false, .what = "3-byte with lead as third" },
	{ .hex = "f0 9f c3 80", .valid = false, .what = "4-byte with lead as third" },
	{ .hex = "f0 9f 98 f0", .valid = false, .what = "4-byte with lead as fourth" },
	{ .hex = "e2 82 ff", .valid = false, .what = "3-byte with ff as third" },
};

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static size_t
unhex_case(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = test_unhex(hex, buf, cap);

	ck_assert_msg(n != (size_t)-1, "bad hex in test table: %s", hex);
	return n;
}

START_TEST(test_utf8_table)
{
	const struct utf8_case *c = &utf8_cases[_i];
	uint8_t buf[16];
	size_t n = unhex_case(c->hex, buf, sizeof(buf));

	ck_assert_msg(utf8_valid(buf, n) == c->valid, "%s (%s)", c->what, c->hex);
}
END_TEST

/* Every invalid sequence stays invalid wherever it sits in a string. */
START_TEST(test_utf8_table_embedded)
{
	const struct utf8_case *c = &utf8_cases[_i];
	uint8_t buf[32];
	size_t n;

	memcpy(buf, "ab", 2);
	n = unhex_case(c->hex, buf + 2, sizeof(buf) - 4);
	memcpy(buf + 2 + n, "cd", 2);
	ck_assert_msg(utf8_valid(buf, n + 4) == c->valid, "%s (%s)", c->what, c->hex);
}
END_TEST

/* The length, not a NUL, ends the string: bytes past len are not read. */
START_TEST(test_utf8_length_bounds)
{
	const uint8_t euro[] = { 0xe2, 0x82, 0xac };

	ck_assert(utf8_valid(euro, 3));
	ck_assert(!utf8_valid(euro, 2));
	ck_assert(!utf8_valid(euro, 1));
	ck_assert(utf8_valid(euro, 0));
}
END_TEST

/* Every lead byte from 0xf5 to 0xff is invalid whatever follows. */
START_TEST(test_utf8_bad_leads)
{
	uint8_t buf[4] = { (uint8_t)_i, 0x80, 0x80, 0x80 };

	ck_assert_msg(!utf8_valid(buf, 1), "lead 0x%02x alone", _i);
	ck_assert_msg(!utf8_valid(buf, sizeof(buf)), "lead 0x%02x", _i);
}
END_TEST

START_TEST(test_name_lengths)
{
	uint8_t buf[OCM_NAME_MAX + 1];

	memset(buf, 'n', sizeof(buf));
	ck_assert(!name_valid(buf, 0));
	ck_assert(name_valid(buf, 1));
	ck_assert(name_valid(buf, OCM_NAME_MAX));
	ck_assert(!name_valid(buf, OCM_NAME_MAX + 1));
}
END_TEST

/* A 255-byte name of 2-byte characters is a byte limit, not a char one. */
START_TEST(test_name_multibyte_length)
{
	uint8_t buf[OCM_NAME_MAX + 1];

	for (size_t i = 0; i + 1 < sizeof(buf); i += 2) {
		buf[i] = 0xc3;
		buf[i + 1] = 0xa9;
	}
	ck_assert(name_valid(buf, 254));
	ck_assert(!name_valid(buf, 256));
	ck_assert(!name_valid(buf, 255));	/* ends inside a sequence */
}
END_TEST

/* _i runs 0x00..0x20: 0x00..0x1f are controls; 0x20 stands for DEL. */
static uint8_t
control_char(int i)
{
	return i == 0x20 ? 0x7f : (uint8_t)i;
}

START_TEST(test_name_rejects_control)
{
	uint8_t c = control_char(_i);
	uint8_t buf[3] = { 'a', c, 'b' };

	ck_assert_msg(!name_valid(buf, 3), "0x%02x inside", c);
	ck_assert_msg(!name_valid(&c, 1), "0x%02x alone", c);
	ck_assert_msg(!name_valid(buf, 2), "0x%02x at end", c);
	ck_assert_msg(!name_valid(buf + 1, 2), "0x%02x at start", c);
}
END_TEST

/* Bytes, not characters or locale: a prefix first, 0xff after ASCII. */
static const struct {
	const char *a, *b;
	int sign;
} cmp_cases[] = {
	{ "a", "a", 0 },
	{ "a", "b", -1 },
	{ "a", "ab", -1 },
	{ "ab", "b", -1 },
	{ "B", "a", -1 },
	{ "z", "\xc3\xa9", -1 },
	{ "\xc3\xa9", "\xc3\xa9t\xc3\xa9", -1 },
	{ "\xef\xbf\xbd", "\xf0\x9f\x98\x80", -1 },
};

START_TEST(test_name_cmp)
{
	const char *a = cmp_cases[_i].a, *b = cmp_cases[_i].b;
	int sign = cmp_cases[_i].sign;
	int ab = name_cmp((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b));
	int ba = name_cmp((const uint8_t *)b, strlen(b), (const uint8_t *)a, strlen(a));

	ck_assert_int_eq((ab > 0) - (ab < 0), sign);
	ck_assert_int_eq((ba > 0) - (ba < 0), -sign);
}
END_TEST

START_TEST(test_chat_rejects_control)
{
	uint8_t c = control_char(_i);
	uint8_t buf[3] = { 'a', c, 'b' };
	bool expect = c == '\t';

	ck_assert_msg(chat_text_valid(buf, 3) == expect, "0x%02x inside", c);
	ck_assert_msg(chat_text_valid(&c, 1) == expect, "0x%02x alone", c);
}
END_TEST

static const struct {
	const char *hex;
	bool name, chat;
	const char *what;
} class_cases[] = {
	{ .hex = "61 6c 69 63 65", .name = true, .chat = true, .what = "alice" },
	{ .hex = "61 20 62", .name = true, .chat = true, .what = "space" },
	{ .hex = "61 09 62", .name = false, .chat = true, .what = "TAB" },
	{ .hex = "09", .name = false, .chat = true, .what = "TAB alone" },
	{ .hex = "61 7f 62", .name = false, .chat = false, .what = "DEL" },
	{ .hex = "61 0a 62", .name = false, .chat = false, .what = "LF" },
	{ .hex = "61 0d 62", .name = false, .chat = false, .what = "CR" },
	{ .hex = "61 1b 5b 32 4a", .name = false, .chat = false, .what = "ESC [2J" },
	{ .hex = "61 00 62", .name = false, .chat = false, .what = "NUL" },
	{ .hex = "", .name = false, .chat = false, .what = "empty" },
	{ .hex = "e6 97 a5 e6 9c ac", .name = true, .chat = true, .what = "CJK" },
	{ .hex = "f0 9f 98 80", .name = true, .chat = true, .what = "emoji" },
	{ .hex = "f4 8f bf bf", .name = true, .chat = true, .what = "U+10FFFF" },
	{ .hex = "c0 80", .name = false, .chat = false, .what = "overlong NUL" },
	{ .hex = "ed a0 80", .name = false, .chat = false, .what = "surrogate" },
	{ .hex = "61 c3", .name = false, .chat = false, .what = "truncated" },
	{ .hex = "61 80", .name = false, .chat = false, .what = "lone continuation" },
	{ .hex = "ff", .name = false, .chat = false, .what = "ff" },
};

START_TEST(test_class_table)
{
	uint8_t buf[16];
	size_t n = unhex_case(class_cases[_i].hex, buf, sizeof(buf));

	ck_assert_msg(name_valid(buf, n) == class_cases[_i].name, "name: %s",
	    class_cases[_i].what);
	ck_assert_msg(chat_text_valid(buf, n) == class_cases[_i].chat, "chat: %s",
	    class_cases[_i].what);
}
END_TEST

/* Chat text has no upper limit of its own (the datagram sets it). */
START_TEST(test_chat_long)
{
	static uint8_t buf[OCM_MAX_DATAGRAM];

	memset(buf, 'x', sizeof(buf));
	ck_assert(chat_text_valid(buf, sizeof(buf)));
	buf[sizeof(buf) - 1] = 0xc3;
	ck_assert(!chat_text_valid(buf, sizeof(buf)));
}
END_TEST

/* A plain byte-at-a-time reference for the fast scanner in text.c. */
static bool
ref_chat_ok(const uint8_t *s, size_t len, bool tab_ok)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] < 0x20 && !(tab_ok && s[i] == '\t')) || s[i] == 0x7f)
			return false;
	return utf8_valid(s, len);
}

/* Random text around every alignment and word boundary, mostly ASCII with
 * sprinkled controls, DEL, TAB and UTF-8 (valid and broken): the word-at-
 * a-time path must agree with the reference on every one. */
START_TEST(fast_scan_matches_reference)
{
	static const uint8_t extras[] = { 0x00, 0x09, 0x0a, 0x1f, 0x20, 0x7e, 0x7f, 0x80,
		0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff };
	uint8_t buf[80];
	uint32_t seed = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(round % 70) + 1;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			uint32_t r = seed >> 16;
			/* Independent draws: r % 9 and r % 18 would be correlated. */
			buf[i] = r % 9 == 0 ? extras[(r >> 8) % sizeof(extras)] :
			    (uint8_t)(0x20 + (r >> 4) % 95);
		}
		ck_assert_int_eq(chat_text_valid(buf, len), ref_chat_ok(buf, len, true));
		ck_assert_int_eq(name_valid(buf, len), len <= 255 && ref_chat_ok(buf, len, false));
	}
}
END_TEST

/* utf8_sanitize: what goes in, the room out has (NUL included), what
 * comes out. */
struct sanitize_case {
	const char *in;
	size_t in_len, out_len;
	const char *out;
	bool keep_tab;
};

static const struct sanitize_case sanitize_cases[] = {
	{ "plain", 5, 64, "plain", false },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 64, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", false },
	{ "a\xffz", 3, 64, "a?z", false },				/* never a lead byte */
	{ "co\\\xd6\x9e", 5, 64, "co\\\xd6\x9e", false },		/* valid, kept */
	{ "co\\\xd6", 4, 64, "co\\?", false },				/* cut sequence at the end */
	{ "\xd6" "A", 2, 64, "?A", false },				/* bad continuation */
	{ "\xc0\x80", 2, 64, "??", false },				/* overlong NUL */
	{ "\xed\xa0\x80", 3, 64, "???", false },			/* surrogate */
	{ "\xf4\x90\x80\x80", 4, 64, "????", false },			/* above U+10FFFF */
	{ "tab\there\nline\x7f", 14, 64, "tab?here?line?", false },	/* controls */
	{ "tab\there\nline", 13, 64, "tab\there?line", true },	/* TAB kept */
	{ "\xc2\x9b" "31m \xc2\x85", 8, 64, "??31m ??", false },	/* C1: CSI, NEL */
	{ "\xc2\xa0\xc2\x9f", 4, 64, "\xc2\xa0??", false },		/* NBSP is not C1 */
	{ "ab\xc3\xa9", 4, 4, "ab", false },				/* no half of a character */
	{ "ab\xc3\xa9", 4, 5, "ab\xc3\xa9", false },
	{ "abc", 3, 3, "ab", false },
	{ "abc", 3, 1, "", false },
	{ "", 0, 8, "", false },
};

START_TEST(test_sanitize)
{
	const struct sanitize_case *c = &sanitize_cases[_i];
	char out[64];

	memset(out, 'X', sizeof(out));
	size_t n = utf8_sanitize((const uint8_t *)c->in, c->in_len, c->keep_tab, out, c->out_len);
	ck_assert_str_eq(out, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
	ck_assert(utf8_valid((const uint8_t *)out, n));
	for (size_t k = c->out_len; k < sizeof(out); k++)
		ck_assert_int_eq(out[k], 'X');		/* nothing past out_len */
}
END_TEST

/* Whatever the bytes, the result is valid UTF-8 without controls. */
START_TEST(test_sanitize_all_pairs)
{
	uint8_t in[3];
	char out[16];

	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b += 3) {
			in[0] = (uint8_t)a;
			in[1] = (uint8_t)b;
			in[2] = (uint8_t)(a ^ b);
			size_t n = utf8_sanitize(in, sizeof(in), false, out, sizeof(out));
			ck_assert(name_valid((const uint8_t *)out, n));
			ck_assert_uint_eq(strlen(out), n);
		}
	}
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("utf8");

	tcase_add_loop_test(tc, test_utf8_table, 0, NCASES(utf8_cases));
	tcase_add_loop_test(tc, test_utf8_table_embedded, 0, NCASES(utf8_cases));
	tcase_add_test(tc, test_utf8_length_bounds);
	tcase_add_test(tc, fast_scan_matches_reference);
	tcase_add_loop_test(tc, test_utf8_bad_leads, 0xf5, 0x100);
	suite_add_tcase(s, tc);

	tc = tcase_create("name");
	tcase_add_test(tc, test_name_lengths);
	tcase_add_test(tc, test_name_multibyte_length);
	tcase_add_loop_test(tc, test_name_rejects_control, 0x00, 0x21);
	tcase_add_loop_test(tc, test_name_cmp, 0, NCASES(cmp_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("chat");
	tcase_add_loop_test(tc, test_chat_rejects_control, 0x00, 0x21);
	tcase_add_loop_test(tc, test_class_table, 0, NCASES(class_cases));
	tcase_add_test(tc, test_chat_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("sanitize");
	tcase_add_loop_test(tc, test_sanitize, 0, NCASES(sanitize_cases));
	tcase_add_test(tc, test_sanitize_all_pairs);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(text_suite)
