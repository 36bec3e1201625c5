/*
 * check_datagram.c: sealed datagrams and their plaintexts (lib/datagram.c):
 * header bounds, round trips of every Type through seal and open, tampering
 * with each header field, the longest chat text, malformed plaintexts, and
 * the MEMBERS and BATCH builders and iterators.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/datagram.h"
#include "tests/unit/util.h"

#define BUF_SIZE	(OCM_MAX_DATAGRAM + 64)

static const uint8_t token[OCM_TOKEN_LEN + 1] = "0123456789abcdef0123456789abcdef";
static const uint8_t lobby[] = "lobby";
#define LOBBY_LEN	(sizeof(lobby) - 1)

static struct aead *c2s_seal, *c2s_open, *s2c_seal, *s2c_open;

static void
keys_setup(void)
{
	uint8_t c2s[OCM_KEY_LEN], s2c[OCM_KEY_LEN];

	for (int i = 0; i < OCM_KEY_LEN; i++) {
		c2s[i] = (uint8_t)i;
		s2c[i] = (uint8_t)(0xa0 + i);
	}
	c2s_seal = aead_new(c2s, AEAD_SEAL);
	c2s_open = aead_new(c2s, AEAD_OPEN);
	s2c_seal = aead_new(s2c, AEAD_SEAL);
	s2c_open = aead_new(s2c, AEAD_OPEN);
	ck_assert(c2s_seal && c2s_open && s2c_seal && s2c_open);
}

static void
keys_teardown(void)
{
	aead_free(c2s_seal);
	aead_free(c2s_open);
	aead_free(s2c_seal);
	aead_free(s2c_open);
}

/*
 * Seals pt into dg under (seal, room, counter), checks the header parses
 * back to what went in, opens it with open and checks the plaintext.
 * Returns the datagram length; *pt_out points at the plaintext in dg.
 */
static size_t
round_trip(struct aead *seal, struct aead *open, const uint8_t *room, size_t room_len,
    uint64_t counter, const uint8_t *pt, size_t pt_len, uint8_t *dg, uint8_t **pt_out)
{
	struct dgram_header h;
	size_t out_len;

	long n = dgram_seal(seal, room, room_len, token, counter, pt, pt_len, dg, BUF_SIZE);
	ck_assert_int_eq(n, (long)(DGRAM_OVERHEAD(room_len) + pt_len));
	ck_assert_int_eq(dg[0], room_len);
	ck_assert_int_eq(dg[1], OCM_TOKEN_LEN);
	ck_assert_int_eq(dgram_parse_header(dg, (size_t)n, &h), 0);
	ck_assert_uint_eq(h.room_len, room_len);
	ck_assert_ptr_eq(h.room, dg + 2);
	ck_assert_mem_eq(h.room, room, room_len);
	ck_assert_ptr_eq(h.token, dg + 2 + room_len);
	ck_assert_mem_eq(h.token, token, OCM_TOKEN_LEN);
	ck_assert_uint_eq(h.counter, counter);
	ck_assert_uint_eq(h.aad_len, 10 + room_len + OCM_TOKEN_LEN);
	ck_assert_int_eq(dgram_open(open, &h, dg, (size_t)n, pt_out, &out_len), 0);
	ck_assert_ptr_eq(*pt_out, dg + h.aad_len);
	ck_assert_uint_eq(out_len, pt_len);
	ck_assert_mem_eq(*pt_out, pt, pt_len);
	return (size_t)n;
}

/* Round trip, then msg_parse the plaintext into m. */
static void
trip_and_parse(struct aead *seal, struct aead *open, const uint8_t *pt, long pt_len,
    uint8_t *dg, struct msg *m)
{
	uint8_t *p;

	ck_assert_int_gt(pt_len, 0);
	round_trip(seal, open, lobby, LOBBY_LEN, 42, pt, (size_t)pt_len, dg, &p);
	ck_assert_int_eq(msg_parse(p, (size_t)pt_len, m), 0);
}

#define S(lit)	(const uint8_t *)(lit), (sizeof(lit) - 1)

START_TEST(test_roundtrip_client)
{
	uint8_t pt[64], dg[BUF_SIZE];
	struct msg m;
	static const uint8_t empties[] = { MSG_C_PING, MSG_C_LEAVE, MSG_C_WHO };

	long n = msg_encode_c_chat(S("hi there"), pt, sizeof(pt));
	ck_assert_int_eq(n, 9);
	trip_and_parse(c2s_seal, c2s_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_C_CHAT);
	ck_assert_uint_eq(m.text_len, 8);
	ck_assert_mem_eq(m.text, "hi there", 8);
	ck_assert_ptr_eq(m.text, dg + 10 + LOBBY_LEN + OCM_TOKEN_LEN + 1);
	ck_assert_ptr_null(m.name);
	ck_assert_ptr_null(m.body);

	for (size_t i = 0; i < sizeof(empties); i++) {
		ck_assert_int_eq(msg_encode_empty(empties[i], pt, sizeof(pt)), 1);
		trip_and_parse(c2s_seal, c2s_open, pt, 1, dg, &m);
		ck_assert_int_eq(m.type, empties[i]);
		ck_assert_uint_eq(m.text_len, 0);
		ck_assert_uint_eq(m.body_len, 0);
	}

	/* A PING padded with zeros, and one echoing a challenge. */
	n = msg_encode_ping(NULL, MSG_CHALLENGE_LEN, pt, sizeof(pt));
	ck_assert_int_eq(n, 1 + MSG_CHALLENGE_LEN);
	trip_and_parse(c2s_seal, c2s_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_C_PING);
	ck_assert_uint_eq(m.body_len, MSG_CHALLENGE_LEN);
	ck_assert_mem_eq(m.body, "\0\0\0\0\0\0\0\0", MSG_CHALLENGE_LEN);
	n = msg_encode_ping(S("challnge"), pt, sizeof(pt));
	trip_and_parse(c2s_seal, c2s_open, pt, n, dg, &m);
	ck_assert_mem_eq(m.body, "challnge", MSG_CHALLENGE_LEN);
}
END_TEST

