/*
 * check_text.c: UTF-8, name and chat-text validation (lib/text.c), the
 * gate every peer-supplied string passes before it is stored or relayed,
 * and the text policy applied before a person sees one: the classifier
 * of code points and the sanitizer in each of its renderings.  Byte
 * sequences are written in hex so the tables show exactly what the wire
 * carries.
 */
#include <check.h>
#include <jansson.h>
#include <locale.h>
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
	{ .hex = "61 c2 85 62", .name = false, .chat = true, .what = "C1 NEL" },
	{ .hex = "c2 9b 33 31 6d", .name = false, .chat = true, .what = "C1 CSI" },
	{ .hex = "61 c2 a0 62", .name = true, .chat = true, .what = "NBSP" },
	{ .hex = "e2 80 ae 61", .name = true, .chat = true, .what = "RLO (a format character)" },
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

/* A name: chat's rule without TAB, and no C1 (C2 80..C2 9F; in valid
 * UTF-8 every C2 is a lead byte). */
static bool
ref_name_ok(const uint8_t *s, size_t len)
{
	if (len == 0 || len > OCM_NAME_MAX || !ref_chat_ok(s, len, false))
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == 0xc2 && s[i + 1] < 0xa0)
			return false;
	return true;
}

/* Random text around every alignment and word boundary, mostly ASCII with
 * sprinkled controls, DEL, TAB and UTF-8 (valid and broken): the word-at-
 * a-time path must agree with the reference on every one. */
