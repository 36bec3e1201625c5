/*
 * serve.c: TCRP requests to replies (see serve.h).  Every refusal is
 * logged on one stable line that names the address, so that fail2ban-style
 * tools can act on it, and failures count towards the address's rate
 * limit.  Passwords never reach a log line.
 */
#include "daemon/serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/relay.h"
#include "lib/log.h"
#include "lib/payload.h"

/* Names and rooms in a COMPLETE must keep its payload within the 65,536
 * bytes a receiver accepts; each entry is counted at its worst-case JSON
 * size (every byte escaped to two) so that the check needs no re-dump. */
#define COMPLETE_BUDGET		(TCRP_MAX_PAYLOAD - 1024)
#define JSON_COST(len)		(2 * (size_t)(len) + 48)

struct reply {
	enum tcrp_code code;
	char message[2 * OCM_NAME_MAX + 256];
	char *complete;		/* COMPLETE payload when code is OK */
	size_t complete_len;
};

typedef void request_fn(struct server *, const struct serve_peer *,
    const struct tcrp_request *, struct reply *);

static void reply_error(struct reply *rp, enum tcrp_code code, const char *fmt, ...)
    OCM_PRINTF(3, 4);

static void
reply_error(struct reply *rp, enum tcrp_code code, const char *fmt, ...)
{
	va_list ap;

	rp->code = code;
	va_start(ap, fmt);
	vsnprintf(rp->message, sizeof(rp->message), fmt, ap);
	va_end(ap);
}

/* Fills the COMPLETE of a new session: token, timers, room members. */
static void
reply_session(struct server *srv, const struct serve_peer *peer, struct member *m,
    struct reply *rp)
{
	struct tcrp_session s;
	char *names[1024];
	size_t budget = COMPLETE_BUDGET, n = 0;

	memset(&s, 0, sizeof(s));
	memcpy(s.token, m->token, OCM_TOKEN_LEN);
	s.udp_port = peer->udp_port;
	s.keepalive_s = srv->cfg.keepalive_s;
	s.timeout_s = srv->cfg.timeout_s;
	s.max_datagram = OCM_MAX_DATAGRAM;
	s.host = m->host;
	/* The new member first, so that it is always listed. */
	names[n++] = m->name;
	budget -= JSON_COST(m->name_len);
	for (struct member *o = m->room->first; o != NULL && n < 1024; o = o->next) {
		if (o == m)
			continue;
		if (JSON_COST(o->name_len) > budget)
			break;
		budget -= JSON_COST(o->name_len);
		names[n++] = o->name;
	}
	s.members = names;
	s.n_members = n;
	rp->complete = tcrp_session_build(&s, &rp->complete_len);
	rp->code = rp->complete != NULL ? TCRP_CODE_OK : TCRP_CODE_INTERNAL;
}

/* A member the registry just made: keys from the TLS session, timers. */
static void
session_start(struct server *srv, const struct serve_peer *peer, struct member *m,
    struct reply *rp)
{
	struct udp_keys k;
	char token[OCM_TOKEN_LEN + 1];

	memcpy(token, m->token, OCM_TOKEN_LEN);
	token[OCM_TOKEN_LEN] = '\0';
	if (keys_export(peer->ssl, token, &k) < 0) {
		relay_member_remove(srv->relay, m, 0);
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		log_warnx("session for %s: key export failed", peer->addr);
		return;
	}
	registry_member_keys(m, &k);
	reply_session(srv, peer, m, rp);
	if (rp->code != TCRP_CODE_OK) {
		relay_member_remove(srv->relay, m, 0);
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return;
	}
	relay_member_added(srv->relay, m);
}

static void
request_create(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	struct member *m;
	const char *why;

	rp->code = registry_create(srv->reg, req, &peer->ip, ev_now(srv->loop), &m, &why);
	if (rp->code == TCRP_CODE_ROOM_EXISTS)
		reply_error(rp, rp->code, "room '%s' already exists (join it with -j)", req->room);
	else if (rp->code != TCRP_CODE_OK)
		reply_error(rp, rp->code, "%s", why);
	else {
		session_start(srv, peer, m, rp);
		if (rp->code == TCRP_CODE_OK)
			log_info("room '%s' created by '%s' from %s%s", req->room, req->user,
			    peer->addr, m->room->has_password ? " (password)" : "");
	}
}

static void
request_join(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	struct member *m;
	const char *why;

	rp->code = registry_join(srv->reg, req, &peer->ip, ev_now(srv->loop), &m, &why);
	switch (rp->code) {
	case TCRP_CODE_OK:
		session_start(srv, peer, m, rp);
		if (rp->code == TCRP_CODE_OK)
			log_info("'%s' joined room '%s' from %s", req->user, req->room,
			    peer->addr);
		return;
	case TCRP_CODE_NO_SUCH_ROOM:
		reply_error(rp, rp->code, "room '%s' does not exist (create it with -c)",
		    req->room);
		return;
	case TCRP_CODE_BAD_PASSWORD:
		reply_error(rp, rp->code, "wrong password for room '%s'", req->room);
		return;
	case TCRP_CODE_NAME_TAKEN:
		reply_error(rp, rp->code,
		    "the name '%s' is taken in room '%s' (choose another with -u)", req->user,
		    req->room);
		return;
	case TCRP_CODE_ROOM_FULL:
		reply_error(rp, rp->code, "room '%s' is full", req->room);
		return;
	default:
		reply_error(rp, rp->code, "%s", why);
		return;
	}
}

