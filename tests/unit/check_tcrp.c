/*
 * check_tcrp.c: TCRP framing: the 32-byte header (layout, the 29-byte
 * size field and its saturation, validation order), tcrp_encode() limits,
 * and the incremental reader fed whole, byte by byte, in random chunks and
 * with messages back to back, any Operation and State, and every refusal
 * of a size (after the room name, before any allocation for the payload).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ocm.h"
#include "lib/tcrp.h"
#include "tests/unit/util.h"

#define BIG_MSG	(TCRP_HEADER_LEN + 255 + TCRP_MAX_PAYLOAD)

static uint8_t msg_buf[BIG_MSG + 64];

/* Deterministic xorshift so that a failing chunk pattern can be replayed. */
static uint32_t
rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Fills a message with a recognisable body; returns its length. */
static size_t
make_msg(uint8_t *out, size_t cap, uint8_t op, uint8_t state, size_t room_len,
    size_t payload_len)
{
	static uint8_t room[255], payload[TCRP_MAX_PAYLOAD];

	for (size_t i = 0; i < room_len; i++)
		room[i] = (uint8_t)('a' + i % 26);
	for (size_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	long n = tcrp_encode(op, state, room, room_len, payload, payload_len, out, cap);
	ck_assert_int_eq(n, (long)(TCRP_HEADER_LEN + room_len + payload_len));
	return (size_t)n;
}

/* Checks a finished reader against the message it was fed. */
static void
assert_done(const struct tcrp_reader *r, const uint8_t *msg, size_t len)
{
	ck_assert_int_eq(r->status, TCRP_READER_DONE);
	ck_assert_uint_eq(r->body_len, len - TCRP_HEADER_LEN);
	ck_assert_uint_eq(r->h.room_len, msg[0]);
	ck_assert_uint_eq(r->h.operation, msg[1]);
	ck_assert_uint_eq(r->h.state, msg[2]);
	ck_assert_uint_eq(r->h.payload_len, len - TCRP_HEADER_LEN - msg[0]);
	ck_assert_ptr_nonnull(tcrp_reader_room(r));
	ck_assert_ptr_nonnull(tcrp_reader_payload(r));
	ck_assert_mem_eq(tcrp_reader_room(r), msg + TCRP_HEADER_LEN, msg[0]);
	ck_assert_mem_eq(tcrp_reader_payload(r), msg + TCRP_HEADER_LEN + msg[0],
	    len - TCRP_HEADER_LEN - msg[0]);
}

/* ---- header ---- */

START_TEST(header_layout)
{
	uint8_t out[TCRP_HEADER_LEN], want[TCRP_HEADER_LEN];
	struct tcrp_header h = { .room_len = 5, .operation = 2, .state = 1,
	    .payload_len = 0x0102030405060708ULL };

	ck_assert_uint_eq(test_unhex("05 02 01 000000000000000000000000000000000000000000"
	    "0102030405060708", want, sizeof(want)), TCRP_HEADER_LEN);
	tcrp_header_encode(&h, out);
	ck_assert_mem_eq(out, want, TCRP_HEADER_LEN);
}
END_TEST

START_TEST(header_round_trip)
{
	static const uint64_t sizes[] = { 0, 1, 255, 256, 65535, 65536 };
	uint8_t buf[TCRP_HEADER_LEN];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct tcrp_header h = { .room_len = (uint8_t)(i * 50), .operation = 3,
		    .state = 2, .payload_len = sizes[i] }, back;
		memset(&back, 0xaa, sizeof(back));
		tcrp_header_encode(&h, buf);
		ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &back), 0);
		ck_assert_uint_eq(back.room_len, h.room_len);
		ck_assert_uint_eq(back.operation, 3);
		ck_assert_uint_eq(back.state, 2);
		ck_assert_uint_eq(back.payload_len, sizes[i]);
	}
}
END_TEST

START_TEST(header_size_limit)
{
	uint8_t buf[TCRP_HEADER_LEN];
	struct tcrp_header h = { .room_len = 0, .operation = 1, .state = 0 }, back;

	h.payload_len = TCRP_MAX_PAYLOAD;
	tcrp_header_encode(&h, buf);
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &back), 0);
	ck_assert_uint_eq(back.payload_len, 65536);
	h.payload_len = TCRP_MAX_PAYLOAD + 1;
	tcrp_header_encode(&h, buf);
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &back), -OCM_E_TOO_LARGE);
	ck_assert_uint_eq(back.payload_len, 65537);
	ck_assert_uint_eq(back.operation, 1);
	/* The limit is the caller's, not a constant. */
	ck_assert_int_eq(tcrp_header_decode(buf, 65537, &back), 0);
	ck_assert_int_eq(tcrp_header_decode(buf, 100, &back), -OCM_E_TOO_LARGE);
}
END_TEST

