/*
 * tcrp.c: TCRP framing (doc/protocol.md 4).  The daemon's TLS read
 * handler and the client feed decrypted stream bytes to a tcrp_reader,
 * which reassembles one message (header, room name, JSON payload) for
 * payload.c to parse; tcrp_encode() frames the replies and requests.
 */
#include "lib/tcrp.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ocm.h"

#define TCRP_ROOM_OFF	0
#define TCRP_OP_OFF	1
#define TCRP_STATE_OFF	2
#define TCRP_SIZE_OFF	3

static const char *const tcrp_operation_str[] = {
	[TCRP_OP_CREATE_ROOM] = "CREATE_ROOM",
	[TCRP_OP_JOIN_ROOM] = "JOIN_ROOM",
	[TCRP_OP_LIST_ROOMS] = "LIST_ROOMS",
};

/* What tcrp_reader_room() and _payload() return for an empty body, so that
 * callers always get a valid pointer without the reader calling malloc(0). */
static const uint8_t tcrp_empty[1];

const char *
tcrp_operation_name(int op)
{
	if (op < 0 || (size_t)op >= sizeof(tcrp_operation_str) / sizeof(tcrp_operation_str[0]) ||
	    tcrp_operation_str[op] == NULL)
		return "unknown";
	return tcrp_operation_str[op];
}

