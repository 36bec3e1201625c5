/*
 * text.h: the one text policy of every program.  Validation of the UTF-8
 * strings that cross the wire (room and user names in TCRP and datagram
 * headers, chat text in datagram CHAT), and what becomes of text from a
 * peer before a person sees it: a classifier of code points and one
 * sanitizer whose callers choose how a replacement looks (doc/protocol.md
 * 2.1 and 2.2).
 */
#ifndef OCM_TEXT_H
#define OCM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF.  An empty string is valid. */
bool utf8_valid(const uint8_t *s, size_t len);

/* A room or user name: 1..255 bytes of valid UTF-8 without the control
 * characters U+0000..U+001F, U+007F and U+0080..U+009F (C1). */
bool name_valid(const uint8_t *s, size_t len);

/*
 * A name as a server may list it to a client: name_valid(), but with the
 * C1 controls that servers accepted before doc/protocol.md 2.1 refused
 * them.  A client takes such a name (it must still be able to list and
 * join the rooms of an older server) and shows it through text_sanitize(),
 * which never lets a C1 control through.
 */
bool name_listed_valid(const uint8_t *s, size_t len);

/* The byte order of names that LIST_ROOMS pages by (doc/protocol.md 5.5):
 * as memcmp(), a proper prefix first.  Negative, 0 or positive. */
int name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Chat text: at least one byte of valid UTF-8 with no C0 control but TAB
 * and no DEL.  C1 controls pass, as they always have on the wire. */
bool chat_text_valid(const uint8_t *s, size_t len);

/* What a code point is to whoever shows it to a person. */
enum text_class {
	TEXT_ORDINARY,		/* shown as it is */
	TEXT_CONTROL,		/* C0 (U+0000..U+001F), DEL, C1 (U+0080..U+009F) */
	/*
	 * Invisible characters that change how the text around them is
	 * shown: bidirectional marks, embeddings, overrides and isolates,
	 * zero-width and other invisible format characters (Unicode's
	 * category Cf, as text.c lists them), and the line and paragraph
	 * separators U+2028 and U+2029.
	 */
	TEXT_FORMAT,
	TEXT_ILL_FORMED,	/* a byte that starts no well-formed UTF-8 sequence */
};

/* The class of a code point (never TEXT_ILL_FORMED). */
enum text_class text_class_of(uint32_t cp);

/*
 * Decodes the sequence at s (left > 0 bytes): returns its length with
 * *cp and *cls set.  A byte that starts no well-formed sequence is one
 * byte long, TEXT_ILL_FORMED, and *cp is that byte.
 */
size_t text_next(const uint8_t *s, size_t left, uint32_t *cp, enum text_class *cls);

/* How a character that is not shown as it is gets rendered. */
enum text_render {
	TEXT_QUESTION,		/* '?' */
	TEXT_REPLACEMENT,	/* U+FFFD REPLACEMENT CHARACTER */
	/*
	 * A backslash, 'u' and four upper-case hex digits ('U' and eight
	 * above U+FFFF), "\u202E", for a reader who must see what was sent
	 * (logs); a C0 control or DEL, which says nothing a reader needs
	 * spelt out, is '?'.
	 */
	TEXT_ESCAPE,
	/*
	 * A JSON string escape, "\u202e" (a surrogate pair above U+FFFF):
	 * inside a JSON string it stands for the very character it
	 * replaces, so that a script reads the text unchanged while the
	 * terminal the JSON goes to sees only ASCII in its place.
	 */
	TEXT_JSON,
	TEXT_KEEP,		/* as it is: format characters only */
};

/*
 * A caller's choice: how controls (and each ill-formed byte, as '?'
 * unless the rendering is TEXT_REPLACEMENT) and format characters are
 * rendered, and whether TAB and newline are kept as they are.  Controls
 * are never kept otherwise: TEXT_KEEP for them is '?'.
 */
struct text_style {
	enum text_render control;
	enum text_render format;
	bool keep_tab;
	bool keep_newline;
};

/* '?' for controls and ill-formed bytes, format characters kept: text
 * fit for JSON and for the next program, which applies its own style. */
extern const struct text_style text_style_wire;
/* '?' for everything not ordinary: terminals (ocm-client, ocmctl). */
extern const struct text_style text_style_terminal;
/* TEXT_ESCAPE for everything not ordinary: log lines. */
extern const struct text_style text_style_log;
/* TEXT_JSON for everything not ordinary, newlines kept: applied to JSON
 * text that jansson wrote, it leaves the same JSON with only ASCII in
 * place of controls and format characters. */
extern const struct text_style text_style_json;

/* An out_len for text_sanitize() that never cuts len bytes of input (the
 * longest rendering, TEXT_JSON's "\u0001" for one byte, is six). */
#define TEXT_SANITIZE_MAX(len)	((len) * 6 + 1)

/*
 * Copies len bytes of s into out (out_len > 0; always terminated) as
 * valid UTF-8, each control, format character and ill-formed byte
 * rendered as style says, and cutting only between whole characters and
 * whole renderings.  Returns the length written.
 */
size_t text_sanitize(const uint8_t *s, size_t len, const struct text_style *style,
    char *out, size_t out_len);
/* The length text_sanitize() writes when nothing is cut. */
size_t text_sanitize_len(const uint8_t *s, size_t len, const struct text_style *style);
/* text_sanitize() into a malloc'ed string of its own; NULL when out of
 * memory. */
char *text_sanitize_dup(const char *s, const struct text_style *style);

/*
 * text_sanitize() with text_style_wire (TAB kept when keep_tab): out never
 * grows longer than s, so out_len = len + 1 never cuts.  For text from a
 * peer that must become a JSON string or reach a front end that renders
 * format characters its own way.
 */
size_t utf8_sanitize(const uint8_t *s, size_t len, bool keep_tab, char *out,
    size_t out_len);

/* Terminal columns that s (NUL-terminated) takes: wcwidth() of each
 * character in a UTF-8 locale, one a character otherwise, and one for
 * each ill-formed byte or character wcwidth() cannot tell. */
size_t text_width(const char *s);

#endif