static void
request_list(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	size_t cap = srv->reg->n_rooms ? srv->reg->n_rooms : 1, n = 0;
	size_t budget = COMPLETE_BUDGET;
	struct tcrp_room_info *rooms = calloc(cap, sizeof(*rooms));
	(void)peer;
	(void)req;

	if (rooms == NULL) {
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return;
	}
	for (struct room *r = registry_first_room(srv->reg); r != NULL && n < cap;
	    r = registry_next_room(srv->reg, r)) {
		if (JSON_COST(r->name_len) + 32 > budget)
			break;
		budget -= JSON_COST(r->name_len) + 32;
		memcpy(rooms[n].name, r->name, r->name_len + 1);
		rooms[n].members = r->n_members;
		rooms[n].password = r->has_password;
		n++;
	}
	rp->complete = tcrp_rooms_build(rooms, n, &rp->complete_len);
	rp->code = rp->complete != NULL ? TCRP_CODE_OK : TCRP_CODE_INTERNAL;
	if (rp->code != TCRP_CODE_OK)
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
	free(rooms);
}

static request_fn *const request_handlers[] = {
	[TCRP_OP_CREATE_ROOM] = request_create,
	[TCRP_OP_JOIN_ROOM] = request_join,
	[TCRP_OP_LIST_ROOMS] = request_list,
};

static const char *const op_verbs[] = {
	[TCRP_OP_CREATE_ROOM] = "create",
	[TCRP_OP_JOIN_ROOM] = "join",
	[TCRP_OP_LIST_ROOMS] = "list",
};

/* Decides the reply; everything but the wire bytes. */
static void
serve_decide(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_reader *rd, struct reply *rp)
{
	struct tcrp_request req;
	const char *why = "malformed request";

	if (ratelimit_banned(&srv->rl, &peer->ip, ev_now(srv->loop))) {
		rp->code = TCRP_CODE_RATE_LIMITED;
		snprintf(rp->message, sizeof(rp->message),
		    "too many failed requests from %s; try again in a few minutes", peer->addr);
		return;
	}
	if (rd->status != TCRP_READER_DONE) {
		rp->code = TCRP_CODE_BAD_REQUEST;
		snprintf(rp->message, sizeof(rp->message), "bad request: %s%s",
		    ocm_strerror(rd->error),
		    rd->error == -OCM_E_TOO_LARGE ? " (payload above 65536 bytes)" : "");
		return;
	}
	int r = tcrp_request_parse(rd->h.operation, rd->h.state, tcrp_reader_room(rd),
	    rd->h.room_len, tcrp_reader_payload(rd), (size_t)rd->h.payload_len, &req, &why);
	if (r < 0) {
		rp->code = tcrp_code_from_error(r);
		snprintf(rp->message, sizeof(rp->message), "%s: %s",
		    rp->code == TCRP_CODE_UNSUPPORTED_VERSION ? "unsupported version" :
		    "bad request", why);
		return;
	}
	request_handlers[req.operation](srv, peer, &req, rp);
}

/* Failures that say something about the requester count towards its
 * rate limit; the server's own state (full, internal) does not. */
static bool
code_counts_as_failure(enum tcrp_code code)
{
	return code != TCRP_CODE_OK && code != TCRP_CODE_RATE_LIMITED &&
	    code != TCRP_CODE_SERVER_FULL && code != TCRP_CODE_INTERNAL &&
	    code != TCRP_CODE_ROOM_FULL;
}

static void
serve_account(struct server *srv, const struct serve_peer *peer, uint8_t op,
    const struct reply *rp)
{
	const char *verb = op >= TCRP_OP_CREATE_ROOM && op <= TCRP_OP_LIST_ROOMS ?
	    op_verbs[op] : "request";

	srv->stats.requests[rp->code]++;
	if (rp->code == TCRP_CODE_OK)
		return;
	log_info("refused %s from %s: %s: %s", verb, peer->addr, tcrp_code_str(rp->code),
	    rp->message);
	if (code_counts_as_failure(rp->code) &&
	    ratelimit_fail(&srv->rl, &peer->ip, ev_now(srv->loop)))
		log_warnx("rate limiting %s for %u s after %u failed requests", peer->addr,
		    srv->cfg.rate_limit_s, srv->cfg.max_failed_joins);
}

int
serve_request(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_reader *rd, uint8_t **out, size_t *out_len)
{
	struct reply rp;
	size_t resp_len;

	memset(&rp, 0, sizeof(rp));
	serve_decide(srv, peer, rd, &rp);
	serve_account(srv, peer, rd->h.operation, &rp);

	const uint8_t *room = rd->body != NULL ? tcrp_reader_room(rd) : NULL;
	size_t room_len = room != NULL ? rd->h.room_len : 0;
	char *resp = tcrp_response_build(rp.code, rp.message, &resp_len);
	size_t cap = 2 * (TCRP_HEADER_LEN + room_len) + resp_len + rp.complete_len;
	uint8_t *buf = resp != NULL ? malloc(cap) : NULL;
	long n = -1, m = 0;
	if (buf != NULL) {
		n = tcrp_encode(rd->h.operation, TCRP_STATE_RESPONSE, room, room_len,
		    (const uint8_t *)resp, resp_len, buf, cap);
		if (n > 0 && rp.complete != NULL)
			m = tcrp_encode(rd->h.operation, TCRP_STATE_COMPLETE, room, room_len,
			    (const uint8_t *)rp.complete, rp.complete_len, buf + n,
			    cap - (size_t)n);
	}
	free(resp);
	free(rp.complete);
	if (n < 0 || m < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = (size_t)(n + m);
	return 0;
}