START_TEST(test_roundtrip_server_simple)
{
	uint8_t pt[256], dg[BUF_SIZE];
	struct msg m;

	long n = msg_encode_s_chat(S("alice"), S("hello\tall"), pt, sizeof(pt));
	ck_assert_int_eq(n, 2 + 5 + 9);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_CHAT);
	ck_assert_uint_eq(m.name_len, 5);
	ck_assert_mem_eq(m.name, "alice", 5);
	ck_assert_uint_eq(m.text_len, 9);
	ck_assert_mem_eq(m.text, "hello\tall", 9);

	ck_assert_int_eq(msg_encode_empty(MSG_S_PONG, pt, sizeof(pt)), 1);
	trip_and_parse(s2c_seal, s2c_open, pt, 1, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_PONG);
	ck_assert_ptr_null(m.body);
	n = msg_encode_pong((const uint8_t *)"12345678", pt, sizeof(pt));
	ck_assert_int_eq(n, 1 + MSG_CHALLENGE_LEN);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_PONG);
	ck_assert_uint_eq(m.body_len, MSG_CHALLENGE_LEN);
	ck_assert_mem_eq(m.body, "12345678", MSG_CHALLENGE_LEN);

	n = msg_encode_notice(NOTICE_JOINED, S("bob"), NULL, 0, pt, sizeof(pt));
	ck_assert_int_eq(n, 3 + 3);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_NOTICE);
	ck_assert_int_eq(m.code, NOTICE_JOINED);
	ck_assert_uint_eq(m.name_len, 3);
	ck_assert_mem_eq(m.name, "bob", 3);
	ck_assert_uint_eq(m.text_len, 0);

	n = msg_encode_notice(NOTICE_REJECTED, NULL, 0, S("too long"), pt, sizeof(pt));
	ck_assert_int_eq(n, 3 + 8);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.code, NOTICE_REJECTED);
	ck_assert_uint_eq(m.name_len, 0);
	ck_assert_uint_eq(m.text_len, 8);
	ck_assert_mem_eq(m.text, "too long", 8);

	n = msg_encode_closed(CLOSED_HOST_LEFT, S("the host left"), pt, sizeof(pt));
	ck_assert_int_eq(n, 2 + 13);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_CLOSED);
	ck_assert_int_eq(m.code, CLOSED_HOST_LEFT);
	ck_assert_uint_eq(m.text_len, 13);
	ck_assert_mem_eq(m.text, "the host left", 13);
}
END_TEST

START_TEST(test_roundtrip_server_lists)
{
	uint8_t pt[256], rec[64], dg[BUF_SIZE];
	const uint8_t *name, *r;
	size_t len;
	uint8_t flags;
	struct msg m, inner;
	struct msg_iter it;

	long n = msg_members_begin(MEMBERS_FLAG_MORE, pt, sizeof(pt));
	n = msg_members_add(pt, (size_t)n, sizeof(pt), MEMBERS_ENTRY_HOST, S("alice"));
	n = msg_members_add(pt, (size_t)n, sizeof(pt), 0, S("bob"));
	ck_assert_int_eq(n, 2 + 7 + 5);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_MEMBERS);
	ck_assert_int_eq(m.code, MEMBERS_FLAG_MORE);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_members_next(&it, &flags, &name, &len), 1);
	ck_assert_int_eq(flags, MEMBERS_ENTRY_HOST);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(name, "alice", 5);
	ck_assert_int_eq(msg_members_next(&it, &flags, &name, &len), 1);
	ck_assert_int_eq(flags, 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(name, "bob", 3);
	ck_assert_int_eq(msg_members_next(&it, &flags, &name, &len), 0);

	n = msg_batch_begin(pt, sizeof(pt));
	long rn = msg_encode_s_chat(S("carol"), S("one"), rec, sizeof(rec));
	n = msg_batch_add(pt, (size_t)n, sizeof(pt), rec, (size_t)rn);
	rn = msg_encode_notice(NOTICE_LEFT, S("dave"), NULL, 0, rec, sizeof(rec));
	n = msg_batch_add(pt, (size_t)n, sizeof(pt), rec, (size_t)rn);
	ck_assert_int_eq(n, 1 + 2 + 10 + 2 + 7);
	trip_and_parse(s2c_seal, s2c_open, pt, n, dg, &m);
	ck_assert_int_eq(m.type, MSG_S_BATCH);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_batch_next(&it, &r, &len), 1);
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(msg_parse(r, len, &inner), 0);
	ck_assert_int_eq(inner.type, MSG_S_CHAT);
	ck_assert_mem_eq(inner.text, "one", 3);
	ck_assert_int_eq(msg_batch_next(&it, &r, &len), 1);
	ck_assert_uint_eq(len, 7);
	ck_assert_int_eq(msg_parse(r, len, &inner), 0);
	ck_assert_int_eq(inner.type, MSG_S_NOTICE);
	ck_assert_int_eq(inner.code, NOTICE_LEFT);
	ck_assert_mem_eq(inner.name, "dave", 4);
	ck_assert_int_eq(msg_batch_next(&it, &r, &len), 0);
}
END_TEST

/* The iterators of a message without entries or records end at once. */
START_TEST(test_iter_other_types)
{
	struct msg m;
	struct msg_iter it;
	const uint8_t *p;
	size_t len;
	uint8_t flags;
	static const uint8_t chat[] = { MSG_S_CHAT, 1, 'a', 'b' };
	static const uint8_t members[] = { MSG_S_MEMBERS, 0 };

	ck_assert_int_eq(msg_parse(chat, sizeof(chat), &m), 0);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 0);
	ck_assert_int_eq(msg_batch_next(&it, &p, &len), 0);
	ck_assert_int_eq(msg_parse(members, sizeof(members), &m), 0);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 0);
}
END_TEST

