/*
 * text.c: the text policy of every program (see text.h).  Every string a
 * peer sends passes through here before anything is stored, logged or
 * relayed, and again, through text_sanitize(), before a person sees it.
 */
#include "lib/text.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "lib/ocm.h"

const struct text_style text_style_wire = {
	.control = TEXT_QUESTION, .format = TEXT_KEEP,
};
const struct text_style text_style_terminal = {
	.control = TEXT_QUESTION, .format = TEXT_QUESTION,
};
const struct text_style text_style_log = {
	.control = TEXT_ESCAPE, .format = TEXT_ESCAPE,
};
const struct text_style text_style_json = {
	.control = TEXT_JSON, .format = TEXT_JSON, .keep_newline = true,
};

/*
 * The format characters: invisible, yet able to change how the text
 * around them is shown.  A peer could use them to reorder a line on a
 * terminal or in a label ("alice: hi" read as someone else's words), to
 * hide text, or to make two different names look alike.  Sorted.
 */
static const struct {
	uint32_t lo, hi;
} format_ranges[] = {
	{ 0x00ad, 0x00ad },	/* SOFT HYPHEN */
	{ 0x061c, 0x061c },	/* ARABIC LETTER MARK */
	{ 0x180e, 0x180e },	/* MONGOLIAN VOWEL SEPARATOR */
	{ 0x200b, 0x200f },	/* zero width space, non-joiner, joiner; LRM, RLM */
	{ 0x2028, 0x202e },	/* line and paragraph separators; embeddings, overrides */
	{ 0x2060, 0x206f },	/* word joiner, invisible operators, isolates,
				 * the deprecated shaping and digit controls */
	{ 0xfeff, 0xfeff },	/* ZERO WIDTH NO-BREAK SPACE (byte order mark) */
	{ 0xfff9, 0xfffb },	/* interlinear annotation: hides the text it marks */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical beam, tie, slur and phrase controls */
	{ 0xe0001, 0xe0001 },	/* LANGUAGE TAG */
	{ 0xe0020, 0xe007f },	/* tags: invisible ASCII (a few flags use them) */
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

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

/* What a scan lets through besides well-formed UTF-8. */
enum scan {
	SCAN_ANY,		/* every code point */
	SCAN_CHAT,		/* no C0 but TAB, no DEL */
	SCAN_LISTED,		/* no C0, no DEL */
	SCAN_NAME,		/* no C0, no DEL, no C1 */
};

/*
 * One pass over s: runs of ASCII are checked eight bytes at a time (no
 * high bit, and no control character unless allowed), anything else goes
 * through utf8_seq_len().  Chat text is checked for every relayed
 * message, and names in every request, so this is on the data path.
 */
static bool
text_scan(const uint8_t *s, size_t len, enum scan mode)
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
			uint64_t bad = mode == SCAN_ANY ? w : w | low | del;
			if ((bad & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		uint8_t c = s[i];
		if (c < 0x80) {
			if (mode != SCAN_ANY && (c < 0x20 || c == 0x7f) &&
			    !(mode == SCAN_CHAT && c == '\t'))
				return false;
			i++;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0)
			return false;
		/* C1 is U+0080..U+009F: C2 80 to C2 9F. */
		if (mode == SCAN_NAME && c == 0xc2 && s[i + 1] < 0xa0)
			return false;
		i += n;
	}
	return true;
}

bool
utf8_valid(const uint8_t *s, size_t len)
{
	return text_scan(s, len, SCAN_ANY);
}

bool
name_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && len <= OCM_NAME_MAX && text_scan(s, len, SCAN_NAME);
}

bool
name_listed_valid(const uint8_t *s, size_t len)
{
	return len >= 1 && len <= OCM_NAME_MAX && text_scan(s, len, SCAN_LISTED);
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
	return len >= 1 && text_scan(s, len, SCAN_CHAT);
}

/* ---- Classes ------------------------------------------------------------ */

