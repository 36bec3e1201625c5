/*
 * fuzz_payload.c: the TCRP JSON parsers, which take whatever a peer put
 * in a message body.  Whatever a parser accepts must survive a trip
 * through the matching builder and parser unchanged.
 *
 * Input: byte 0 picks the parser (mod 4): 0 REQUEST, then Operation,
 * State, RoomNameSize, the room name and the payload; 1 RESPONSE; 2 the
 * session COMPLETE; 3 the LIST_ROOMS COMPLETE; for 1-3 the rest is the
 * payload.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/ocm.h"
#include "lib/payload.h"
#include "lib/tcrp.h"
#include "tests/fuzz/fuzz.h"

static void
fuzz_request(const uint8_t *data, size_t size)
{
	struct tcrp_request a, b;
	const char *why = NULL;
	size_t room_len, len = 0;
	char *json;
	int err;

	if (size < 3 || (room_len = data[2]) > size - 3)
		return;
	err = tcrp_request_parse(data[0], data[1], data + 3, room_len, data + 3 + room_len,
	    size - 3 - room_len, &a, &why);
	if (err < 0) {
		if (why == NULL || err <= -OCM_E_MAX_)
			abort();
		if ((tcrp_code_from_error(err) == TCRP_CODE_UNSUPPORTED_VERSION) !=
		    (err == -OCM_E_BAD_VERSION))
			abort();
		return;
	}
	if ((json = tcrp_request_build(&a, &len)) == NULL)
		abort();
	err = tcrp_request_parse(a.operation, 0, (const uint8_t *)a.room, a.room_len,
	    (const uint8_t *)json, len, &b, NULL);
	if (err != 0 || b.operation != a.operation || b.room_len != a.room_len ||
	    memcmp(b.room, a.room, a.room_len + 1) != 0 || b.user_len != a.user_len ||
	    memcmp(b.user, a.user, a.user_len + 1) != 0 || b.password_len != a.password_len ||
	    memcmp(b.password, a.password, a.password_len) != 0 || b.after_len != a.after_len ||
	    memcmp(b.after, a.after, a.after_len) != 0 || b.limit != a.limit)
		abort();
	/* A parsed LIST_ROOMS always has its limit, the default included. */
	if (a.operation == TCRP_OP_LIST_ROOMS && (a.limit < 1 || a.limit > TCRP_LIST_LIMIT_MAX))
		abort();
	free(json);
}

static void
fuzz_response(const uint8_t *data, size_t size)
{
	struct tcrp_response a, b;
	size_t len = 0;
	char *json;

	if (tcrp_response_parse(data, size, &a) < 0)
		return;
	if (tcrp_code_str(a.code) == NULL || strlen(a.message) >= sizeof(a.message))
		abort();
	if ((json = tcrp_response_build(a.code, a.message, &len)) == NULL)
		abort();
	if (tcrp_response_parse((const uint8_t *)json, len, &b) != 0 || b.code != a.code ||
	    (a.code != TCRP_CODE_OK && strcmp(b.message, a.message) != 0))
		abort();
	free(json);
}

static bool
fuzz_session_eq(const struct tcrp_session *a, const struct tcrp_session *b)
{
	if (strcmp(a->token, b->token) != 0 || a->udp_port != b->udp_port ||
	    strcmp(a->udp_host, b->udp_host) != 0 || a->keepalive_s != b->keepalive_s ||
	    a->timeout_s != b->timeout_s || a->max_datagram != b->max_datagram ||
	    a->host != b->host || a->n_members != b->n_members ||
	    a->members_more != b->members_more)
		return false;
	for (size_t i = 0; i < a->n_members; i++)
		if (strcmp(a->members[i], b->members[i]) != 0)
			return false;
	return true;
}

static void
fuzz_session(const uint8_t *data, size_t size)
{
	struct tcrp_session a, b;
	size_t len = 0;
	char *json;

	if (tcrp_session_parse(data, size, &a) < 0)
		return;
	if ((json = tcrp_session_build(&a, &len)) == NULL)
		abort();
	if (tcrp_session_parse((const uint8_t *)json, len, &b) != 0 || !fuzz_session_eq(&a, &b))
		abort();
	tcrp_session_clear(&a);
	tcrp_session_clear(&b);
	free(json);
}

static void
fuzz_rooms(const uint8_t *data, size_t size)
{
	struct tcrp_room_info *a, *b;
	size_t na, nb, len = 0;
	bool more_a, more_b;
	char *json;

	if (tcrp_rooms_parse(data, size, &a, &na, &more_a) < 0)
		return;
	if ((json = tcrp_rooms_build(a, na, more_a, &len)) == NULL)
		abort();
	if (tcrp_rooms_parse((const uint8_t *)json, len, &b, &nb, &more_b) != 0 || nb != na ||
	    more_b != more_a)
		abort();
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || a[i].members != b[i].members ||
		    a[i].password != b[i].password)
			abort();
	free(a);
	free(b);
	free(json);
}

static void (*const fuzz_parsers[])(const uint8_t *, size_t) = {
	fuzz_request,
	fuzz_response,
	fuzz_session,
	fuzz_rooms,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_parsers[data[0] % 4](data + 1, size - 1);
	return 0;
}