/* Sizes wider than 64 bits: the top byte, the first byte past 64 bits,
 * and the largest 64-bit value all saturate and are refused. */
START_TEST(header_size_saturates)
{
	static const char *const hex[] = {
		"00 01 00 ff 0000000000000000000000000000000000000000 0000000000000000",
		"00 01 00 00 0000000000000000000000000000000000000001 0000000000000000",
		"00 01 00 80 0000000000000000000000000000000000000000 0000000000000005",
		"00 01 00 00 0000000000000000000000000000000000000000 ffffffffffffffff",
	};
	uint8_t buf[TCRP_HEADER_LEN];
	struct tcrp_header h;

	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		ck_assert_uint_eq(test_unhex(hex[i], buf, sizeof(buf)), TCRP_HEADER_LEN);
		ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_TOO_LARGE);
		ck_assert_uint_eq(h.payload_len, UINT64_MAX);
		ck_assert_int_eq(tcrp_header_decode(buf, SIZE_MAX, &h), -OCM_E_TOO_LARGE);
	}
	/* Just below 2^64 with the upper 21 bytes zero still decodes exactly. */
	ck_assert_uint_eq(test_unhex("00 01 00 00 0000000000000000000000000000000000000000"
	    "fffffffffffffffe", buf, sizeof(buf)), TCRP_HEADER_LEN);
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_TOO_LARGE);
	ck_assert_uint_eq(h.payload_len, UINT64_MAX - 1);
}
END_TEST

/* Header fields are always filled in, and checked op, then state, then size. */
START_TEST(header_bad_fields)
{
	uint8_t buf[TCRP_HEADER_LEN];
	struct tcrp_header h;

	ck_assert_uint_eq(test_unhex("07 00 00 ff 00000000000000000000000000000000000000000000000000000000",
	    buf, sizeof(buf)), TCRP_HEADER_LEN);
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_BAD_OPERATION);
	ck_assert_uint_eq(h.room_len, 7);
	ck_assert_uint_eq(h.operation, 0);
	buf[1] = 4;
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_BAD_OPERATION);
	buf[1] = 3;
	buf[2] = 3;
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_BAD_STATE);
	ck_assert_uint_eq(h.operation, 3);
	ck_assert_uint_eq(h.state, 3);
	buf[2] = 2;
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), -OCM_E_TOO_LARGE);
	buf[3] = 0;
	ck_assert_int_eq(tcrp_header_decode(buf, TCRP_MAX_PAYLOAD, &h), 0);
	ck_assert_uint_eq(h.payload_len, 0);
}
END_TEST

START_TEST(operation_names)
{
	ck_assert_str_eq(tcrp_operation_name(TCRP_OP_CREATE_ROOM), "CREATE_ROOM");
	ck_assert_str_eq(tcrp_operation_name(TCRP_OP_JOIN_ROOM), "JOIN_ROOM");
	ck_assert_str_eq(tcrp_operation_name(TCRP_OP_LIST_ROOMS), "LIST_ROOMS");
	ck_assert_str_eq(tcrp_operation_name(0), "unknown");
	ck_assert_str_eq(tcrp_operation_name(4), "unknown");
	ck_assert_str_eq(tcrp_operation_name(-1), "unknown");
	ck_assert_str_eq(tcrp_operation_name(255), "unknown");
}
END_TEST

/* ---- tcrp_encode ---- */

START_TEST(encode_layout)
{
	uint8_t out[64], want[64];
	size_t n = test_unhex("05 02 00 000000000000000000000000000000000000000000 000000000000000d"
	    "6c6f626279" "7b2276657273696f6e223a317d", want, sizeof(want));

	ck_assert_uint_eq(n, 32 + 5 + 13);
	ck_assert_int_eq(tcrp_encode(2, 0, (const uint8_t *)"lobby", 5,
	    (const uint8_t *)"{\"version\":1}", 13, out, sizeof(out)), 50);
	ck_assert_mem_eq(out, want, n);
}
END_TEST