void
tcrp_header_encode(const struct tcrp_header *h, uint8_t out[TCRP_HEADER_LEN])
{
	uint64_t v = h->payload_len;

	out[TCRP_ROOM_OFF] = h->room_len;
	out[TCRP_OP_OFF] = h->operation;
	out[TCRP_STATE_OFF] = h->state;
	/* The field is 29 bytes wide but a uint64_t fills only the last 8. */
	for (size_t i = TCRP_HEADER_LEN; i > TCRP_SIZE_OFF; i--) {
		out[i - 1] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Reads the 29-byte size, saturating at UINT64_MAX so that any value that
 * does not fit still compares above every limit. */
static uint64_t
tcrp_size_decode(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t i = 0; i < TCRP_SIZE_FIELD_LEN; i++) {
		if (v > (UINT64_MAX >> 8))
			return UINT64_MAX;
		v = v << 8 | p[i];
	}
	return v;
}

/* UINT64_MAX stands for "did not fit": too large whatever the limit. */
static bool
tcrp_size_ok(const struct tcrp_header *h, size_t max_payload)
{
	return h->payload_len <= max_payload && h->payload_len != UINT64_MAX;
}

int
tcrp_header_decode(const uint8_t in[TCRP_HEADER_LEN], size_t max_payload,
    struct tcrp_header *h)
{
	h->room_len = in[TCRP_ROOM_OFF];
	h->operation = in[TCRP_OP_OFF];
	h->state = in[TCRP_STATE_OFF];
	h->payload_len = tcrp_size_decode(in + TCRP_SIZE_OFF);

	if (h->operation < TCRP_OP_CREATE_ROOM || h->operation > TCRP_OP_LIST_ROOMS)
		return -OCM_E_BAD_OPERATION;
	if (h->state > TCRP_STATE_COMPLETE)
		return -OCM_E_BAD_STATE;
	if (!tcrp_size_ok(h, max_payload))
		return -OCM_E_TOO_LARGE;
	return 0;
}

long
tcrp_encode(uint8_t op, uint8_t state, const uint8_t *room, size_t room_len,
    const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap)
{
	struct tcrp_header h = {
		.operation = op,
		.state = state,
	};

	if (room_len > UINT8_MAX || payload_len > TCRP_MAX_PAYLOAD)
		return -OCM_E_TOO_LARGE;
	/* Both bounded above, so the sum cannot overflow. */
	if (cap < TCRP_HEADER_LEN + room_len + payload_len)
		return -OCM_E_NOSPC;
	h.room_len = (uint8_t)room_len;
	h.payload_len = payload_len;
	tcrp_header_encode(&h, out);
	/* memcpy() from a NULL source is undefined even for 0 bytes. */
	if (room_len > 0)
		memcpy(out + TCRP_HEADER_LEN, room, room_len);
	if (payload_len > 0)
		memcpy(out + TCRP_HEADER_LEN + room_len, payload, payload_len);
	return (long)(TCRP_HEADER_LEN + room_len + payload_len);
}

void
tcrp_reader_init(struct tcrp_reader *r, size_t max_payload)
{
	memset(r, 0, sizeof(*r));
	r->status = TCRP_READER_HEADER;
	r->max_payload = max_payload;
}

void
tcrp_reader_reset(struct tcrp_reader *r)
{
	if (r == NULL)
		return;
	/* A request's payload holds its password. */
	if (r->body != NULL)
		OPENSSL_cleanse(r->body, r->body_len);
	free(r->body);
	tcrp_reader_init(r, r->max_payload);
}

static long
tcrp_reader_fail(struct tcrp_reader *r, int err)
{
	r->status = TCRP_READER_ERROR;
	r->error = err;
	return err;
}

/*
 * The header is complete: check its lengths, then allocate the body.
 * Only a checked length reaches malloc(), so a peer can make us hold at
 * most 255 + max_payload bytes per connection.  Operation and State are
 * not the framing's business: whoever reads the message judges them
 * (payload.c for a request), and a message is read whole whatever they
 * say, so that a refusal can repeat its RoomName (doc/protocol.md 4).  For the
 * same reason a payload too large to read is refused only once the room
 * name before it is in: r->error holds the refusal meanwhile.
 */
static int
tcrp_reader_start_body(struct tcrp_reader *r)
{
	int err = tcrp_header_decode(r->hdr, r->max_payload, &r->h);

	if (err == -OCM_E_BAD_OPERATION || err == -OCM_E_BAD_STATE)
		err = tcrp_size_ok(&r->h, r->max_payload) ? 0 : -OCM_E_TOO_LARGE;
	if (err == 0 && r->h.payload_len > SIZE_MAX - r->h.room_len)
		err = -OCM_E_TOO_LARGE;
	r->error = err;
	r->body_len = r->h.room_len + (err == 0 ? (size_t)r->h.payload_len : 0);
	r->have = 0;
	if (r->body_len == 0) {
		r->status = err == 0 ? TCRP_READER_DONE : TCRP_READER_ERROR;
		return err;
	}
	r->body = malloc(r->body_len);
	if (r->body == NULL)
		return -OCM_E_NOMEM;
	r->status = TCRP_READER_BODY;
	return 0;
}

/* Copies what fits of the current part (header or body); returns the count. */
static size_t
tcrp_reader_fill(struct tcrp_reader *r, uint8_t *dst, size_t want, const uint8_t *buf,
    size_t len)
{
	size_t n = want - r->have;

	if (n > len)
		n = len;
	memcpy(dst + r->have, buf, n);
	r->have += n;
	return n;
}

long
tcrp_reader_feed(struct tcrp_reader *r, const uint8_t *buf, size_t len)
{
	size_t used = 0;
	int err;

	if (r->status == TCRP_READER_ERROR)
		return r->error;
	/* The return value must be able to say how much was consumed. */
	if (len > LONG_MAX)
		len = LONG_MAX;
	if (r->status == TCRP_READER_HEADER && len > 0) {
		used += tcrp_reader_fill(r, r->hdr, TCRP_HEADER_LEN, buf, len);
		if (r->have == TCRP_HEADER_LEN && (err = tcrp_reader_start_body(r)) < 0)
			return tcrp_reader_fail(r, err);
	}
	if (r->status == TCRP_READER_BODY && used < len) {
		used += tcrp_reader_fill(r, r->body, r->body_len, buf + used, len - used);
		if (r->have == r->body_len && r->error < 0)
			return tcrp_reader_fail(r, r->error);
		if (r->have == r->body_len)
			r->status = TCRP_READER_DONE;
	}
	return (long)used;
}

const uint8_t *
tcrp_reader_room(const struct tcrp_reader *r)
{
	/* A refused size is the one error that comes after the room name. */
	if (r->status != TCRP_READER_DONE &&
	    (r->status != TCRP_READER_ERROR || r->error != -OCM_E_TOO_LARGE))
		return NULL;
	return r->body != NULL ? r->body : tcrp_empty;
}

const uint8_t *
tcrp_reader_payload(const struct tcrp_reader *r)
{
	if (r->status != TCRP_READER_DONE)
		return NULL;
	return r->body != NULL ? r->body + r->h.room_len : tcrp_empty;
}
