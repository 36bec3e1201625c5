/*
 * util.h: small helpers shared by the Check suites.
 */
#ifndef OCM_TEST_UTIL_H
#define OCM_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes hex (whitespace ignored) into out; returns the byte count, or
 * (size_t)-1 on a bad digit or overflow. */
static inline size_t
test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex != '\0'; hex++) {
		int v;
		if (*hex == ' ' || *hex == '\n' || *hex == '\t' || *hex == ':')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			return (size_t)-1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return (size_t)-1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : (size_t)-1;
}

/* A Check main for one suite: runs it and returns the exit status. */
#define TEST_MAIN(suite_fn)						\
	int main(void)							\
	{								\
		SRunner *sr = srunner_create(suite_fn());		\
		srunner_run_all(sr, CK_NORMAL);				\
		int failed = srunner_ntests_failed(sr);			\
		srunner_free(sr);					\
		return failed == 0 ? 0 : 1;				\
	}

#endif