START_TEST(encode_limits)
{
	static uint8_t room[256], payload[TCRP_MAX_PAYLOAD + 1];
	size_t full = TCRP_HEADER_LEN + 255 + TCRP_MAX_PAYLOAD;

	ck_assert_int_eq(tcrp_encode(1, 0, room, 255, payload, TCRP_MAX_PAYLOAD, msg_buf, full),
	    (long)full);
	ck_assert_int_eq(tcrp_encode(1, 0, room, 255, payload, TCRP_MAX_PAYLOAD, msg_buf,
	    full - 1), -OCM_E_NOSPC);
	ck_assert_int_eq(tcrp_encode(1, 0, room, 256, payload, 0, msg_buf, sizeof(msg_buf)),
	    -OCM_E_TOO_LARGE);
	ck_assert_int_eq(tcrp_encode(1, 0, room, 0, payload, TCRP_MAX_PAYLOAD + 1, msg_buf,
	    sizeof(msg_buf)), -OCM_E_TOO_LARGE);
	/* Too large wins over too small a buffer. */
	ck_assert_int_eq(tcrp_encode(1, 0, room, 256, payload, 0, msg_buf, 0), -OCM_E_TOO_LARGE);
}
END_TEST

START_TEST(encode_empty)
{
	uint8_t out[TCRP_HEADER_LEN], zero[TCRP_HEADER_LEN - 3] = { 0 };

	ck_assert_int_eq(tcrp_encode(3, 2, NULL, 0, NULL, 0, out, TCRP_HEADER_LEN - 1),
	    -OCM_E_NOSPC);
	ck_assert_int_eq(tcrp_encode(3, 2, NULL, 0, NULL, 0, out, sizeof(out)), TCRP_HEADER_LEN);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[1], 3);
	ck_assert_uint_eq(out[2], 2);
	ck_assert_mem_eq(out + 3, zero, sizeof(zero));
}
END_TEST

/* ---- reader ---- */

/* Room names of 0, 1 and 255 bytes with payloads of 0, 1, 65535 and 65536. */
START_TEST(reader_whole)
{
	static const size_t rooms[] = { 0, 1, 255 };
	static const size_t payloads[] = { 0, 1, 65535, 65536 };
	size_t room_len = rooms[_i / 4], payload_len = payloads[_i % 4];
	size_t len = make_msg(msg_buf, sizeof(msg_buf), 1, 0, room_len, payload_len);
	struct tcrp_reader r;

	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len), (long)len);
	assert_done(&r, msg_buf, len);
	if (len == TCRP_HEADER_LEN)
		ck_assert_ptr_null(r.body);
	/* Nothing more is taken after DONE. */
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len), 0);
	ck_assert_int_eq(r.status, TCRP_READER_DONE);
	tcrp_reader_reset(&r);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(r.status, TCRP_READER_HEADER);
	ck_assert_uint_eq(r.max_payload, TCRP_MAX_PAYLOAD);
}
END_TEST

START_TEST(reader_byte_at_a_time)
{
	size_t len = make_msg(msg_buf, sizeof(msg_buf), 2, 1, 9, 300);
	struct tcrp_reader r;

	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	for (size_t i = 0; i < len; i++) {
		ck_assert_int_ne(r.status, TCRP_READER_DONE);
		ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf + i, 1), 1);
		ck_assert_int_eq(r.status, i + 1 < TCRP_HEADER_LEN ? TCRP_READER_HEADER :
		    i + 1 < len ? TCRP_READER_BODY : TCRP_READER_DONE);
	}
	assert_done(&r, msg_buf, len);
	tcrp_reader_reset(&r);
}
END_TEST

/* Empty feeds in between change nothing. */
START_TEST(reader_random_chunks)
{
	size_t len = make_msg(msg_buf, sizeof(msg_buf), 3, 2, 40, 5000 + (size_t)_i * 997);
	uint32_t seed = 0x9e3779b9u + (uint32_t)_i;
	struct tcrp_reader r;
	size_t off = 0;

	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	while (off < len) {
		size_t chunk = rng_next(&seed) % 700;
		if (chunk > len - off)
			chunk = len - off;
		ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf + off, chunk), (long)chunk);
		off += chunk;
	}
	assert_done(&r, msg_buf, len);
	tcrp_reader_reset(&r);
}
END_TEST

/* Two messages in one buffer: the reader stops at the end of the first,
 * and after a reset takes the second from where it stopped. */
