/*
 * text.h: validation of the UTF-8 strings that cross the wire: room and
 * user names (TCRP and datagram headers) and chat text (datagram CHAT).
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
 * characters U+0000..U+001F and U+007F. */
bool name_valid(const uint8_t *s, size_t len);

/* The byte order of names that LIST_ROOMS pages by (doc/protocol.md 5.5): as
 * memcmp(), a proper prefix first.  Negative, 0 or positive. */
int name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Chat text: at least one byte of valid UTF-8 with no control characters
 * but TAB. */
bool chat_text_valid(const uint8_t *s, size_t len);

/*
 * Copies s into out (out_len > 0; always terminated), writing '?' for each
 * byte that does not start a well-formed UTF-8 sequence and for each byte
 * of a control character (C0 but TAB when keep_tab, DEL, C1), and cutting
 * only between whole characters; out never grows longer than s, so
 * out_len = len + 1 never cuts.  Returns the length written.  For text
 * from a peer that must become a JSON string or reach a terminal.
 */
size_t utf8_sanitize(const uint8_t *s, size_t len, bool keep_tab, char *out,
    size_t out_len);

#endif
