/*
 * datagram.h: the sealed UDP datagrams of doc/protocol.md 8 and the plaintext
 * messages inside them (5.1 client to server, 5.2 server to client).
 *
 *   R(1) T(1) RoomName(R) Token(T) Counter(8) ciphertext(n) tag(16)
 *
 * The header is parsed without a key (to find the member by token), then
 * opened with that member's key; everything before the ciphertext is AAD.
 * Plaintext parsers point into the caller's buffer and copy nothing.
 */
#ifndef OCM_DATAGRAM_H
#define OCM_DATAGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/aead.h"
#include "lib/ocm.h"

/* Bytes a datagram adds around its plaintext for a room name of R bytes. */
#define DGRAM_OVERHEAD(R)	(2 + (size_t)(R) + OCM_TOKEN_LEN + OCM_COUNTER_LEN + OCM_TAG_LEN)

struct dgram_header {
	const uint8_t *room;	/* points into the datagram */
	uint8_t room_len;
	const uint8_t *token;	/* OCM_TOKEN_LEN bytes, into the datagram */
	uint64_t counter;
	size_t aad_len;		/* header bytes: 10 + R + T */
};

/*
 * Parses the clear header of a len-byte datagram.  Returns 0 or
 * -OCM_E_TRUNCATED (shorter than header + 1 plaintext byte + tag),
 * -OCM_E_TOO_LARGE (above OCM_MAX_DATAGRAM), -OCM_E_BAD_NAME (R = 0),
 * -OCM_E_BAD_TOKEN (T != 32).  The token's characters are not checked here:
 * an unknown token is the caller's drop.
 */
int dgram_parse_header(const uint8_t *buf, size_t len, struct dgram_header *h);

/*
 * Writes header + sealed plaintext into out (cap bytes).  Returns the
 * datagram length or -OCM_E_NOSPC (including above OCM_MAX_DATAGRAM),
 * -OCM_E_BAD_NAME, -OCM_E_MALFORMED (empty plaintext), -OCM_E_CRYPTO.
 * pt may already sit at out + 10 + R + T (encoded in place).
 */
long dgram_seal(struct aead *a, const uint8_t *room, size_t room_len,
    const uint8_t token[OCM_TOKEN_LEN], uint64_t counter,
    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap);

/*
 * Opens a datagram whose header h was parsed from buf; the plaintext is
 * decrypted in place (buf is modified, also when the tag fails) and *pt,
 * *pt_len describe it.  Returns 0 or -OCM_E_AUTH (-OCM_E_TRUNCATED or
 * -OCM_E_CRYPTO only if h does not match buf or OpenSSL fails).
 */
int dgram_open(struct aead *a, const struct dgram_header *h, uint8_t *buf, size_t len,
    uint8_t **pt, size_t *pt_len);

/* Plaintext Types. */
enum msg_type {
	MSG_C_CHAT = 0x01,
	MSG_C_PING = 0x02,
	MSG_C_LEAVE = 0x03,
	MSG_C_WHO = 0x04,
	MSG_S_CHAT = 0x81,
	MSG_S_PONG = 0x82,
	MSG_S_NOTICE = 0x83,
	MSG_S_MEMBERS = 0x84,
	MSG_S_CLOSED = 0x85,
	MSG_S_BATCH = 0x86,
};

enum notice_code {
	NOTICE_JOINED = 0x01,
	NOTICE_LEFT = 0x02,
	NOTICE_TIMED_OUT = 0x03,
	NOTICE_KICKED = 0x04,
	NOTICE_REJECTED = 0x05,
};

enum closed_reason {
	CLOSED_LEFT = 0x01,
	CLOSED_HOST_LEFT = 0x02,
	CLOSED_HOST_TIMED_OUT = 0x03,
	CLOSED_ROOM_KILLED = 0x04,
	CLOSED_KICKED = 0x05,
	CLOSED_TIMED_OUT = 0x06,
	CLOSED_SERVER_SHUTDOWN = 0x07,
};

/*
 * Address proof (doc/address-proof.md): a PONG may carry a challenge, which
 * the client echoes as the body of a PING; a PING may also carry padding,
 * so that the PONG answering it, challenge included, is no larger than it.
 */
#define MSG_CHALLENGE_LEN	8
#define MSG_PING_BODY_MAX	64

#define MEMBERS_FLAG_MORE	0x01
#define MEMBERS_ENTRY_HOST	0x01

/* "CHAT", "NOTICE", ...; "JOINED", ...; "HOST_LEFT", ...; NULL if unknown. */
const char *msg_type_name(int type);
const char *notice_code_name(int code);
const char *closed_reason_name(int reason);

/*
 * The longest chat text a member named name_len bytes may send in a room
 * named room_len bytes: the server's copy (which adds the name) must fit in
 * max_datagram.  0 when nothing fits.
 */
size_t msg_max_text(size_t max_datagram, size_t room_len, size_t name_len);