START_TEST(reader_back_to_back)
{
	size_t a = make_msg(msg_buf, sizeof(msg_buf), 1, 0, 5, 20);
	uint8_t first[64];
	size_t b;
	struct tcrp_reader r;
	long n;

	memcpy(first, msg_buf, a);
	b = make_msg(msg_buf + a, sizeof(msg_buf) - a, 3, 0, 0, 13);
	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	/* Fed in two pieces that straddle the boundary. */
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, 40), 40);
	n = tcrp_reader_feed(&r, msg_buf + 40, a + b - 40);
	ck_assert_int_eq(n, (long)(a - 40));
	assert_done(&r, first, a);
	tcrp_reader_reset(&r);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf + a, b), (long)b);
	assert_done(&r, msg_buf + a, b);
	ck_assert_uint_eq(r.h.operation, 3);
	tcrp_reader_reset(&r);
}
END_TEST

START_TEST(reader_small_limit)
{
	size_t len = make_msg(msg_buf, sizeof(msg_buf), 1, 0, 255, 16);
	struct tcrp_reader r;

	/* The limit bounds the payload only; the room name is separately 255. */
	tcrp_reader_init(&r, 16);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len), (long)len);
	assert_done(&r, msg_buf, len);
	tcrp_reader_reset(&r);
	ck_assert_uint_eq(r.max_payload, 16);
	len = make_msg(msg_buf, sizeof(msg_buf), 1, 0, 0, 17);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len), -OCM_E_TOO_LARGE);
	ck_assert_ptr_null(r.body);
	tcrp_reader_reset(&r);
}
END_TEST

/* Even with no payload limit at all, room + payload must not wrap around
 * size_t into a small allocation: the size is refused, and only the room
 * name before it is read (for the error reply). */
START_TEST(reader_no_wrap)
{
	uint8_t msg[TCRP_HEADER_LEN + 2];
	struct tcrp_reader r;

	ck_assert_uint_eq(test_unhex("02 01 00 000000000000000000000000000000000000000000"
	    "fffffffffffffffe 6869", msg, sizeof(msg)), sizeof(msg));
	tcrp_reader_init(&r, SIZE_MAX);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg, sizeof(msg)), -OCM_E_TOO_LARGE);
	ck_assert_uint_eq(r.body_len, 2);
	ck_assert_mem_eq(tcrp_reader_room(&r), "hi", 2);
	ck_assert_uint_eq(r.h.payload_len, UINT64_MAX - 1);
	tcrp_reader_reset(&r);
}
END_TEST

/* Operation and State are for the reader's caller to judge: a message
 * with any of them is read whole, so that a refusal can repeat its
 * RoomName (doc/protocol.md 4). */
static const struct {
	uint8_t op;
	uint8_t state;
} reader_any[] = {
	{ 0, 0 }, { 4, 0 }, { 255, 0 }, { 2, 3 }, { 1, 255 },
};

START_TEST(reader_any_op_state)
{
	size_t len = make_msg(msg_buf, sizeof(msg_buf), reader_any[_i].op, reader_any[_i].state,
	    5, 2);
	struct tcrp_reader r;

	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf + i, 1), 1);
	assert_done(&r, msg_buf, len);
	tcrp_reader_reset(&r);
}
END_TEST

static const struct {
	const char *label;
	const char *hex;	/* a header, fed one byte at a time, then its room name */
	uint8_t op;		/* what r->h must echo */
} reader_bad[] = {
	{ "size 65537", "05 01 00" "0000000000000000000000000000000000000000000000000000010001", 1 },
	{ "size 65537, no room", "00 01 00" "0000000000000000000000000000000000000000000000000000010001", 1 },
	{ "size 2^32", "05 01 00" "0000000000000000000000000000000000000000000000000100000000", 1 },
	{ "size top byte", "05 03 00" "8000000000000000000000000000000000000000000000000000000000", 3 },
	{ "size all ones", "05 02 00" "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 2 },
	{ "size 65537, op 0", "05 00 00" "0000000000000000000000000000000000000000000000000000010001", 0 },
	{ "size all ones, state 3", "ff 02 03" "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 2 },
};

/* A refused size: refused once the room name is in, nothing else kept. */
START_TEST(reader_refuses)
{
	uint8_t msg[TCRP_HEADER_LEN + 255];
	struct tcrp_reader r;
	size_t len;

	ck_assert_uint_eq(test_unhex(reader_bad[_i].hex, msg, sizeof(msg)), TCRP_HEADER_LEN);
	len = TCRP_HEADER_LEN + msg[0];
	for (size_t i = TCRP_HEADER_LEN; i < len; i++)
		msg[i] = (uint8_t)('a' + i % 26);
	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	for (size_t i = 0; i + 1 < len; i++) {
		ck_assert_int_eq(tcrp_reader_feed(&r, msg + i, 1), 1);
		ck_assert_ptr_null(tcrp_reader_room(&r));
	}
	ck_assert_int_eq(tcrp_reader_feed(&r, msg + len - 1, 1), -OCM_E_TOO_LARGE);
	ck_assert_int_eq(r.status, TCRP_READER_ERROR);
	ck_assert_int_eq(r.error, -OCM_E_TOO_LARGE);
	ck_assert_uint_eq(r.body_len, msg[0]);
	ck_assert_uint_eq(r.h.operation, reader_bad[_i].op);
	ck_assert_ptr_nonnull(tcrp_reader_room(&r));
	ck_assert_mem_eq(tcrp_reader_room(&r), msg + TCRP_HEADER_LEN, msg[0]);
	ck_assert_ptr_null(tcrp_reader_payload(&r));
	/* Sticky: later bytes are not consumed. */
	ck_assert_int_eq(tcrp_reader_feed(&r, msg, TCRP_HEADER_LEN), -OCM_E_TOO_LARGE);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg, 0), -OCM_E_TOO_LARGE);
	tcrp_reader_reset(&r);
	ck_assert_int_eq(r.status, TCRP_READER_HEADER);
	ck_assert_int_eq(r.error, 0);
	ck_assert_ptr_null(r.body);
}
END_TEST