/* ---- Header bounds ------------------------------------------------ */

START_TEST(test_size_limit)
{
	static uint8_t pt[OCM_MAX_DATAGRAM + 2], dg[OCM_MAX_DATAGRAM + 64];
	struct dgram_header h;
	size_t fit = OCM_MAX_DATAGRAM - DGRAM_OVERHEAD(LOBBY_LEN);
	uint8_t *p;

	memset(pt, 'x', sizeof(pt));
	pt[0] = MSG_C_CHAT;
	ck_assert_uint_eq(round_trip(c2s_seal, c2s_open, lobby, LOBBY_LEN, 1, pt, fit,
	    dg, &p), OCM_MAX_DATAGRAM);
	/* One more byte of plaintext: refused however large the buffer. */
	ck_assert_int_eq(dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 2, pt, fit + 1,
	    dg, sizeof(dg)), -OCM_E_NOSPC);
	/* A 4097-byte datagram with an otherwise valid header. */
	ck_assert_int_eq(dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 3, pt, fit, dg,
	    sizeof(dg)), OCM_MAX_DATAGRAM);
	ck_assert_int_eq(dgram_parse_header(dg, OCM_MAX_DATAGRAM + 1, &h), -OCM_E_TOO_LARGE);
	ck_assert_int_eq(dgram_parse_header(dg, OCM_MAX_DATAGRAM, &h), 0);
	/* An output buffer one byte short. */
	ck_assert_int_eq(dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 4, pt, 10, dg,
	    DGRAM_OVERHEAD(LOBBY_LEN) + 9), -OCM_E_NOSPC);
	ck_assert_int_eq(dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 4, pt, 10, dg,
	    DGRAM_OVERHEAD(LOBBY_LEN) + 10), (long)DGRAM_OVERHEAD(LOBBY_LEN) + 10);
	ck_assert_int_eq(dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 4, pt, 0, dg,
	    sizeof(dg)), -OCM_E_MALFORMED);
}
END_TEST

START_TEST(test_room_len)
{
	uint8_t room[256], dg[BUF_SIZE], *p;
	struct dgram_header h;
	static const uint8_t pt[] = { MSG_C_PING };

	memset(room, 'r', sizeof(room));
	round_trip(c2s_seal, c2s_open, room, 255, 9, pt, 1, dg, &p);
	round_trip(c2s_seal, c2s_open, room, 1, 9, pt, 1, dg, &p);
	ck_assert_int_eq(dgram_seal(c2s_seal, room, 0, token, 0, pt, 1, dg, sizeof(dg)),
	    -OCM_E_BAD_NAME);
	ck_assert_int_eq(dgram_seal(c2s_seal, room, 256, token, 0, pt, 1, dg, sizeof(dg)),
	    -OCM_E_BAD_NAME);
	/* R = 0 in an otherwise long enough datagram. */
	memset(dg, 0, sizeof(dg));
	dg[1] = OCM_TOKEN_LEN;
	ck_assert_int_eq(dgram_parse_header(dg, 200, &h), -OCM_E_BAD_NAME);
}
END_TEST

static const uint8_t bad_token_lens[] = { 0, 1, 16, 31, 33, 64, 255 };

START_TEST(test_token_len)
{
	uint8_t dg[BUF_SIZE], *p;
	struct dgram_header h;
	static const uint8_t pt[] = { MSG_C_PING };

	size_t n = round_trip(c2s_seal, c2s_open, lobby, LOBBY_LEN, 5, pt, 1, dg, &p);
	memset(&h, 0xa5, sizeof(h));
	dg[1] = bad_token_lens[_i];
	/* Long enough for any of these T, so only T can be the complaint. */
	ck_assert_int_eq(dgram_parse_header(dg, n + 255, &h), -OCM_E_BAD_TOKEN);
	ck_assert_uint_eq(h.counter, UINT64_C(0xa5a5a5a5a5a5a5a5));	/* untouched */
}
END_TEST

START_TEST(test_truncated)
{
	uint8_t dg[BUF_SIZE], *p;
	struct dgram_header h;
	static const uint8_t pt[] = { MSG_C_CHAT, 'a', 'b', 'c' };
	const size_t min = 2 + LOBBY_LEN + OCM_TOKEN_LEN + 8 + 1 + OCM_TAG_LEN;

	size_t n = round_trip(c2s_seal, c2s_open, lobby, LOBBY_LEN, 6, pt, sizeof(pt),
	    dg, &p);
	/* Re-seal: round_trip opened it in place. */
	dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 6, pt, sizeof(pt), dg, sizeof(dg));
	for (size_t len = 0; len < min; len++)
		ck_assert_int_eq(dgram_parse_header(dg, len, &h), -OCM_E_TRUNCATED);
	/* Long enough to parse, but the tag is then in the wrong place. */
	for (size_t len = min; len < n; len++) {
		uint8_t copy[BUF_SIZE], *q;
		size_t q_len;

		memcpy(copy, dg, n);
		ck_assert_int_eq(dgram_parse_header(copy, len, &h), 0);
		ck_assert_int_eq(dgram_open(c2s_open, &h, copy, len, &q, &q_len), -OCM_E_AUTH);
	}
}
END_TEST

