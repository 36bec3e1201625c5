/*
 * check_token.c: session tokens (lib/token.c): the generated form, their
 * uniqueness, and token_valid's exact character set and length.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/token.h"
#include "tests/unit/util.h"

#define MANY_TOKENS	1000

START_TEST(test_generate_format)
{
	char tok[OCM_TOKEN_LEN + 1];

	memset(tok, 'X', sizeof(tok));
	ck_assert_int_eq(token_generate(tok), 0);
	ck_assert_uint_eq(strlen(tok), OCM_TOKEN_LEN);
	for (size_t i = 0; i < OCM_TOKEN_LEN; i++)
		ck_assert_msg(strchr("0123456789abcdef", tok[i]) != NULL,
		    "byte %zu is '%c'", i, tok[i]);
	ck_assert(token_valid((const uint8_t *)tok, strlen(tok)));
}
END_TEST

static int
cmp_token(const void *a, const void *b)
{
	return memcmp(a, b, OCM_TOKEN_LEN);
}

START_TEST(test_generate_many_distinct)
{
	char (*toks)[OCM_TOKEN_LEN + 1] = calloc(MANY_TOKENS, sizeof(*toks));

	ck_assert_ptr_nonnull(toks);
	for (size_t i = 0; i < MANY_TOKENS; i++) {
		ck_assert_int_eq(token_generate(toks[i]), 0);
		ck_assert(token_valid((const uint8_t *)toks[i], strlen(toks[i])));
	}
	qsort(toks, MANY_TOKENS, sizeof(*toks), cmp_token);
	for (size_t i = 1; i < MANY_TOKENS; i++)
		ck_assert_str_ne(toks[i - 1], toks[i]);
	free(toks);
}
END_TEST

/*
 * A generator stuck on a few nibble values would still give distinct
 * tokens.  Over 1000 tokens every hex digit must show up in the high
 * nibbles (even positions) and in the low ones (odd positions).
 */
START_TEST(test_generate_uses_every_digit)
{
	static const char digits[] = "0123456789abcdef";
	char tok[OCM_TOKEN_LEN + 1];
	unsigned int seen[2][16] = { { 0 } };

	for (size_t i = 0; i < MANY_TOKENS; i++) {
		ck_assert_int_eq(token_generate(tok), 0);
		for (size_t j = 0; j < OCM_TOKEN_LEN; j++)
			seen[j % 2][strchr(digits, tok[j]) - digits]++;
	}
	for (size_t d = 0; d < 16; d++) {
		ck_assert_msg(seen[0][d] > 0, "'%c' never in a high nibble", digits[d]);
		ck_assert_msg(seen[1][d] > 0, "'%c' never in a low nibble", digits[d]);
	}
}
END_TEST

static const struct {
	const char *s;
	size_t len;
	bool valid;
} token_cases[] = {
	{ .s = "0123456789abcdef0123456789abcdef", .len = 32, .valid = true },
	{ .s = "9f86d081884c7d659a2feaa0c55ad015", .len = 32, .valid = true },
	{ .s = "00000000000000000000000000000000", .len = 32, .valid = true },
	{ .s = "ffffffffffffffffffffffffffffffff", .len = 32, .valid = true },
	{ .s = "9F86D081884C7D659A2FEAA0C55AD015", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01A", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01", .len = 31, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad0150", .len = 33, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01g", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01 ", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d65-a2feaa0c55ad015", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01/", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01:", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01`", .len = 32, .valid = false },
	{ .s = "\0" "f86d081884c7d659a2feaa0c55ad015", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d65\0" "a2feaa0c55ad015", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01\0", .len = 32, .valid = false },
	{ .s = "9f86d081884c7d659a2feaa0c55ad01\xc3", .len = 32, .valid = false },
	{ .s = "", .len = 0, .valid = false },
};

START_TEST(test_valid_table)
{
	ck_assert_msg(token_valid((const uint8_t *)token_cases[_i].s,
	    token_cases[_i].len) == token_cases[_i].valid, "case %d", _i);
}
END_TEST

START_TEST(test_valid_null)
{
	ck_assert(!token_valid(NULL, 0));
	ck_assert(!token_valid(NULL, OCM_TOKEN_LEN));
}
END_TEST

/* Every byte value in every position: exactly [0-9a-f] is accepted. */
START_TEST(test_valid_each_byte)
{
	uint8_t tok[OCM_TOKEN_LEN];
	bool hex = (_i >= '0' && _i <= '9') || (_i >= 'a' && _i <= 'f');

	for (size_t pos = 0; pos < OCM_TOKEN_LEN; pos++) {
		memset(tok, 'a', sizeof(tok));
		tok[pos] = (uint8_t)_i;
		ck_assert_msg(token_valid(tok, sizeof(tok)) == hex,
		    "byte 0x%02x at %zu", _i, pos);
	}
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("generate");

	tcase_add_test(tc, test_generate_format);
	tcase_add_test(tc, test_generate_many_distinct);
	tcase_add_test(tc, test_generate_uses_every_digit);
	suite_add_tcase(s, tc);

	tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_valid_table, 0,
	    sizeof(token_cases) / sizeof(token_cases[0]));
	tcase_add_test(tc, test_valid_null);
	tcase_add_loop_test(tc, test_valid_each_byte, 0, 256);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(token_suite)
