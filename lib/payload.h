/*
 * payload.h: the JSON payloads of TCRP (doc/protocol.md 5), built and
 * parsed with jansson, and the wire error codes of RESPONSE.  Parsers
 * validate everything the protocol constrains (names, lengths, token form,
 * version) so that callers act only on well-formed values.
 */
#ifndef OCM_PAYLOAD_H
#define OCM_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ocm.h"

/* RESPONSE error codes; the wire strings are stable (doc/protocol.md 6). */
enum tcrp_code {
	TCRP_CODE_OK = 0,
	TCRP_CODE_BAD_REQUEST,
	TCRP_CODE_UNSUPPORTED_VERSION,
	TCRP_CODE_ROOM_EXISTS,
	TCRP_CODE_NO_SUCH_ROOM,
	TCRP_CODE_BAD_PASSWORD,
	TCRP_CODE_NAME_TAKEN,
	TCRP_CODE_ROOM_FULL,
	TCRP_CODE_SERVER_FULL,
	TCRP_CODE_RATE_LIMITED,
	TCRP_CODE_UNAVAILABLE,		/* cannot decide now (a cut-off cluster node) */
	TCRP_CODE_INTERNAL,
	TCRP_CODE_MAX_
};

/* The wire strings of the codes, by code. */
extern const char *const tcrp_code_names[TCRP_CODE_MAX_];
/* "ok", "bad_request", ...; NULL when out of range. */
const char *tcrp_code_str(enum tcrp_code code);
/* The code for a wire string; -1 when unknown. */
int tcrp_code_parse(const char *s);
/* The wire code a request-parsing error maps to (bad_request or
 * unsupported_version). */
enum tcrp_code tcrp_code_from_error(int err);

/* The most rooms one LIST_ROOMS COMPLETE may be asked for, and what a
 * request without "limit" gets (doc/protocol.md 5.5). */
#define TCRP_LIST_LIMIT_MAX	1000

/* A CREATE_ROOM / JOIN_ROOM / LIST_ROOMS request, validated. */
struct tcrp_request {
	uint8_t operation;
	uint8_t room_len;
	uint8_t user_len;
	size_t password_len;
	char room[OCM_NAME_MAX + 1];		/* NUL-terminated copies */
	char user[OCM_NAME_MAX + 1];
	char password[OCM_PASSWORD_MAX + 1];	/* may hold NUL bytes: use password_len */
	/*
	 * LIST_ROOMS: the rooms whose names sort after `after`, bytewise
	 * (after_len 0: from the first; a name is never empty), at most
	 * `limit` of them.  Parsed, limit is 1..TCRP_LIST_LIMIT_MAX (the
	 * maximum when absent); to build, 0 leaves it out.
	 */
	uint8_t after_len;
	uint16_t limit;
	char after[OCM_NAME_MAX + 1];
};

/*
 * Parses a request from the decoded TCRP header fields.  Returns 0 or
 * -OCM_E_BAD_STATE, -OCM_E_BAD_OPERATION, -OCM_E_BAD_NAME, -OCM_E_BAD_JSON,
 * -OCM_E_MISSING_FIELD, -OCM_E_BAD_FIELD, -OCM_E_TOO_LARGE,
 * -OCM_E_BAD_VERSION.  *why (when not NULL) gets a static phrase for the
 * RESPONSE message ("user_name is missing").  *req is untouched on error.
 */
int tcrp_request_parse(uint8_t op, uint8_t state, const uint8_t *room, size_t room_len,
    const uint8_t *payload, size_t payload_len, struct tcrp_request *req, const char **why);

/*
 * Builders return a malloc'ed JSON text (not NUL-counted in *len) or NULL
 * on allocation failure or invalid input.  Free with free().
 */
char *tcrp_request_build(const struct tcrp_request *req, size_t *len);
/* {"status":"ok"} for TCRP_CODE_OK, else the error object with message. */
char *tcrp_response_build(enum tcrp_code code, const char *message, size_t *len);

struct tcrp_response {
	enum tcrp_code code;		/* TCRP_CODE_OK for "ok" */
	char message[512];		/* "" when absent; truncated if longer */
};
/* Returns 0, -OCM_E_BAD_JSON, -OCM_E_MISSING_FIELD or -OCM_E_BAD_FIELD
 * (unknown status or code). */
int tcrp_response_parse(const uint8_t *payload, size_t len, struct tcrp_response *resp);

/* COMPLETE of CREATE_ROOM / JOIN_ROOM. */
struct tcrp_session {
	char token[OCM_TOKEN_LEN + 1];
	uint16_t udp_port;
	char udp_host[256];		/* "" when absent */
	uint32_t keepalive_s;
	uint32_t timeout_s;
	uint32_t max_datagram;
	bool host;
	size_t n_members;
	char **members;			/* n_members NUL-terminated names */
	bool members_more;		/* members was cut: WHO lists them all */
};

char *tcrp_session_build(const struct tcrp_session *s, size_t *len);
/*
 * Returns 0, -OCM_E_BAD_JSON, -OCM_E_MISSING_FIELD, -OCM_E_BAD_FIELD
 * (bad cipher, port, timers, max_datagram outside 64..65507), -OCM_E_BAD_TOKEN,
 * -OCM_E_BAD_NAME (a member), -OCM_E_NOMEM.  On success free with
 * tcrp_session_clear().
 */
int tcrp_session_parse(const uint8_t *payload, size_t len, struct tcrp_session *s);
void tcrp_session_clear(struct tcrp_session *s);

/* COMPLETE of LIST_ROOMS. */
struct tcrp_room_info {
	char name[OCM_NAME_MAX + 1];
	uint32_t members;
	bool password;
};

/* more: rooms after the last of these exist (the client asks again with
 * "after" set to its name). */
char *tcrp_rooms_build(const struct tcrp_room_info *rooms, size_t n, bool more, size_t *len);
/* *rooms is malloc'ed (free()); *more is false when "more" is absent (a
 * server that does not page).  Returns 0 or a negative enum ocm_error;
 * the outputs are untouched on error. */
int tcrp_rooms_parse(const uint8_t *payload, size_t len, struct tcrp_room_info **rooms,
    size_t *n, bool *more);

#endif