/* doc/protocol.md 9.1: 3,526 bytes for 255-byte room and user names. */
START_TEST(test_max_text)
{
	static uint8_t text[OCM_MAX_DATAGRAM], pt[OCM_MAX_DATAGRAM], dg[BUF_SIZE];
	uint8_t room[255], name[255], *p;

	ck_assert_uint_eq(msg_max_text(OCM_MAX_DATAGRAM, 255, 255), 3526);
	ck_assert_uint_eq(msg_max_text(OCM_MAX_DATAGRAM, 1, 1), 4034);
	ck_assert_uint_eq(msg_max_text(570, 255, 255), 0);
	ck_assert_uint_eq(msg_max_text(571, 255, 255), 1);
	ck_assert_uint_eq(msg_max_text(100, 255, 255), 0);
	ck_assert_uint_eq(msg_max_text(0, 0, 0), 0);
	ck_assert_uint_eq(msg_max_text(OCM_MAX_DATAGRAM, SIZE_MAX, 1), 0);
	ck_assert_uint_eq(msg_max_text(OCM_MAX_DATAGRAM, 1, SIZE_MAX), 0);

	memset(room, 'R', sizeof(room));
	memset(name, 'N', sizeof(name));
	memset(text, 'T', sizeof(text));
	long n = msg_encode_s_chat(name, 255, text, 3526, pt, sizeof(pt));
	ck_assert_int_eq(n, 2 + 255 + 3526);
	ck_assert_uint_eq(round_trip(s2c_seal, s2c_open, room, 255, 77, pt, (size_t)n,
	    dg, &p), OCM_MAX_DATAGRAM);
	n = msg_encode_s_chat(name, 255, text, 3527, pt, sizeof(pt));
	ck_assert_int_eq(n, 2 + 255 + 3527);
	ck_assert_int_eq(dgram_seal(s2c_seal, room, 255, token, 78, pt, (size_t)n, dg,
	    sizeof(dg)), -OCM_E_NOSPC);
	/* The sender's own CHAT of that length fits with room to spare. */
	n = msg_encode_c_chat(text, 3526, pt, sizeof(pt));
	ck_assert_uint_eq(round_trip(c2s_seal, c2s_open, room, 255, 79, pt, (size_t)n,
	    dg, &p), DGRAM_OVERHEAD(255) + 1 + 3526);
}
END_TEST

/* ---- Tampering ------------------------------------------------------ */

/* A sealed S_CHAT in lobby, and where its fields are. */
struct sealed {
	uint8_t dg[BUF_SIZE];
	size_t len;
	struct dgram_header h;
};

static void
sealed_make(struct sealed *s)
{
	uint8_t pt[32];
	long n = msg_encode_s_chat(S("eve"), S("secret"), pt, sizeof(pt));

	long dn = dgram_seal(s2c_seal, lobby, LOBBY_LEN, token, UINT64_C(0x1122334455667788),
	    pt, (size_t)n, s->dg, sizeof(s->dg));
	ck_assert_int_gt(dn, 0);
	s->len = (size_t)dn;
	ck_assert_int_eq(dgram_parse_header(s->dg, s->len, &s->h), 0);
}

/* Every header byte is AAD: flipped under the original parse, the open
 * fails (this reaches T too, which a fresh parse would refuse first). */
START_TEST(test_tamper_each_header_byte)
{
	struct sealed s;
	uint8_t copy[BUF_SIZE], *p;
	size_t p_len;

	sealed_make(&s);
	for (size_t i = 0; i < s.h.aad_len; i++) {
		memcpy(copy, s.dg, s.len);
		copy[i] ^= 0x01;
		ck_assert_int_eq(dgram_open(s2c_open, &s.h, copy, s.len, &p, &p_len),
		    -OCM_E_AUTH);
	}
	memcpy(copy, s.dg, s.len);
	ck_assert_int_eq(dgram_open(s2c_open, &s.h, copy, s.len, &p, &p_len), 0);
}
END_TEST

/* Tampering through the normal path: parse the changed datagram, open. */
static int
reparse_and_open(const struct sealed *s, size_t at, uint8_t value)
{
	uint8_t copy[BUF_SIZE], *p;
	size_t p_len;
	struct dgram_header h;
	int err;

	memcpy(copy, s->dg, s->len);
	copy[at] = value;
	if ((err = dgram_parse_header(copy, s->len, &h)) < 0)
		return err;
	return dgram_open(s2c_open, &h, copy, s->len, &p, &p_len);
}

START_TEST(test_tamper_fields)
{
	struct sealed s;
	size_t token_at = 2 + LOBBY_LEN, counter_at = token_at + OCM_TOKEN_LEN;

	sealed_make(&s);
	ck_assert_int_eq(reparse_and_open(&s, 0, LOBBY_LEN - 1), -OCM_E_AUTH);	/* R */
	ck_assert_int_eq(reparse_and_open(&s, 0, LOBBY_LEN + 1), -OCM_E_AUTH);
	ck_assert_int_eq(reparse_and_open(&s, 0, 0), -OCM_E_BAD_NAME);
	ck_assert_int_eq(reparse_and_open(&s, 1, 31), -OCM_E_BAD_TOKEN);	/* T */
	ck_assert_int_eq(reparse_and_open(&s, 2, 'L'), -OCM_E_AUTH);	/* room */
	ck_assert_int_eq(reparse_and_open(&s, 2 + LOBBY_LEN - 1, 'Y'), -OCM_E_AUTH);
	ck_assert_int_eq(reparse_and_open(&s, token_at, 'f'), -OCM_E_AUTH);
	ck_assert_int_eq(reparse_and_open(&s, token_at + 31, '0'), -OCM_E_AUTH);
	for (size_t i = 0; i < 8; i++)	/* counter */
		ck_assert_int_eq(reparse_and_open(&s, counter_at + i,
		    (uint8_t)(s.dg[counter_at + i] ^ 0x80)), -OCM_E_AUTH);
	ck_assert_int_eq(reparse_and_open(&s, s.h.aad_len, (uint8_t)(s.dg[s.h.aad_len] ^ 1)),
	    -OCM_E_AUTH);	/* ciphertext */
	ck_assert_int_eq(reparse_and_open(&s, s.len - 1, (uint8_t)(s.dg[s.len - 1] ^ 1)),
	    -OCM_E_AUTH);	/* tag */
	ck_assert_int_eq(reparse_and_open(&s, 0, LOBBY_LEN), 0);	/* unchanged */
}
END_TEST