/* A parsed plaintext; pointers go into the parsed buffer. */
struct msg {
	uint8_t type;
	uint8_t code;		/* NOTICE code, CLOSED reason, MEMBERS flags */
	const uint8_t *name;	/* S_CHAT sender, NOTICE member */
	size_t name_len;
	const uint8_t *text;	/* chat text, notice text, closed text */
	size_t text_len;
	const uint8_t *body;	/* MEMBERS entries / BATCH records, raw; PING and
				 * PONG bodies (NULL when empty) */
	size_t body_len;
};

/*
 * Structural parse of one plaintext of either direction.  Returns 0 or
 * -OCM_E_TRUNCATED (empty), -OCM_E_BAD_TYPE, -OCM_E_MALFORMED (body does
 * not match the Type: a PING body above MSG_PING_BODY_MAX, a PONG body
 * other than none or MSG_CHALLENGE_LEN bytes, a name running past the end,
 * a zero-length S_CHAT name, MEMBERS entries or BATCH records that do not
 * tile the body, a BATCH record that is not a valid server-to-client
 * plaintext or is itself a BATCH).  Text is not checked for UTF-8 here: see
 * chat_text_valid(), which decides REJECTED rather than a silent drop.
 */
int msg_parse(const uint8_t *pt, size_t len, struct msg *m);

/* Walking MEMBERS entries and BATCH records of a msg_parse()d message.
 * Each returns 1 with the next item, 0 at the end. */
struct msg_iter {
	const uint8_t *p;
	size_t left;
};
void msg_iter_init(struct msg_iter *it, const struct msg *m);
int msg_members_next(struct msg_iter *it, uint8_t *flags, const uint8_t **name,
    size_t *name_len);
int msg_batch_next(struct msg_iter *it, const uint8_t **rec, size_t *rec_len);

/*
 * Encoders write one plaintext into out (cap bytes) and return its length,
 * or -OCM_E_NOSPC, or -OCM_E_BAD_NAME for a name outside 1..255 bytes
 * (0..255 for NOTICE), or -OCM_E_BAD_TEXT for an empty chat text, or
 * -OCM_E_BAD_TYPE for msg_encode_empty() of a Type whose body cannot be
 * empty.
 */
long msg_encode_empty(uint8_t type, uint8_t *out, size_t cap);	/* PING LEAVE WHO PONG */
/* PING with body_len (0..MSG_PING_BODY_MAX) bytes of body: those of body,
 * or zeros (padding) when body is NULL; -OCM_E_TOO_LARGE above the most. */
long msg_encode_ping(const uint8_t *body, size_t body_len, uint8_t *out, size_t cap);
/* PONG with the MSG_CHALLENGE_LEN bytes of challenge, or empty when NULL. */
long msg_encode_pong(const uint8_t *challenge, uint8_t *out, size_t cap);
long msg_encode_c_chat(const uint8_t *text, size_t text_len, uint8_t *out, size_t cap);
long msg_encode_s_chat(const uint8_t *name, size_t name_len, const uint8_t *text,
    size_t text_len, uint8_t *out, size_t cap);
long msg_encode_notice(uint8_t code, const uint8_t *name, size_t name_len,
    const uint8_t *text, size_t text_len, uint8_t *out, size_t cap);
long msg_encode_closed(uint8_t reason, const uint8_t *text, size_t text_len,
    uint8_t *out, size_t cap);

/* MEMBERS: begin with the Flags byte, then append entries while they fit. */
long msg_members_begin(uint8_t flags, uint8_t *out, size_t cap);
/* Appends one entry at out[used]; returns the new length or -OCM_E_NOSPC. */
long msg_members_add(uint8_t *out, size_t used, size_t cap, uint8_t entry_flags,
    const uint8_t *name, size_t name_len);

/* A BATCH record's Length field (doc/protocol.md 9.2), and the most it
 * can tell. */
#define BATCH_LEN_SIZE		2
#define BATCH_REC_MAX		0xffff

/* BATCH: begin with the Type byte, then append whole records while they
 * fit; a record that is itself a BATCH, empty, or not server-to-client is
 * -OCM_E_MALFORMED, one above 65,535 bytes -OCM_E_TOO_LARGE. */
long msg_batch_begin(uint8_t *out, size_t cap);

/*
 * Appends rec as one record at out[used]; returns the new length.  rec may
 * already sit at out + used + 2 (encoded in place, the cheap way to build a
 * BATCH); then only the Length is written.  Inline: the relay appends each
 * copy of each record it sends with it, and a call per copy would cost
 * more than the checks.
 */
static inline long
msg_batch_add(uint8_t *out, size_t used, size_t cap, const uint8_t *rec, size_t rec_len)
{
	uint8_t *dst;

	if (rec_len == 0 || rec[0] == MSG_S_BATCH || rec[0] < 0x80)
		return -OCM_E_MALFORMED;
	if (rec_len > BATCH_REC_MAX)
		return -OCM_E_TOO_LARGE;
	if (used > cap || cap - used < BATCH_LEN_SIZE + rec_len)
		return -OCM_E_NOSPC;
	dst = out + used + BATCH_LEN_SIZE;
	if (dst != rec)
		memmove(dst, rec, rec_len);
	out[used] = (uint8_t)(rec_len >> 8);
	out[used + 1] = (uint8_t)rec_len;
	return (long)(used + BATCH_LEN_SIZE + rec_len);
}

#endif