enum text_class
text_class_of(uint32_t cp)
{
	size_t lo = 0, hi = NITEMS(format_ranges);

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return TEXT_CONTROL;
	if (cp < format_ranges[0].lo)
		return TEXT_ORDINARY;
	/* The last range that starts at or below cp, if cp is in it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (format_ranges[mid].lo <= cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && cp <= format_ranges[lo - 1].hi ? TEXT_FORMAT : TEXT_ORDINARY;
}

size_t
text_next(const uint8_t *s, size_t left, uint32_t *cp, enum text_class *cls)
{
	size_t n = utf8_seq_len(s, left);

	switch (n) {
	case 0:
		*cp = s[0];
		*cls = TEXT_ILL_FORMED;
		return 1;
	case 1:
		*cp = s[0];
		break;
	case 2:
		*cp = (uint32_t)(s[0] & 0x1f) << 6 | (uint32_t)(s[1] & 0x3f);
		break;
	case 3:
		*cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		    (uint32_t)(s[2] & 0x3f);
		break;
	default:
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (uint32_t)(s[3] & 0x3f);
		break;
	}
	*cls = text_class_of(*cp);
	return n;
}

/* ---- Sanitizing --------------------------------------------------------- */

/* The longest rendering: TEXT_JSON's surrogate pair, "\ud83d\ude00". */
#define RENDER_MAX	12

/* A backslash, u and v in as many hex digits into out; returns the
 * length. */
static size_t
hex_escape(char *out, char u, int digits, uint32_t v, bool upper)
{
	static const char lower_digits[] = "0123456789abcdef";
	static const char upper_digits[] = "0123456789ABCDEF";
	const char *d = upper ? upper_digits : lower_digits;

	out[0] = '\\';
	out[1] = u;
	for (int i = 0; i < digits; i++)
		out[2 + i] = d[(v >> (4 * (digits - 1 - i))) & 0xf];
	return (size_t)digits + 2;
}

/* The rendering of cp (of a class to replace; ill_formed: the byte cp)
 * into out (RENDER_MAX bytes); returns its length. */
static size_t
text_render(enum text_render how, uint32_t cp, bool ill_formed, char *out)
{
	switch (how) {
	case TEXT_REPLACEMENT:
		memcpy(out, "\xef\xbf\xbd", 3);
		return 3;
	case TEXT_ESCAPE:
		if (ill_formed || cp < 0x80)
			break;
		if (cp > 0xffff)
			return hex_escape(out, 'U', 8, cp, true);
		return hex_escape(out, 'u', 4, cp, true);
	case TEXT_JSON:
		if (ill_formed)
			break;
		if (cp > 0xffff) {
			uint32_t v = cp - 0x10000;
			size_t n = hex_escape(out, 'u', 4, 0xd800 + (v >> 10), false);
			return n + hex_escape(out + n, 'u', 4, 0xdc00 + (v & 0x3ff), false);
		}
		return hex_escape(out, 'u', 4, cp, false);
	case TEXT_QUESTION:
	case TEXT_KEEP:
		break;
	}
	out[0] = '?';
	return 1;
}

/* text_sanitize(), or with out NULL the length it would write uncut. */
static size_t
sanitize(const uint8_t *s, size_t len, const struct text_style *st, char *out,
    size_t out_len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		const char *from = (const char *)s + i;
		char buf[RENDER_MAX];
		uint32_t cp;
		enum text_class cls;
		size_t n, k;

		/* Printable ASCII, most of any text, costs no decoding. */
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			n = k = 1;
		} else {
			n = k = text_next(s + i, len - i, &cp, &cls);
			if ((cp == '\t' && st->keep_tab) || (cp == '\n' && st->keep_newline))
				cls = TEXT_ORDINARY;
			if (cls == TEXT_FORMAT && st->format != TEXT_KEEP) {
				k = text_render(st->format, cp, false, buf);
				from = buf;
			} else if (cls == TEXT_CONTROL || cls == TEXT_ILL_FORMED) {
				k = text_render(st->control, cp, cls == TEXT_ILL_FORMED, buf);
				from = buf;
			}
		}
		if (out != NULL) {
			if (o + k >= out_len)
				break;
			memcpy(out + o, from, k);
		}
		o += k;
		i += n;
	}
	if (out != NULL)
		out[o] = '\0';
	return o;
}

size_t
text_sanitize(const uint8_t *s, size_t len, const struct text_style *style, char *out,
    size_t out_len)
{
	return sanitize(s, len, style, out, out_len);
}

size_t
text_sanitize_len(const uint8_t *s, size_t len, const struct text_style *style)
{
	return sanitize(s, len, style, NULL, 0);
}

char *
text_sanitize_dup(const char *s, const struct text_style *style)
{
	size_t len = strlen(s);
	size_t n = sanitize((const uint8_t *)s, len, style, NULL, 0);
	char *out = malloc(n + 1);

	if (out != NULL)
		sanitize((const uint8_t *)s, len, style, out, n + 1);
	return out;
}

size_t
utf8_sanitize(const uint8_t *s, size_t len, bool keep_tab, char *out, size_t out_len)
{
	struct text_style st = text_style_wire;

	st.keep_tab = keep_tab;
	return sanitize(s, len, &st, out, out_len);
}

size_t
text_width(const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t len = strlen(s), w = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		enum text_class cls;
		int cw = -1;

		i += text_next(u + i, len - i, &cp, &cls);
#ifdef __STDC_ISO_10646__
		/* wchar_t holds code points; outside a UTF-8 locale wcwidth()
		 * knows none above ASCII and says -1. */
		if (cls != TEXT_ILL_FORMED)
			cw = wcwidth((wchar_t)cp);
#endif
		w += cw >= 0 ? (size_t)cw : 1;
	}
	return w;
}