START_TEST(test_wrong_key)
{
	struct sealed s;
	uint8_t copy[BUF_SIZE], *p;
	size_t p_len;

	sealed_make(&s);
	memcpy(copy, s.dg, s.len);
	/* The other direction's key of the same session. */
	ck_assert_int_eq(dgram_open(c2s_open, &s.h, s.dg, s.len, &p, &p_len), -OCM_E_AUTH);
	/* A failed open has decrypted in place: the buffer is garbage now. */
	ck_assert_int_eq(dgram_open(s2c_open, &s.h, s.dg, s.len, &p, &p_len), -OCM_E_AUTH);
	ck_assert_int_eq(dgram_open(s2c_open, &s.h, copy, s.len, &p, &p_len), 0);
	ck_assert_mem_eq(p, "\x81\x03" "eve" "secret", 11);
}
END_TEST

/* Encoding straight into the datagram and sealing there. */
START_TEST(test_seal_in_place)
{
	uint8_t dg[BUF_SIZE], *p;
	struct dgram_header h;
	size_t hdr = 10 + LOBBY_LEN + OCM_TOKEN_LEN, p_len;

	long n = msg_encode_c_chat(S("in place"), dg + hdr, sizeof(dg) - hdr);
	long dn = dgram_seal(c2s_seal, lobby, LOBBY_LEN, token, 12, dg + hdr, (size_t)n,
	    dg, sizeof(dg));
	ck_assert_int_eq(dn, (long)DGRAM_OVERHEAD(LOBBY_LEN) + n);
	ck_assert_int_ne(dg[hdr], MSG_C_CHAT);	/* encrypted (this key, counter 12) */
	ck_assert_int_eq(dgram_parse_header(dg, (size_t)dn, &h), 0);
	ck_assert_int_eq(dgram_open(c2s_open, &h, dg, (size_t)dn, &p, &p_len), 0);
	ck_assert_uint_eq(p_len, 9);
	ck_assert_mem_eq(p, "\001in place", 9);
}
END_TEST

/* ---- Plaintext parsing ------------------------------------------------ */

static const struct {
	const char *what;
	const char *hex;
	int err;
} bad_msgs[] = {
	{ "empty", "", -OCM_E_TRUNCATED },
	{ "type 0x00", "00", -OCM_E_BAD_TYPE },
	{ "type 0x05", "05 6869", -OCM_E_BAD_TYPE },
	{ "type 0x80", "80", -OCM_E_BAD_TYPE },
	{ "type 0x87", "87 00", -OCM_E_BAD_TYPE },
	{ "type 0xff", "ff", -OCM_E_BAD_TYPE },
	{ "PING body of 65 bytes", "02 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 00", -OCM_E_MALFORMED },
	{ "LEAVE with a body", "03 41", -OCM_E_MALFORMED },
	{ "WHO with a body", "04 0000", -OCM_E_MALFORMED },
	{ "PONG with a 1-byte body", "82 01", -OCM_E_MALFORMED },
	{ "PONG with a 7-byte body", "82 01020304050607", -OCM_E_MALFORMED },
	{ "PONG with a 9-byte body", "82 010203040506070809", -OCM_E_MALFORMED },
	{ "BATCH record PONG with a 1-byte body", "86 0002 8201", -OCM_E_MALFORMED },
	{ "C_CHAT without text", "01", -OCM_E_MALFORMED },
	{ "S_CHAT without NameLen", "81", -OCM_E_MALFORMED },
	{ "S_CHAT name past the end", "81 05 616263", -OCM_E_MALFORMED },
	{ "S_CHAT name one past the end", "81 03 6162", -OCM_E_MALFORMED },
	{ "S_CHAT empty name", "81 00 6869", -OCM_E_MALFORMED },
	{ "S_CHAT without text", "81 02 6162", -OCM_E_MALFORMED },
	{ "NOTICE without Code", "83", -OCM_E_MALFORMED },
	{ "NOTICE without NameLen", "83 01", -OCM_E_MALFORMED },
	{ "NOTICE name past the end", "83 01 03 6162", -OCM_E_MALFORMED },
	{ "MEMBERS without Flags", "84", -OCM_E_MALFORMED },
	{ "MEMBERS entry without NameLen", "84 00 01", -OCM_E_MALFORMED },
	{ "MEMBERS entry truncated", "84 00 01 05 616263", -OCM_E_MALFORMED },
	{ "MEMBERS second entry truncated", "84 00 01 01 61 00 02 62", -OCM_E_MALFORMED },
	{ "MEMBERS entry with empty name", "84 00 00 00", -OCM_E_MALFORMED },
	{ "MEMBERS trailing byte", "84 00 01 01 61 00", -OCM_E_MALFORMED },
	{ "CLOSED without Reason", "85", -OCM_E_MALFORMED },
	{ "BATCH without records", "86", -OCM_E_MALFORMED },
	{ "BATCH half a Length", "86 00", -OCM_E_MALFORMED },
	{ "BATCH record length 0", "86 0000", -OCM_E_MALFORMED },
	{ "BATCH record length 0 after one", "86 0001 82 0000", -OCM_E_MALFORMED },
	{ "BATCH record past the end", "86 0005 82", -OCM_E_MALFORMED },
	{ "BATCH second record past the end", "86 0001 82 0002 82", -OCM_E_MALFORMED },
	{ "BATCH trailing byte", "86 0001 82 00", -OCM_E_MALFORMED },
	{ "BATCH inside BATCH", "86 0004 86000182", -OCM_E_MALFORMED },
	{ "BATCH record with unknown type", "86 0001 05", -OCM_E_MALFORMED },
	{ "BATCH record of type 0xff", "86 0001 ff", -OCM_E_MALFORMED },
	{ "BATCH record from a client", "86 0001 02", -OCM_E_MALFORMED },
	{ "BATCH record client CHAT", "86 0003 01 6869", -OCM_E_MALFORMED },
	{ "BATCH record malformed PONG", "86 0002 8200", -OCM_E_MALFORMED },
	{ "BATCH record malformed S_CHAT", "86 0003 81 00 61", -OCM_E_MALFORMED },
};