/* A refused header followed by more in the same buffer: only the room
 * name is kept. */
START_TEST(reader_refuses_whole)
{
	uint8_t buf[TCRP_HEADER_LEN + 255 + 8] = { 0 };
	struct tcrp_reader r;

	ck_assert_uint_eq(test_unhex(reader_bad[_i].hex, buf, sizeof(buf)), TCRP_HEADER_LEN);
	memset(buf + TCRP_HEADER_LEN, 'r', buf[0]);
	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	ck_assert_int_eq(tcrp_reader_feed(&r, buf, sizeof(buf)), -OCM_E_TOO_LARGE);
	ck_assert_uint_eq(r.body_len, buf[0]);
	ck_assert_mem_eq(tcrp_reader_room(&r), buf + TCRP_HEADER_LEN, buf[0]);
	tcrp_reader_reset(&r);
}
END_TEST

START_TEST(reader_partial_then_reset)
{
	size_t len = make_msg(msg_buf, sizeof(msg_buf), 2, 0, 3, 100);
	struct tcrp_reader r;

	tcrp_reader_init(&r, TCRP_MAX_PAYLOAD);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len - 1), (long)(len - 1));
	ck_assert_int_eq(r.status, TCRP_READER_BODY);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_ptr_null(tcrp_reader_room(&r));
	ck_assert_ptr_null(tcrp_reader_payload(&r));
	/* A connection dropped mid-message: reset frees the half body. */
	tcrp_reader_reset(&r);
	ck_assert_ptr_null(r.body);
	ck_assert_uint_eq(r.have, 0);
	ck_assert_int_eq(tcrp_reader_feed(&r, msg_buf, len), (long)len);
	assert_done(&r, msg_buf, len);
	tcrp_reader_reset(&r);
	tcrp_reader_reset(NULL);
}
END_TEST

static Suite *
tcrp_suite(void)
{
	Suite *s = suite_create("tcrp");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, header_layout);
	tcase_add_test(tc, header_round_trip);
	tcase_add_test(tc, header_size_limit);
	tcase_add_test(tc, header_size_saturates);
	tcase_add_test(tc, header_bad_fields);
	tcase_add_test(tc, operation_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, encode_layout);
	tcase_add_test(tc, encode_limits);
	tcase_add_test(tc, encode_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader");
	tcase_add_loop_test(tc, reader_whole, 0, 12);
	tcase_add_test(tc, reader_byte_at_a_time);
	tcase_add_loop_test(tc, reader_random_chunks, 0, 8);
	tcase_add_test(tc, reader_back_to_back);
	tcase_add_test(tc, reader_small_limit);
	tcase_add_test(tc, reader_no_wrap);
	tcase_add_loop_test(tc, reader_any_op_state, 0,
	    (int)(sizeof(reader_any) / sizeof(reader_any[0])));
	tcase_add_loop_test(tc, reader_refuses, 0, (int)(sizeof(reader_bad) / sizeof(reader_bad[0])));
	tcase_add_loop_test(tc, reader_refuses_whole, 0,
	    (int)(sizeof(reader_bad) / sizeof(reader_bad[0])));
	tcase_add_test(tc, reader_partial_then_reset);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tcrp_suite)