START_TEST(fast_scan_matches_reference)
{
	static const uint8_t extras[] = { 0x00, 0x09, 0x0a, 0x1f, 0x20, 0x7e, 0x7f, 0x80,
		0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc2, 0x85, 0xc2,
		0xa0 };
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
		ck_assert_int_eq(name_valid(buf, len), ref_name_ok(buf, len));
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
	{ "\xc2\x9b" "31m \xc2\x85", 8, 64, "?31m ?", false },	/* C1: CSI, NEL */
	{ "\xc2\xa0\xc2\x9f", 4, 64, "\xc2\xa0?", false },		/* NBSP is not C1 */
	{ "a\xe2\x80\xae" "b", 5, 64, "a\xe2\x80\xae" "b", false },		/* RLO: for the front end */
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

/* ---- The policy ------------------------------------------------------- */

/* cp as UTF-8 into buf (4 bytes); returns its length. */
static size_t
enc(uint32_t cp, uint8_t *buf)
{
	if (cp < 0x80) {
		buf[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (uint8_t)(0xc0 | cp >> 6);
		buf[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (uint8_t)(0xe0 | cp >> 12);
		buf[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		buf[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (uint8_t)(0xf0 | cp >> 18);
	buf[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	buf[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	buf[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* C1 controls are not names (doc/protocol.md 2.1), whatever surrounds
 * them; chat text keeps taking them, and so does a name as a server
 * lists it. */
START_TEST(test_name_rejects_c1)
{
	uint8_t buf[4] = { 'a' };
	size_t n = 1 + enc((uint32_t)_i, buf + 1);

	buf[n] = 'b';
	ck_assert_msg(!name_valid(buf, n + 1), "U+%04X inside", _i);
	ck_assert_msg(!name_valid(buf + 1, n - 1), "U+%04X alone", _i);
	ck_assert_msg(!name_valid(buf, n), "U+%04X at end", _i);
	ck_assert_msg(!name_valid(buf + 1, n), "U+%04X at start", _i);
	ck_assert_msg(chat_text_valid(buf, n + 1), "chat: U+%04X", _i);
	ck_assert_msg(name_listed_valid(buf, n + 1), "listed: U+%04X", _i);
}
END_TEST

START_TEST(test_name_c1_named)
{
	ck_assert(!name_valid((const uint8_t *)"x\xc2\x85", 3));	/* NEL */
	ck_assert(!name_valid((const uint8_t *)"x\xc2\x9b" "31m", 6));	/* CSI */
	ck_assert(!name_valid((const uint8_t *)"x\xc2\x9f", 3));	/* APC */
	ck_assert(name_valid((const uint8_t *)"x\xc2\xa0y", 4));	/* NBSP */
	ck_assert(name_valid((const uint8_t *)"\xc2\xa0", 2));
	ck_assert(name_valid((const uint8_t *)"x\xc2\xbf", 3));	/* the last C2 */
	/* A listed name is still a name otherwise. */
	ck_assert(!name_listed_valid((const uint8_t *)"x\x1by", 3));
	ck_assert(!name_listed_valid((const uint8_t *)"x\x7f", 2));
	ck_assert(!name_listed_valid((const uint8_t *)"x\xc3", 2));
	ck_assert(!name_listed_valid((const uint8_t *)"", 0));
}
END_TEST

/* _i runs 0x00..0xff: C0, DEL and C1 are controls, U+00AD a format
 * character, the rest ordinary; the decoder agrees for the 1- and 2-byte
 * sequences the wire carries. */
START_TEST(test_class_latin)
{
	uint32_t cp = (uint32_t)_i, got;
	enum text_class want = TEXT_ORDINARY, cls;
	uint8_t buf[4];
	size_t n = enc(cp, buf);

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		want = TEXT_CONTROL;
	else if (cp == 0xad)
		want = TEXT_FORMAT;
	ck_assert_msg(text_class_of(cp) == want, "U+%04X", cp);
	ck_assert_uint_eq(text_next(buf, n, &got, &cls), n);
	ck_assert_uint_eq(got, cp);
	ck_assert_msg(cls == want, "U+%04X decoded", cp);
}
END_TEST

/* The format characters: the ranges doc/protocol.md 2.2 names, and the
 * rest of category Cf that text.c judges able to fool a reader. */
static const struct {
	uint32_t lo, hi;
	const char *what;
} format_cases[] = {
	{ 0x00ad, 0x00ad, "soft hyphen" },
	{ 0x061c, 0x061c, "Arabic letter mark" },
	{ 0x180e, 0x180e, "Mongolian vowel separator" },
	{ 0x200b, 0x200d, "zero width space, non-joiner, joiner" },
	{ 0x200e, 0x200f, "LRM, RLM" },
	{ 0x2028, 0x2029, "line and paragraph separators" },
	{ 0x202a, 0x202e, "embeddings and overrides" },
	{ 0x2060, 0x2064, "word joiner, invisible operators" },
	{ 0x2065, 0x2065, "unassigned, default ignorable" },
	{ 0x2066, 0x2069, "isolates" },
	{ 0x206a, 0x206f, "deprecated format characters" },
	{ 0xfeff, 0xfeff, "zero width no-break space" },
	{ 0xfff9, 0xfffb, "interlinear annotation" },
	{ 0x1bca0, 0x1bca3, "shorthand format controls" },
	{ 0x1d173, 0x1d17a, "musical format controls" },
	{ 0xe0001, 0xe0001, "language tag" },
	{ 0xe0020, 0xe007f, "tags" },
};

/* Every code point of each range is a format character, decoded as one,
 * and '?' on a terminal; the code points just outside are ordinary. */
START_TEST(test_class_format)
{
	uint32_t lo = format_cases[_i].lo, hi = format_cases[_i].hi;
	const char *what = format_cases[_i].what;
	uint8_t buf[4];
	char out[16];

	for (uint32_t cp = lo; cp <= hi; cp++) {
		uint32_t got;
		enum text_class cls;
		size_t n = enc(cp, buf);
		ck_assert_msg(text_class_of(cp) == TEXT_FORMAT, "U+%04X (%s)", cp, what);
		ck_assert_uint_eq(text_next(buf, n, &got, &cls), n);
		ck_assert_msg(got == cp && cls == TEXT_FORMAT, "U+%04X decoded", cp);
		ck_assert_uint_eq(text_sanitize(buf, n, &text_style_terminal, out, sizeof(out)), 1);
		ck_assert_str_eq(out, "?");
		/* Neither names nor chat text refuse them. */
		ck_assert(name_valid(buf, n));
		ck_assert(chat_text_valid(buf, n));
	}
	/* The neighbours, unless another range or a control. */
	if (text_class_of(lo - 1) != TEXT_CONTROL && (_i == 0 || format_cases[_i - 1].hi != lo - 1))
		ck_assert_msg(text_class_of(lo - 1) == TEXT_ORDINARY, "U+%04X before %s", lo - 1, what);
	if (_i + 1 == NCASES(format_cases) || format_cases[_i + 1].lo != hi + 1)
		ck_assert_msg(text_class_of(hi + 1) == TEXT_ORDINARY, "U+%04X after %s", hi + 1, what);
}
END_TEST

START_TEST(test_class_ordinary)
{
	static const uint32_t ordinary[] = { 0x20, 0x41, 0x7e, 0xa0, 0xe9, 0x5d0, 0x627, 0x2010,
		0x2027, 0x202f, 0x2070, 0x3000, 0x4e2d, 0xfe0f, 0xfffd, 0xfffe, 0x1f600,
		0xe0100, 0x10ffff };

	for (size_t i = 0; i < NCASES(ordinary); i++)
		ck_assert_msg(text_class_of(ordinary[i]) == TEXT_ORDINARY, "U+%04X", ordinary[i]);
}
END_TEST

/* Each byte that starts no well-formed sequence is one ill-formed byte. */
START_TEST(test_next_ill_formed)
{
	static const char *const bad[] = { "c0 80", "c1 bf", "e0 80 80", "ed a0 80",
		"f0 8f bf bf", "f4 90 80 80", "f5 80 80 80", "80", "bf", "c3", "c3 41", "e2 82",
		"e2 28 a1", "f0 9f 98", "fe", "ff" };

	for (size_t i = 0; i < NCASES(bad); i++) {
		uint8_t buf[8];
		size_t n = unhex_case(bad[i], buf, sizeof(buf));
		uint32_t cp;
		enum text_class cls;
		ck_assert_uint_eq(text_next(buf, n, &cp, &cls), 1);
		ck_assert_msg(cls == TEXT_ILL_FORMED, "%s", bad[i]);
		ck_assert_uint_eq(cp, buf[0]);
	}
}
END_TEST

/* text_sanitize: what goes in, the style, the room out has (NUL
 * included), what comes out. */
struct render_case {
	const char *in;
	size_t in_len;
	struct text_style style;
	size_t out_len;
	const char *out;
};

#define Q	TEXT_QUESTION
#define R	TEXT_REPLACEMENT
#define E	TEXT_ESCAPE
#define J	TEXT_JSON
#define K	TEXT_KEEP
#define FFFD	"\xef\xbf\xbd"

static const struct render_case render_cases[] = {
	/* C0 and DEL; TAB and newline kept only when asked. */
	{ "a\tb\nc\x1b[0m\x7f", 10, { Q, Q, false, false }, 64, "a?b?c?[0m?" },
	{ "a\tb\nc", 5, { Q, Q, true, false }, 64, "a\tb?c" },
	{ "a\tb\nc", 5, { Q, Q, false, true }, 64, "a?b\nc" },
	{ "a\tb\nc", 5, { E, E, false, false }, 64, "a?b?c" },
	{ "\x01\x7f", 2, { R, R, false, false }, 64, FFFD FFFD },
	{ "\x01\x1f\x7f", 3, { J, J, false, false }, 64, "\\u0001\\u001f\\u007f" },
	{ "\x01", 1, { K, K, false, false }, 64, "?" },		/* controls are never kept */
	/* C1 as its 2-byte sequences. */
	{ "\xc2\x80\xc2\x85\xc2\x9b\xc2\x9f", 8, { Q, Q, false, false }, 64, "????" },
	{ "\xc2\x85\xc2\x9b\xc2\x9f", 6, { R, K, false, false }, 64, FFFD FFFD FFFD },
	{ "\xc2\x85\xc2\x9b\xc2\x9f", 6, { E, E, false, false }, 64, "\\u0085\\u009B\\u009F" },
	{ "\xc2\x85\xc2\x9b\xc2\x9f", 6, { J, J, false, false }, 64, "\\u0085\\u009b\\u009f" },
	{ "\xc2\x9f\xc2\xa0", 4, { Q, K, false, false }, 64, "?\xc2\xa0" },	/* NBSP */
	/* Format characters, in each rendering. */
	{ "a\xe2\x80\xae" "b", 5, { Q, Q, false, false }, 64, "a?b" },
	{ "a\xe2\x80\xae" "b", 5, { Q, R, false, false }, 64, "a" FFFD "b" },
	{ "a\xe2\x80\xae" "b", 5, { Q, E, false, false }, 64, "a\\u202Eb" },
	{ "a\xe2\x80\xae" "b", 5, { Q, J, false, false }, 64, "a\\u202eb" },
	{ "a\xe2\x80\xae" "b", 5, { Q, K, false, false }, 64, "a\xe2\x80\xae" "b" },
	{ "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f\xef\xbb\xbf", 11, { Q, E, false, false }, 64,
	  "\\u061C\\u200E\\u200F\\uFEFF" },
	{ "\xc2\xad", 2, { Q, J, false, false }, 64, "\\u00ad" },
	{ "\xf3\xa0\x80\x81", 4, { Q, E, false, false }, 64, "\\U000E0001" },
	{ "\xf3\xa0\x80\x81", 4, { Q, J, false, false }, 64, "\\udb40\\udc01" },
	/* Ill-formed bytes: '?' unless U+FFFD, each byte on its own. */
	{ "a\xffz", 3, { Q, Q, false, false }, 64, "a?z" },
	{ "a\xffz", 3, { R, R, false, false }, 64, "a" FFFD "z" },
	{ "a\xffz", 3, { E, E, false, false }, 64, "a?z" },
	{ "a\xffz", 3, { J, J, false, false }, 64, "a?z" },
	{ "\xed\xa0\x80", 3, { R, R, false, false }, 64, FFFD FFFD FFFD },
	{ "\xe2\x82", 2, { Q, Q, false, false }, 64, "??" },
	/* Ordinary text, ASCII or not, as it is. */
	{ "caf\xc3\xa9 \xf0\x9f\x98\x80", 10, { J, J, false, false }, 64,
	  "caf\xc3\xa9 \xf0\x9f\x98\x80" },
	/* Cut between whole characters and whole renderings only. */
	{ "ab\xe2\x80\xae", 5, { Q, E, false, false }, 8, "ab" },
	{ "ab\xe2\x80\xae", 5, { Q, E, false, false }, 9, "ab\\u202E" },
	{ "a\xff", 2, { R, R, false, false }, 4, "a" },
	{ "a\xff", 2, { R, R, false, false }, 5, "a" FFFD },
	{ "\xf3\xa0\x80\x81", 4, { Q, J, false, false }, 12, "" },
	{ "\xf3\xa0\x80\x81" "x", 5, { Q, J, false, false }, 13, "\\udb40\\udc01" },
	{ "ab\xc3\xa9", 4, { Q, Q, false, false }, 4, "ab" },
	{ "ab\xc3\xa9", 4, { Q, Q, false, false }, 5, "ab\xc3\xa9" },
	{ "abc", 3, { Q, Q, false, false }, 1, "" },
};

START_TEST(test_render)
{
	const struct render_case *c = &render_cases[_i];
	char out[64];

	memset(out, 'X', sizeof(out));
	size_t n = text_sanitize((const uint8_t *)c->in, c->in_len, &c->style, out, c->out_len);
	ck_assert_str_eq(out, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
	ck_assert(utf8_valid((const uint8_t *)out, n));
	for (size_t k = c->out_len; k < sizeof(out); k++)
		ck_assert_int_eq(out[k], 'X');		/* nothing past out_len */
	/* Uncut, the length is text_sanitize_len()'s. */
	if (c->out_len == sizeof(out))
		ck_assert_uint_eq(text_sanitize_len((const uint8_t *)c->in, c->in_len, &c->style),
		    n);
}
END_TEST

/* Whether s (valid UTF-8) holds nothing but ordinary characters, and TAB,
 * newline or format characters where style keeps them. */
static bool
only_ordinary(const char *s, size_t len, const struct text_style *style)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		enum text_class cls;
		i += text_next((const uint8_t *)s + i, len - i, &cp, &cls);
		if (cls == TEXT_ORDINARY || (cp == '\t' && style->keep_tab) ||
		    (cp == '\n' && style->keep_newline) ||
		    (cls == TEXT_FORMAT && style->format == TEXT_KEEP))
			continue;
		return false;
	}
	return true;
}

/* Random bytes, rich in controls, format characters and broken UTF-8,
 * through every style: TEXT_SANITIZE_MAX is room enough, the length is
 * text_sanitize_len()'s and the dup's, and what comes out is valid UTF-8
 * with nothing the style replaces. */
START_TEST(test_sanitize_random)
{
	static const char *const pieces[] = { "a", " ", "\t", "\n", "\x1b", "\x7f", "\xc2\x85",
		"\xc2\x9b", "\xc2\xa0", "\xe2\x80\xae", "\xe2\x81\xa6", "\xef\xbb\xbf", "\xc2\xad",
		"\xf3\xa0\x80\x81", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xe2\x82",
		"\xed\xa0\x80", "\x80" };
	static const enum text_render renders[] = { Q, R, E, J };
	uint32_t seed = 4242;

	for (int round = 0; round < 4000; round++) {
		char in[256];
		size_t len = 0;
		size_t count = (size_t)(round % 40);
		for (size_t i = 0; i < count; i++) {
			seed = seed * 1103515245 + 12345;
			const char *p = pieces[(seed >> 16) % NCASES(pieces)];
			memcpy(in + len, p, strlen(p));
			len += strlen(p);
		}
		in[len] = '\0';
		struct text_style st = {
			.control = renders[round % 4],
			.format = round % 5 == 0 ? K : renders[(round / 4) % 4],
			.keep_tab = round % 3 == 0,
			.keep_newline = round % 7 == 0,
		};
		char out[TEXT_SANITIZE_MAX(sizeof(in))];
		size_t n = text_sanitize((const uint8_t *)in, len, &st, out, sizeof(out));
		ck_assert_uint_eq(n, text_sanitize_len((const uint8_t *)in, len, &st));
		ck_assert_uint_eq(strlen(out), n);
		ck_assert(utf8_valid((const uint8_t *)out, n));
		ck_assert_msg(only_ordinary(out, n, &st), "round %d: '%s'", round, out);
		char *dup = text_sanitize_dup(in, &st);
		ck_assert_ptr_nonnull(dup);
		ck_assert_str_eq(dup, out);
		free(dup);
	}
}
END_TEST

/* text_style_json over the JSON jansson writes: the same JSON, the same
 * strings once parsed, and no control or format character left raw. */
START_TEST(test_json_style_round_trip)
{
	static const char *const strings[] = {
		"plain", "caf\xc3\xa9 \xf0\x9f\x98\x80",
		"\xc2\x85\xc2\x9b" "31m\xc2\x9f\x7f", "a\tb\nc\x01",
		"\xd8\x9c\xe2\x80\x8b\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xa8\xe2\x80\xae\xe2\x81\xa0"
		"\xe2\x81\xa6\xe2\x81\xa9\xef\xbb\xbf",
		"\xf3\xa0\x80\x81\xf3\xa0\x81\xa1\xf3\xa0\x81\xbf\xf0\x9d\x85\xb3",
		"quote \" backslash \\ slash /",
	};
	json_t *o = json_array();

	for (size_t i = 0; i < NCASES(strings); i++)
		ck_assert_int_eq(json_array_append_new(o, json_string(strings[i])), 0);
	for (int indent = 0; indent <= 1; indent++) {
		char *dump = json_dumps(o, indent ? JSON_INDENT(2) : JSON_COMPACT);
		char *safe = text_sanitize_dup(dump, &text_style_json);
		ck_assert_ptr_nonnull(safe);
		ck_assert(only_ordinary(safe, strlen(safe), &text_style_json));
		json_error_t err;
		json_t *back = json_loads(safe, 0, &err);
		ck_assert_msg(back != NULL, "%s: %s", err.text, safe);
		ck_assert(json_equal(o, back));
		json_decref(back);
		free(safe);
		free(dump);
	}
	json_decref(o);
}
END_TEST

/* Terminal columns: one for ASCII and for each ill-formed byte; wide and
 * combining characters count as such in a UTF-8 locale. */
START_TEST(test_width)
{
	ck_assert_uint_eq(text_width(""), 0);
	ck_assert_uint_eq(text_width("abc"), 3);
	ck_assert_uint_eq(text_width("a\xff" "b"), 3);
	ck_assert_uint_eq(text_width("\xe2\x82"), 2);
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
		ck_assert_uint_eq(text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);	/* two CJK */
		ck_assert_uint_eq(text_width("e\xcc\x81"), 1);		/* e, combining acute */
		ck_assert_uint_eq(text_width("caf\xc3\xa9"), 4);
		setlocale(LC_CTYPE, "C");
	}
	/* Outside a UTF-8 locale, a character is a column. */
	ck_assert_uint_eq(text_width("\xe6\x97\xa5\xe6\x9c\xac"), 2);
}
END_TEST

#undef Q
#undef R
#undef E
#undef J
#undef K

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
	tcase_add_loop_test(tc, test_name_rejects_c1, 0x80, 0xa0);
	tcase_add_test(tc, test_name_c1_named);
	suite_add_tcase(s, tc);

	tc = tcase_create("chat");
	tcase_add_loop_test(tc, test_chat_rejects_control, 0x00, 0x21);
	tcase_add_loop_test(tc, test_class_table, 0, NCASES(class_cases));
	tcase_add_test(tc, test_chat_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("sanitize");
	tcase_add_loop_test(tc, test_sanitize, 0, NCASES(sanitize_cases));
	tcase_add_test(tc, test_sanitize_all_pairs);
	tcase_add_loop_test(tc, test_render, 0, NCASES(render_cases));
	tcase_add_test(tc, test_sanitize_random);
	tcase_add_test(tc, test_json_style_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("class");
	tcase_add_loop_test(tc, test_class_latin, 0x00, 0x100);
	tcase_add_loop_test(tc, test_class_format, 0, NCASES(format_cases));
	tcase_add_test(tc, test_class_ordinary);
	tcase_add_test(tc, test_next_ill_formed);
	tcase_add_test(tc, test_width);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(text_suite)