/* Parsed from an exact-size heap copy, so that under ASan a read one byte
 * past the end is an error, not a lucky zero. */
START_TEST(test_malformed)
{
	uint8_t buf[128];
	struct msg m;
	size_t len = test_unhex(bad_msgs[_i].hex, buf, sizeof(buf));

	ck_assert_uint_ne(len, (size_t)-1);
	uint8_t *exact = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(exact);
	memcpy(exact, buf, len);
	memset(&m, 0x5a, sizeof(m));
	int err = msg_parse(exact, len, &m);
	ck_assert_msg(err == bad_msgs[_i].err, "%s: got %d, want %d",
	    bad_msgs[_i].what, err, bad_msgs[_i].err);
	ck_assert_int_eq(m.type, 0x5a);	/* untouched on failure */
	free(exact);
}
END_TEST

/* Edge cases that are valid. */
static const struct {
	const char *hex;
	uint8_t type;
	size_t name_len, text_len, body_len;
} good_msgs[] = {
	{ "81 01 61 62", MSG_S_CHAT, 1, 1, 0 },
	{ "83 05 00", MSG_S_NOTICE, 0, 0, 0 },
	{ "83 01 01 61", MSG_S_NOTICE, 1, 0, 0 },
	{ "83 ff 00 6869", MSG_S_NOTICE, 0, 2, 0 },	/* unknown codes pass */
	{ "84 00", MSG_S_MEMBERS, 0, 0, 0 },
	{ "84 01 01 01 61", MSG_S_MEMBERS, 0, 0, 3 },
	{ "85 07", MSG_S_CLOSED, 0, 0, 0 },
	{ "86 0001 82", MSG_S_BATCH, 0, 0, 3 },
	{ "86 0001 82 0002 8500", MSG_S_BATCH, 0, 0, 7 },
	{ "01 00", MSG_C_CHAT, 0, 1, 0 },	/* text is judged later */
	{ "02 00", MSG_C_PING, 0, 0, 1 },	/* padding */
	{ "02 abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab", MSG_C_PING, 0, 0, 64 },
	{ "82 0102030405060708", MSG_S_PONG, 0, 0, 8 },	/* a challenge */
	{ "86 0009 82 0102030405060708", MSG_S_BATCH, 0, 0, 11 },
};

START_TEST(test_good_edges)
{
	uint8_t buf[128];
	struct msg m;
	size_t len = test_unhex(good_msgs[_i].hex, buf, sizeof(buf));
	uint8_t *exact = malloc(len);

	ck_assert_ptr_nonnull(exact);
	memcpy(exact, buf, len);
	ck_assert_int_eq(msg_parse(exact, len, &m), 0);
	ck_assert_int_eq(m.type, good_msgs[_i].type);
	ck_assert_uint_eq(m.name_len, good_msgs[_i].name_len);
	ck_assert_uint_eq(m.text_len, good_msgs[_i].text_len);
	ck_assert_uint_eq(m.body_len, good_msgs[_i].body_len);
	free(exact);
}
END_TEST

START_TEST(test_long_names)
{
	uint8_t name[256], pt[600];
	struct msg m;
	struct msg_iter it;
	const uint8_t *p;
	size_t len;
	uint8_t flags;

	memset(name, 'n', sizeof(name));
	long n = msg_members_begin(0, pt, sizeof(pt));
	n = msg_members_add(pt, (size_t)n, sizeof(pt), 0, name, 255);
	ck_assert_int_eq(n, 2 + 2 + 255);
	ck_assert_int_eq(msg_parse(pt, (size_t)n, &m), 0);
	msg_iter_init(&it, &m);
	ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 1);
	ck_assert_uint_eq(len, 255);
	ck_assert_int_eq(msg_members_add(pt, (size_t)n, sizeof(pt), 0, name, 256),
	    -OCM_E_BAD_NAME);
	ck_assert_int_eq(msg_members_add(pt, (size_t)n, sizeof(pt), 0, name, 0),
	    -OCM_E_BAD_NAME);
	ck_assert_int_eq(msg_encode_s_chat(name, 256, S("x"), pt, sizeof(pt)),
	    -OCM_E_BAD_NAME);
	ck_assert_int_eq(msg_encode_s_chat(name, 0, S("x"), pt, sizeof(pt)),
	    -OCM_E_BAD_NAME);
	ck_assert_int_eq(msg_encode_notice(1, name, 256, NULL, 0, pt, sizeof(pt)),
	    -OCM_E_BAD_NAME);
	n = msg_encode_notice(1, name, 255, S("t"), pt, sizeof(pt));
	ck_assert_int_eq(n, 3 + 255 + 1);
	ck_assert_int_eq(msg_parse(pt, (size_t)n, &m), 0);
	ck_assert_uint_eq(m.name_len, 255);
	ck_assert_uint_eq(m.text_len, 1);
}
END_TEST

