/*
 * text.c: UTF-8 and character-class checks for names and chat text.  Every
 * string a peer sends passes through here before anything is stored,
 * logged or relayed.
 */
#include "lib/text.h"

#include "lib/ocm.h"

/*
 * Length of the well-formed UTF-8 sequence at s (at most left bytes), or 0
 * when it is not one.  Follows RFC 3629's table: the second byte's range
 * excludes overlong forms (E0, F0), surrogates (ED) and values above
 * U+10FFFF (F4).
 */
static size_t
utf8_seq_len(const uint8_t *s, size_t left)
{
	uint8_t c = s[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		n = 2;
	else if (c < 0xf0)
		n = 3;
	else
		n = 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

bool
utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* ASCII controls; every byte of a multi-byte sequence is >= 0x80, so a
 * byte-wise scan finds exactly the code points U+0000..U+001F and U+007F. */
static bool
has_control(const uint8_t *s, size_t len, bool allow_tab)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\t' && allow_tab)
			continue;
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
	}
	return false;
}

bool
name_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && len <= OCM_NAME_MAX && !has_control(s, len, false) &&
	    utf8_valid(s, len);
}

bool
chat_text_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && !has_control(s, len, true) && utf8_valid(s, len);
}
