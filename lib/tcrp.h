/*
 * tcrp.h: the TCP Chat Room Protocol framing (doc/protocol.md 4): a
 * 32-byte header, the room name, a JSON payload.  The reader decodes one
 * message incrementally from a non-blocking stream and refuses oversize
 * lengths before it allocates for them.
 */
#ifndef OCM_TCRP_H
#define OCM_TCRP_H

#include <stddef.h>
#include <stdint.h>

#define TCRP_HEADER_LEN		32
#define TCRP_SIZE_FIELD_LEN	29
#define TCRP_MAX_PAYLOAD	65536

enum tcrp_operation {
	TCRP_OP_CREATE_ROOM = 1,
	TCRP_OP_JOIN_ROOM = 2,
	TCRP_OP_LIST_ROOMS = 3,
};

enum tcrp_state {
	TCRP_STATE_REQUEST = 0,
	TCRP_STATE_RESPONSE = 1,
	TCRP_STATE_COMPLETE = 2,
};

struct tcrp_header {
	uint8_t room_len;
	uint8_t operation;
	uint8_t state;
	uint64_t payload_len;	/* saturates at UINT64_MAX for absurd sizes */
};

/* Name of an operation ("CREATE_ROOM", ...) or "unknown". */
const char *tcrp_operation_name(int op);

/* Writes the 32-byte header. */
void tcrp_header_encode(const struct tcrp_header *h, uint8_t out[TCRP_HEADER_LEN]);

/*
 * Decodes a 32-byte header into *h (always filled in, so that an error
 * reply can still echo the Operation).  Returns 0, or -OCM_E_BAD_OPERATION,
 * -OCM_E_BAD_STATE, or -OCM_E_TOO_LARGE when payload_len > max_payload.
 */
int tcrp_header_decode(const uint8_t in[TCRP_HEADER_LEN], size_t max_payload,
    struct tcrp_header *h);

/*
 * Encodes a whole message into out (cap bytes).  Returns the length
 * (32 + room_len + payload_len) or -OCM_E_NOSPC / -OCM_E_TOO_LARGE.
 */
long tcrp_encode(uint8_t op, uint8_t state, const uint8_t *room, size_t room_len,
    const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap);

enum tcrp_reader_status {
	TCRP_READER_HEADER,
	TCRP_READER_BODY,
	TCRP_READER_DONE,
	TCRP_READER_ERROR,
};

struct tcrp_reader {
	enum tcrp_reader_status status;
	size_t max_payload;
	uint8_t hdr[TCRP_HEADER_LEN];
	size_t have;		/* bytes of the current part received */
	struct tcrp_header h;
	uint8_t *body;		/* room name then payload, room_len + payload_len bytes */
	size_t body_len;	/* room_len alone when the payload is refused */
	int error;		/* negative enum ocm_error once status is ERROR (while
				 * BODY: the refusal due once the room name is in) */
};

void tcrp_reader_init(struct tcrp_reader *r, size_t max_payload);
/* Wipes and frees the body; the reader may be initialised again.  NULL is
 * a no-op. */
void tcrp_reader_reset(struct tcrp_reader *r);

/*
 * Feeds up to len bytes.  Returns the number of bytes consumed (it stops at
 * the end of a message, so bytes after it are left for the caller), or a
 * negative enum ocm_error.  A message is complete when r->status is
 * TCRP_READER_DONE; then tcrp_reader_room() and tcrp_reader_payload() point
 * into r->body.  The reader frames by the lengths alone: any Operation and
 * State are read (the caller judges them), and a payload above max_payload
 * is refused (-OCM_E_TOO_LARGE) after the room name before it has been
 * read, so that an error reply can repeat it.  After an error r->h holds
 * what was decoded of the header.
 */
long tcrp_reader_feed(struct tcrp_reader *r, const uint8_t *buf, size_t len);

/* The RoomName (r->h.room_len bytes) once DONE, or after -OCM_E_TOO_LARGE;
 * NULL otherwise. */
const uint8_t *tcrp_reader_room(const struct tcrp_reader *r);
/* The payload once DONE; NULL otherwise. */
const uint8_t *tcrp_reader_payload(const struct tcrp_reader *r);

#endif