/* Each encoder at exactly its size, and one byte short. */
START_TEST(test_encoders_nospc)
{
	uint8_t out[32];

	ck_assert_int_eq(msg_encode_empty(MSG_C_PING, out, 0), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_ping(NULL, 8, out, 8), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_ping(NULL, 8, out, 9), 9);
	ck_assert_int_eq(msg_encode_ping(NULL, MSG_PING_BODY_MAX + 1, out, sizeof(out)),
	    -OCM_E_TOO_LARGE);
	ck_assert_int_eq(msg_encode_ping(NULL, SIZE_MAX, out, sizeof(out)), -OCM_E_TOO_LARGE);
	ck_assert_int_eq(msg_encode_pong(out, out, MSG_CHALLENGE_LEN), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_pong(NULL, out, 0), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_pong(NULL, out, 1), 1);
	ck_assert_int_eq(msg_encode_empty(MSG_C_CHAT, out, 1), -OCM_E_BAD_TYPE);
	ck_assert_int_eq(msg_encode_empty(MSG_S_BATCH, out, 1), -OCM_E_BAD_TYPE);
	ck_assert_int_eq(msg_encode_c_chat(S("abc"), out, 3), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_c_chat(S("abc"), out, 4), 4);
	ck_assert_int_eq(msg_encode_c_chat(NULL, 0, out, 4), -OCM_E_BAD_TEXT);
	ck_assert_int_eq(msg_encode_s_chat(S("ab"), S("cd"), out, 5), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_s_chat(S("ab"), S("cd"), out, 6), 6);
	ck_assert_int_eq(msg_encode_s_chat(S("ab"), NULL, 0, out, 6), -OCM_E_BAD_TEXT);
	ck_assert_int_eq(msg_encode_notice(1, S("ab"), S("cd"), out, 6), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_notice(1, S("ab"), S("cd"), out, 7), 7);
	ck_assert_int_eq(msg_encode_notice(1, S("ab"), NULL, 0, out, 4), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_closed(2, S("cd"), out, 3), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_closed(2, S("cd"), out, 4), 4);
	ck_assert_int_eq(msg_encode_closed(2, NULL, 0, out, 1), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_members_begin(0, out, 1), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_batch_begin(out, 0), -OCM_E_NOSPC);
	/* Huge lengths must not wrap the size checks. */
	ck_assert_int_eq(msg_encode_c_chat(out, SIZE_MAX, out, sizeof(out)), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_s_chat(S("a"), out, SIZE_MAX - 1, out, sizeof(out)),
	    -OCM_E_NOSPC);
	ck_assert_int_eq(msg_encode_closed(1, out, SIZE_MAX - 1, out, sizeof(out)),
	    -OCM_E_NOSPC);
}
END_TEST

/* MEMBERS filled until the buffer is full, then walked. */
START_TEST(test_members_fill)
{
	uint8_t out[2 + 12 * 8 + 3], flags;
	char name[8];
	struct msg m;
	struct msg_iter it;
	const uint8_t *p;
	size_t len, count = 0;
	long used, next;

	used = msg_members_begin(0, out, sizeof(out));
	ck_assert_int_eq(used, 2);
	/* Entries of 2 + 6 bytes: 12 fit, leaving 3 bytes. */
	for (;;) {
		snprintf(name, sizeof(name), "user%02zu", count);
		next = msg_members_add(out, (size_t)used, sizeof(out), count == 0,
		    (const uint8_t *)name, 6);
		if (next < 0)
			break;
		used = next;
		count++;
	}
	ck_assert_int_eq(next, -OCM_E_NOSPC);
	ck_assert_uint_eq(count, 12);
	ck_assert_int_eq(used, 2 + 12 * 8);
	ck_assert_int_eq(msg_members_add(out, (size_t)used, sizeof(out), 0, S("ab")),
	    -OCM_E_NOSPC);
	used = msg_members_add(out, (size_t)used, sizeof(out), 0, S("z"));
	ck_assert_int_eq(used, sizeof(out));
	ck_assert_int_eq(msg_members_add(out, sizeof(out) + 1, sizeof(out), 0, S("a")),
	    -OCM_E_NOSPC);

	ck_assert_int_eq(msg_parse(out, (size_t)used, &m), 0);
	msg_iter_init(&it, &m);
	for (size_t i = 0; i < count; i++) {
		ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 1);
		snprintf(name, sizeof(name), "user%02zu", i);
		ck_assert_int_eq(flags, i == 0 ? MEMBERS_ENTRY_HOST : 0);
		ck_assert_uint_eq(len, 6);
		ck_assert_mem_eq(p, name, 6);
	}
	ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 1);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(p[0], 'z');
	ck_assert_int_eq(msg_members_next(&it, &flags, &p, &len), 0);
}
END_TEST

START_TEST(test_batch_fill)
{
	uint8_t out[64], rec[16];
	struct msg m, inner;
	struct msg_iter it;
	const uint8_t *r;
	size_t len, count = 0;
	long used, next, rn;

	used = msg_batch_begin(out, sizeof(out));
	ck_assert_int_eq(used, 1);
	/* S_CHAT "a" + 3 digits: 6 bytes, 8 with the Length: 7 fit in 63. */
	for (;;) {
		char text[4];
		snprintf(text, sizeof(text), "%03zu", count);
		rn = msg_encode_s_chat(S("a"), (uint8_t *)text, 3, rec, sizeof(rec));
		ck_assert_int_eq(rn, 6);
		next = msg_batch_add(out, (size_t)used, sizeof(out), rec, (size_t)rn);
		if (next < 0)
			break;
		used = next;
		count++;
	}
	ck_assert_int_eq(next, -OCM_E_NOSPC);
	ck_assert_uint_eq(count, 7);
	ck_assert_int_eq(used, 1 + 7 * 8);

	ck_assert_int_eq(msg_parse(out, (size_t)used, &m), 0);
	ck_assert_int_eq(m.type, MSG_S_BATCH);
	msg_iter_init(&it, &m);
	for (size_t i = 0; i < count; i++) {
		char text[4];
		snprintf(text, sizeof(text), "%03zu", i);
		ck_assert_int_eq(msg_batch_next(&it, &r, &len), 1);
		ck_assert_uint_eq(len, 6);
		ck_assert_int_eq(msg_parse(r, len, &inner), 0);
		ck_assert_int_eq(inner.type, MSG_S_CHAT);
		ck_assert_mem_eq(inner.text, text, 3);
	}
	ck_assert_int_eq(msg_batch_next(&it, &r, &len), 0);
}
END_TEST

