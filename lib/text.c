/*
 * text.c: UTF-8 and character-class checks for names and chat text.  Every
 * string a peer sends passes through here before anything is stored,
 * logged or relayed.
 */
#include "lib/text.h"

#include <string.h>

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

/*
 * One pass over s: runs of ASCII are checked eight bytes at a time (no
 * high bit, and no control character unless allowed), anything else goes
 * through utf8_seq_len().  Chat text is checked for every relayed
 * message, so this is on the data path.
 */
static bool
text_scan(const uint8_t *s, size_t len, bool controls_ok, bool allow_tab)
{
	size_t i = 0;

	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			/* A byte below 0x20 or equal to 0x7f sets its high bit in
			 * low or del (the classic "has zero byte" trick). */
			uint64_t x = w ^ 0x7f7f7f7f7f7f7f7fULL;
			uint64_t low = (w - 0x2020202020202020ULL) & ~w;
			uint64_t del = (x - 0x0101010101010101ULL) & ~x;
			uint64_t bad = controls_ok ? w : w | low | del;
			if ((bad & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		uint8_t c = s[i];
		if (c < 0x80) {
			if (!controls_ok && (c < 0x20 || c == 0x7f) && !(allow_tab && c == '\t'))
				return false;
			i++;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

bool
utf8_valid(const uint8_t *s, size_t len)
{
	return text_scan(s, len, true, true);
}

bool
name_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && len <= OCM_NAME_MAX && text_scan(s, len, false, false);
}

int
name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	int r = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (r != 0)
		return r;
	return a_len < b_len ? -1 : a_len > b_len;
}

bool
chat_text_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && text_scan(s, len, false, true);
}

/* C0 (TAB too unless keep_tab), DEL, and C1 (U+0080..U+009F, which some
 * terminals obey as CSI), for a sequence of n bytes at s. */
static bool
is_control(const uint8_t *s, size_t n, bool keep_tab)
{
	if (n == 1)
		return (s[0] < 0x20 && !(keep_tab && s[0] == '\t')) || s[0] == 0x7f;
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

size_t
utf8_sanitize(const uint8_t *s, size_t len, bool keep_tab, char *out, size_t out_len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);
		const uint8_t *from = s + i;
		/* A bad sequence or a control character costs its first byte;
		 * the rest are then bad bytes of their own. */
		if (n == 0 || is_control(s + i, n, keep_tab)) {
			from = (const uint8_t *)"?";
			i++;
			n = 1;
		} else {
			i += n;
		}
		if (o + n >= out_len)
			break;
		memcpy(out + o, from, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}