START_TEST(test_batch_add_errors)
{
	uint8_t out[64];
	static const uint8_t batch[] = { MSG_S_BATCH, 0, 1, MSG_S_PONG };
	static const uint8_t ping[] = { MSG_C_PING };
	static const uint8_t pong[] = { MSG_S_PONG };
	static uint8_t big[0x10000];

	long used = msg_batch_begin(out, sizeof(out));
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, sizeof(out), batch, sizeof(batch)),
	    -OCM_E_MALFORMED);
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, sizeof(out), pong, 0),
	    -OCM_E_MALFORMED);
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, sizeof(out), ping, 1),
	    -OCM_E_MALFORMED);
	big[0] = MSG_S_CLOSED;
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, sizeof(out), big, sizeof(big)),
	    -OCM_E_TOO_LARGE);
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, 3, pong, 1), -OCM_E_NOSPC);
	ck_assert_int_eq(msg_batch_add(out, (size_t)used, 4, pong, 1), 4);
	ck_assert_mem_eq(out, "\x86\x00\x01\x82", 4);
}
END_TEST

/* A record encoded where it will end up: only the Length is written. */
START_TEST(test_batch_in_place)
{
	uint8_t out[64];
	struct msg m;

	long used = msg_batch_begin(out, sizeof(out));
	long rn = msg_encode_closed(CLOSED_KICKED, S("bye"), out + used + 2,
	    sizeof(out) - (size_t)used - 2);
	ck_assert_int_eq(rn, 5);
	used = msg_batch_add(out, (size_t)used, sizeof(out), out + used + 2, (size_t)rn);
	ck_assert_int_eq(used, 1 + 2 + 5);
	ck_assert_mem_eq(out, "\x86\x00\x05\x85\x05" "bye", 8);
	ck_assert_int_eq(msg_parse(out, (size_t)used, &m), 0);
	ck_assert_uint_eq(m.body_len, 7);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(msg_type_name(MSG_C_CHAT), "CHAT");
	ck_assert_str_eq(msg_type_name(MSG_C_PING), "PING");
	ck_assert_str_eq(msg_type_name(MSG_C_LEAVE), "LEAVE");
	ck_assert_str_eq(msg_type_name(MSG_C_WHO), "WHO");
	ck_assert_str_eq(msg_type_name(MSG_S_CHAT), "CHAT");
	ck_assert_str_eq(msg_type_name(MSG_S_PONG), "PONG");
	ck_assert_str_eq(msg_type_name(MSG_S_NOTICE), "NOTICE");
	ck_assert_str_eq(msg_type_name(MSG_S_MEMBERS), "MEMBERS");
	ck_assert_str_eq(msg_type_name(MSG_S_CLOSED), "CLOSED");
	ck_assert_str_eq(msg_type_name(MSG_S_BATCH), "BATCH");
	ck_assert_ptr_null(msg_type_name(0));
	ck_assert_ptr_null(msg_type_name(0x05));
	ck_assert_ptr_null(msg_type_name(0x87));
	ck_assert_ptr_null(msg_type_name(-1));
	ck_assert_ptr_null(msg_type_name(256));

	ck_assert_str_eq(notice_code_name(NOTICE_JOINED), "JOINED");
	ck_assert_str_eq(notice_code_name(NOTICE_LEFT), "LEFT");
	ck_assert_str_eq(notice_code_name(NOTICE_TIMED_OUT), "TIMED_OUT");
	ck_assert_str_eq(notice_code_name(NOTICE_KICKED), "KICKED");
	ck_assert_str_eq(notice_code_name(NOTICE_REJECTED), "REJECTED");
	ck_assert_ptr_null(notice_code_name(0));
	ck_assert_ptr_null(notice_code_name(6));
	ck_assert_ptr_null(notice_code_name(-1));

	ck_assert_str_eq(closed_reason_name(CLOSED_LEFT), "LEFT");
	ck_assert_str_eq(closed_reason_name(CLOSED_HOST_LEFT), "HOST_LEFT");
	ck_assert_str_eq(closed_reason_name(CLOSED_HOST_TIMED_OUT), "HOST_TIMED_OUT");
	ck_assert_str_eq(closed_reason_name(CLOSED_ROOM_KILLED), "ROOM_KILLED");
	ck_assert_str_eq(closed_reason_name(CLOSED_KICKED), "KICKED");
	ck_assert_str_eq(closed_reason_name(CLOSED_TIMED_OUT), "TIMED_OUT");
	ck_assert_str_eq(closed_reason_name(CLOSED_SERVER_SHUTDOWN), "SERVER_SHUTDOWN");
	ck_assert_ptr_null(closed_reason_name(0));
	ck_assert_ptr_null(closed_reason_name(8));
	ck_assert_ptr_null(closed_reason_name(1000));
}
END_TEST

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static Suite *
datagram_suite(void)
{
	Suite *s = suite_create("datagram");
	TCase *tc = tcase_create("roundtrip");

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, test_roundtrip_client);
	tcase_add_test(tc, test_roundtrip_server_simple);
	tcase_add_test(tc, test_roundtrip_server_lists);
	tcase_add_test(tc, test_iter_other_types);
	tcase_add_test(tc, test_seal_in_place);
	suite_add_tcase(s, tc);

	tc = tcase_create("header");
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_room_len);
	tcase_add_loop_test(tc, test_token_len, 0, NELEM(bad_token_lens));
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_max_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("tamper");
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, test_tamper_each_header_byte);
	tcase_add_test(tc, test_tamper_fields);
	tcase_add_test(tc, test_wrong_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("plaintext");
	tcase_add_loop_test(tc, test_malformed, 0, NELEM(bad_msgs));
	tcase_add_loop_test(tc, test_good_edges, 0, NELEM(good_msgs));
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_encoders_nospc);
	tcase_add_test(tc, test_members_fill);
	tcase_add_test(tc, test_batch_fill);
	tcase_add_test(tc, test_batch_add_errors);
	tcase_add_test(tc, test_batch_in_place);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(datagram_suite)
