/*
 * request.c: TCRP requests to replies (see request.h).  Every refusal is
 * logged on one stable line that names the address, so that fail2ban-style
 * tools can act on it, and failures count towards the address's rate
 * limit.  Passwords never reach a log line.
 */
#include "daemon/tcrp/request.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster.h"
#include "daemon/core/directory.h"
#include "daemon/base/journal.h"
#include "daemon/base/page.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/steer.h"
#include "daemon/relay/worker.h"
#include "lib/cluster_msg.h"
#include "lib/log.h"
#include "lib/payload.h"
#include "lib/text.h"
#include "lib/token.h"

/* Names and rooms in a COMPLETE must keep its payload within the 65,536
 * bytes a receiver accepts; each entry is counted at its worst-case JSON
 * size (every byte escaped to two) so that the check needs no re-dump. */
#define COMPLETE_BUDGET		(TCRP_MAX_PAYLOAD - 1024)
#define JSON_COST(len)		(2 * (size_t)(len) + 48)
#define ROOM_COST(len)		(JSON_COST(len) + 32)	/* members, password */
#define COMPLETE_NAMES_MAX	1024	/* members in a session COMPLETE */

struct reply {
	enum tcrp_code code;
	char message[2 * OCM_NAME_MAX + 256];
	char *complete;		/* COMPLETE payload when code is OK */
	size_t complete_len;
};

/* Answers in rp, or returns the hand-off that will. */
typedef struct handoff *request_fn(struct server *, const struct serve_peer *,
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

int
serve_session_complete(const struct config *cfg, const struct member *m, uint16_t udp_port,
    const char *udp_host, char **out, size_t *len)
{
	struct tcrp_session s;
	struct member *o;
	char *names[COMPLETE_NAMES_MAX];
	size_t budget = COMPLETE_BUDGET, n = 0;

	memset(&s, 0, sizeof(s));
	memcpy(s.token, m->token, OCM_TOKEN_LEN);
	s.udp_port = udp_port;
	snprintf(s.udp_host, sizeof(s.udp_host), "%s", udp_host);
	s.keepalive_s = cfg->keepalive_s;
	s.timeout_s = cfg->timeout_s;
	s.max_datagram = OCM_MAX_DATAGRAM;
	s.host = m->host;
	/* The new member first, so that it is always listed. */
	names[n++] = (char *)m->name;
	budget -= JSON_COST(m->name_len);
	/* Cut, never dropped silently: members_more sends the client to WHO. */
	TAILQ_FOREACH(o, &m->room->members, room_link) {
		if (o == m)
			continue;
		if (n == COMPLETE_NAMES_MAX || JSON_COST(o->name_len) > budget) {
			s.members_more = true;
			break;
		}
		budget -= JSON_COST(o->name_len);
		names[n++] = o->name;
	}
	s.members = names;
	s.n_members = n;
	*out = tcrp_session_build(&s, len);
	return *out != NULL ? 0 : -1;
}

/*
 * The least-loaded worker for a new room: fewest members, then fewest
 * rooms.  The member counts are the workers' own (relaxed atomics), so
 * this may be a join or two behind; placement only needs to be fair.
 */
static struct worker *
least_loaded(const struct server *srv)
{
	struct worker *best = srv->workers[0];
	uint32_t best_load = UINT32_MAX, best_rooms = UINT32_MAX;

	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct worker *w = srv->workers[i];
		uint32_t load = atomic_load_explicit(&w->load, memory_order_relaxed);
		uint32_t rooms = srv->dir.per_worker[i];
		if (load < best_load || (load == best_load && rooms < best_rooms)) {
			best = w;
			best_load = load;
			best_rooms = rooms;
		}
	}
	return best;
}

/*
 * The one place a hand-off is made, for every route: home is the worker
 * here that admits it (NULL: worker `index` of another node, which
 * decides).  The token (its first byte names the worker, so that the
 * steering program brings the session's datagrams there) and the keys
 * are made here from the requester's TLS session, or come with a JOIN
 * another node took (from).  The member counts for its address here from
 * now on (q; NULL for another node's room, which counts it there): the
 * home takes it over, or the reply gives it back (handoff_settle).
 */
static struct handoff *
handoff_new(struct server *srv, const struct serve_peer *peer, const struct tcrp_request *req,
    struct worker *home, unsigned index, struct quota_entry *q,
    const struct cluster_join *from, struct reply *rp)
{
	struct handoff *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return NULL;
	}
	if (from != NULL) {
		memcpy(h->token, from->token, sizeof(h->token));
		h->keys = from->keys;
	} else if (token_generate(h->token) < 0) {
		free(h);
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return NULL;
	} else {
		steer_token_mark(h->token, index);
		if (keys_export(peer->ssl, h->token, &h->keys) < 0) {
			OPENSSL_cleanse(h, sizeof(*h));
			free(h);
			reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
			log_warnx("session for %s: key export failed", peer->addr);
			return NULL;
		}
	}
	h->srv = srv;
	h->home = home;
	if (q != NULL) {
		quota_add_member(q);
		h->addr_members = &q->members;
	}
	h->req = *req;
	h->ip = peer->ip;
	memcpy(h->addr, peer->addr, sizeof(h->addr));
	h->udp_port = peer->udp_port;
	memcpy(h->udp_host, peer->udp_host, sizeof(h->udp_host));
	return h;
}

static void
reply_unavailable(struct reply *rp, const char *room)
{
	reply_error(rp, TCRP_CODE_UNAVAILABLE,
	    "this node cannot reach its cluster (NATS) to decide about room '%s'; try again "
	    "in a moment", room);
}

/*
 * The requester's address's entry, or NULL with rp set (rate_limited) when
 * it already holds max_members_per_address members or, for a CREATE,
 * max_rooms_per_address rooms.
 */
static struct quota_entry *
request_quota(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	struct quota_entry *q = quota_get(&srv->quota, &peer->ip, srv->cfg.ipv6_prefix);
	enum refusal why = REFUSAL_NONE;
	uint32_t held = 0, max = 0;
	const char *key = NULL;

	if (q == NULL) {
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return NULL;
	}
	if (quota_members(q) >= srv->cfg.max_members_per_address) {
		why = REFUSAL_MEMBERS;
		held = quota_members(q);
		max = srv->cfg.max_members_per_address;
		key = "max_members_per_address";
	} else if (req->operation == TCRP_OP_CREATE_ROOM &&
	    q->rooms >= srv->cfg.max_rooms_per_address) {
		why = REFUSAL_ROOMS;
		held = q->rooms;
		max = srv->cfg.max_rooms_per_address;
		key = "max_rooms_per_address";
	}
	if (why == REFUSAL_NONE)
		return q;
	reply_error(rp, TCRP_CODE_RATE_LIMITED,
	    "%s from %s: %u of at most %u; leave some before making more",
	    refusal_names[why], peer->addr, held, max);
	char detail[64];
	snprintf(detail, sizeof(detail), "%u held, %s", held, key);
	server_refusal(srv, &peer->ip, peer->addr, why, detail);
	return NULL;
}

static struct handoff *
request_create(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	struct dir_room *d = directory_find(&srv->dir, req->room, req->room_len);

	if (d != NULL && (d->node == NULL || cluster_room_visible(srv, d))) {
		reply_error(rp, TCRP_CODE_ROOM_EXISTS,
		    "room '%s' already exists (join it with -j)", req->room);
		return NULL;
	}
	if (srv->cluster != NULL && !cluster_up(srv)) {
		reply_unavailable(rp, req->room);
		return NULL;
	}
	if (d != NULL)		/* a node that is gone held it: the claim decides */
		directory_remove(&srv->dir, d);
	if (directory_local(&srv->dir) >= srv->cfg.max_rooms) {
		reply_error(rp, TCRP_CODE_SERVER_FULL,
		    "the server has as many rooms as it allows");
		return NULL;
	}
	struct quota_entry *q = request_quota(srv, peer, req, rp);
	if (q == NULL)
		return NULL;
	struct worker *home = least_loaded(srv);
	struct handoff *h = handoff_new(srv, peer, req, home, home->index, q, NULL, rp);
	if (h == NULL)
		return NULL;
	h->claim = srv->cluster != NULL;
	/* Reserved now, so that a second CREATE of the name is refused while
	 * this one is on its way; JOINs wait until it is ready. */
	h->dir = directory_add(&srv->dir, req->room, req->room_len, home->index);
	if (h->dir == NULL) {
		h->code = TCRP_CODE_INTERNAL;	/* gives the member count back */
		serve_handoff_discard(h);
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return NULL;
	}
	h->dir->quota = q;
	q->rooms++;
	return h;
}

/*
 * The one check of a JOIN, wherever it was taken (here, or by another
 * node for a room homed here: adopted): the room exists and is ready,
 * and for a room homed on this node the requester's address may hold one
 * more member (*q, its entry).  A room homed on another node is decided
 * there: *q stays NULL.  NULL with rp set when the JOIN is refused.
 */
static struct dir_room *
join_check(struct server *srv, const struct serve_peer *peer, const struct tcrp_request *req,
    bool adopted, struct quota_entry **q, struct reply *rp)
{
	struct dir_room *d = directory_find(&srv->dir, req->room, req->room_len);

	*q = NULL;
	if (d == NULL || !d->ready ||
	    (d->node != NULL && (adopted || !cluster_room_visible(srv, d)))) {
		reply_error(rp, TCRP_CODE_NO_SUCH_ROOM,
		    "room '%s' does not exist (create it with -c)", req->room);
		return NULL;
	}
	if (d->node != NULL) {
		if (!cluster_up(srv)) {
			reply_unavailable(rp, req->room);
			return NULL;
		}
		return d;
	}
	*q = request_quota(srv, peer, req, rp);
	return *q != NULL ? d : NULL;
}

static struct handoff *
request_join(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	struct quota_entry *q;
	struct dir_room *d = join_check(srv, peer, req, false, &q, rp);

	if (d == NULL)
		return NULL;
	if (d->node == NULL)
		return handoff_new(srv, peer, req, srv->workers[d->worker], d->worker, q, NULL, rp);
	struct handoff *h = handoff_new(srv, peer, req, NULL, d->worker, NULL, NULL, rp);
	if (h != NULL)
		h->remote = d;
	return h;
}

/*
 * One page of LIST_ROOMS (doc/protocol.md 5.5): the ready rooms after
 * req->after in byte order of their names, at most req->limit of them and
 * what fits the payload; "more" when any are left out.  The directory is
 * a hash, so the page is picked from it as ocmctl list-rooms picks its
 * own (page.h): O(n log limit) for n rooms on the main thread, and memory
 * for the page alone, since anyone may ask.
 */
static struct handoff *
request_list(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_request *req, struct reply *rp)
{
	const struct directory *dir = &srv->dir;
	size_t budget = COMPLETE_BUDGET, k;
	struct tcrp_room_info *rooms = NULL;
	struct page p;
	(void)peer;

	if (page_init(&p, dir->rooms.n < req->limit ? dir->rooms.n : req->limit,
	    req->after) == 0) {
		/* Not a CREATE still on its way, nor a room of a node that is gone. */
		for (struct dir_room *d = directory_first(dir); d != NULL;
		    d = directory_next(dir, d))
			if (d->ready && (d->node == NULL || cluster_room_visible(srv, d)))
				page_offer(&p, d->name, d->name_len, d);
		page_sort(&p);
		rooms = malloc((p.n + 1) * sizeof(*rooms));	/* + 1: not malloc(0) */
	}
	if (rooms == NULL) {
		free(p.heap);
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
		return NULL;
	}
	for (k = 0; k < p.n && ROOM_COST(p.heap[k].len) <= budget; k++) {
		const struct dir_room *d = p.heap[k].item;
		budget -= ROOM_COST(d->name_len);
		memcpy(rooms[k].name, d->name, d->name_len + 1);
		rooms[k].members = atomic_load_explicit(&d->members, memory_order_relaxed);
		rooms[k].password = d->password;
	}
	rp->complete = tcrp_rooms_build(rooms, k, k < p.seen, &rp->complete_len);
	if (rp->complete == NULL)
		reply_error(rp, TCRP_CODE_INTERNAL, "internal error");
	free(rooms);
	free(p.heap);
	return NULL;
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

/* An address under a rate-limit ban is refused before anything else,
 * counted in its episode (ratelimit.h). */
static bool
request_banned(struct server *srv, const struct serve_peer *peer, struct reply *rp)
{
	if (!ratelimit_banned(&srv->rl, &peer->ip, ev_now(srv->loop)))
		return false;
	ratelimit_refused(&srv->rl, &peer->ip, REFUSAL_BANNED, ev_now(srv->loop));
	reply_error(rp, TCRP_CODE_RATE_LIMITED,
	    "too many failed requests from %s; try again in a few minutes", peer->addr);
	return true;
}

/* Decides the reply, or hands the request to its home; req is the
 * request once parsed (zeroed until then). */
static struct handoff *
serve_decide(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_reader *rd, struct tcrp_request *req, struct reply *rp)
{
	const char *why = "malformed request";

	if (request_banned(srv, peer, rp))
		return NULL;
	if (rd->status != TCRP_READER_DONE) {
		rp->code = TCRP_CODE_BAD_REQUEST;
		snprintf(rp->message, sizeof(rp->message), "bad request: %s%s",
		    ocm_strerror(rd->error),
		    rd->error == -OCM_E_TOO_LARGE ? " (payload above 65536 bytes)" : "");
		return NULL;
	}
	int r = tcrp_request_parse(rd->h.operation, rd->h.state, tcrp_reader_room(rd),
	    rd->h.room_len, tcrp_reader_payload(rd), (size_t)rd->h.payload_len, req, &why);
	if (r < 0) {
		memset(req, 0, sizeof(*req));
		rp->code = tcrp_code_from_error(r);
		snprintf(rp->message, sizeof(rp->message), "%s: %s",
		    rp->code == TCRP_CODE_UNSUPPORTED_VERSION ? "unsupported version" :
		    "bad request", why);
		return NULL;
	}
	return request_handlers[req->operation](srv, peer, req, rp);
}

/* Failures that say something about the requester count towards its
 * rate limit; the server's own state (full, internal) does not. */
static bool
code_counts_as_failure(enum tcrp_code code)
{
	return code != TCRP_CODE_OK && code != TCRP_CODE_RATE_LIMITED &&
	    code != TCRP_CODE_SERVER_FULL && code != TCRP_CODE_INTERNAL &&
	    code != TCRP_CODE_ROOM_FULL && code != TCRP_CODE_UNAVAILABLE;
}

static void
serve_account(struct server *srv, const struct peer_ip *ip, const char *addr, uint8_t op,
    struct reply *rp, const char *room, const char *user)
{
	const char *verb = op >= TCRP_OP_CREATE_ROOM && op <= TCRP_OP_LIST_ROOMS ?
	    op_verbs[op] : "request";

	counter_add(&srv->stats.requests[rp->code], 1);
	/* An address already refused is counted in its episode, not logged
	 * again (ratelimit.h). */
	if (rp->code == TCRP_CODE_OK || rp->code == TCRP_CODE_RATE_LIMITED)
		return;
	log_ocm(LOG_LEVEL_INFO, OCM_EV_REQUEST_REFUSED, room, user, addr,
	    "refused %s from %s: %s: %s", verb, addr, tcrp_code_str(rp->code), rp->message);
	if (code_counts_as_failure(rp->code) &&
	    ratelimit_fail(&srv->rl, ip, ev_now(srv->loop))) {
		log_ocm(LOG_LEVEL_WARN, OCM_EV_RATE_LIMITED, NULL, NULL, addr,
		    "rate limiting %s for %u s after %u failed requests; further refusals "
		    "are counted, not logged", addr, srv->cfg.rate_limit_s,
		    srv->cfg.max_failed_joins);
		server_refusal_watch(srv);
	}
}

/* RESPONSE, then COMPLETE when there is one, into one buffer. */
static int
reply_encode(uint8_t op, const uint8_t *room, size_t room_len, struct reply *rp,
    uint8_t **out, size_t *out_len)
{
	size_t resp_len;
	char *resp = tcrp_response_build(rp->code, rp->message, &resp_len);
	size_t cap = 2 * (TCRP_HEADER_LEN + room_len) + resp_len + rp->complete_len;
	uint8_t *buf = resp != NULL ? malloc(cap) : NULL;
	long n = -1, m = 0;

	if (buf != NULL) {
		n = tcrp_encode(op, TCRP_STATE_RESPONSE, room, room_len, (const uint8_t *)resp,
		    resp_len, buf, cap);
		if (n > 0 && rp->complete != NULL)
			m = tcrp_encode(op, TCRP_STATE_COMPLETE, room, room_len,
			    (const uint8_t *)rp->complete, rp->complete_len, buf + n,
			    cap - (size_t)n);
	}
	free(resp);
	free(rp->complete);
	rp->complete = NULL;
	if (n < 0 || m < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = (size_t)(n + m);
	return 0;
}

/*
 * The hand-off's way (main thread, but handoff_admit, which runs on the
 * home worker's thread): a CREATE in a cluster claims its name first
 * (cluster_claim, answered through handoff_claimed), a JOIN of another
 * node's room goes there (cluster_join, answered through h->done), and
 * everything for a room homed here is admitted by its worker, which posts
 * h back to the main thread with run set to h->done.
 */
static void handoff_post_home(struct handoff *h);
static void handoff_claimed(struct mail *m, void *owner);

static void
handoff_send(struct handoff *h, void (*done)(struct mail *, void *))
{
	struct dir_room *remote = h->remote;

	/* Nothing of h is written here once it is posted: another thread
	 * may hold it. */
	h->done = done;
	h->remote = NULL;
	if (h->claim)
		cluster_claim(h->srv, h, handoff_claimed);
	else if (h->home == NULL)
		cluster_join(h->srv, h, remote, done);
	else
		handoff_post_home(h);
}

/* The claim's answer, on the main thread: on to the home worker, or the
 * refusal to whoever waits for the answer. */
static void
handoff_claimed(struct mail *m, void *owner)
{
	struct handoff *h = container_of(m, struct handoff, mail);

	if (h->code != TCRP_CODE_OK) {
		h->done(m, owner);
		return;
	}
	h->claimed = true;
	handoff_post_home(h);
}

/* Admission, on the home worker's thread: the member joins (or the room
 * is made with it), takes the keys, and the COMPLETE is built there,
 * where the room's members are; then h goes back to the main thread. */
static void
handoff_admit(struct mail *mail, void *owner)
{
	struct handoff *h = container_of(mail, struct handoff, mail);
	struct worker *w = owner;
	uint64_t now = ev_now_update(w->loop);
	struct member *m = NULL;

	counter_add(&w->stats.handoffs, 1);
	if (h->req.operation == TCRP_OP_CREATE_ROOM)
		h->code = registry_create(w->reg, &h->req, &h->ip, (const uint8_t *)h->token, now,
		    &m, &h->why);
	else
		h->code = registry_join(w->reg, &h->req, &h->ip, (const uint8_t *)h->token, now,
		    &m, &h->why);
	OPENSSL_cleanse(h->req.password, sizeof(h->req.password));
	if (h->code == TCRP_CODE_OK) {
		h->password = m->room->has_password;
		registry_member_keys(m, &h->keys);
		if (serve_session_complete(&w->cfg, m, h->udp_port, h->udp_host, &h->complete,
		    &h->complete_len) < 0) {
			/* A new room closes with no room_gone (it has no
			 * directory entry yet): the failed reply removes the
			 * entry, once. */
			relay_member_remove(w->relay, m, 0);
			h->code = TCRP_CODE_INTERNAL;
			h->why = "internal error";
		} else {
			if (h->req.operation == TCRP_OP_CREATE_ROOM)
				m->room->data = h->dir;
			m->addr_members = h->addr_members;
			relay_member_added(w->relay, m);
			worker_members_changed(w, m->room);
		}
	}
	keys_wipe(&h->keys);
	h->mail.run = h->done;
	mailbox_post(&w->srv->mail, &h->mail);
}

static void
handoff_post_home(struct handoff *h)
{
	/* The reply reuses the message: run becomes done before it is
	 * posted back, and only the home touches h in between. */
	h->mail.run = handoff_admit;
	mailbox_post(&h->home->mail, &h->mail);
}

int
serve_request(struct server *srv, const struct serve_peer *peer, void *conn,
    const struct tcrp_reader *rd, void (*done)(struct mail *, void *), uint8_t **out,
    size_t *out_len)
{
	struct reply rp;
	struct tcrp_request req;

	memset(&rp, 0, sizeof(rp));
	memset(&req, 0, sizeof(req));
	struct handoff *h = serve_decide(srv, peer, rd, &req, &rp);
	OPENSSL_cleanse(req.password, sizeof(req.password));
	if (h != NULL) {
		h->conn = conn;
		handoff_send(h, done);
		return 1;
	}
	serve_account(srv, &peer->ip, peer->addr, rd->h.operation, &rp,
	    req.room_len > 0 ? req.room : NULL, req.user_len > 0 ? req.user : NULL);
	OPENSSL_cleanse(req.password, sizeof(req.password));
	/* Every reply repeats the request's Operation and RoomName, whatever
	 * was wrong with them (doc/protocol.md 4); the reader has the name unless
	 * it stopped inside the header. */
	const uint8_t *room = tcrp_reader_room(rd);
	return reply_encode(rd->h.operation, room, room != NULL ? rd->h.room_len : 0, &rp,
	    out, out_len);
}

/* The home's answer, in words. */
static void
reply_from_home(const struct handoff *h, struct reply *rp)
{
	const struct tcrp_request *req = &h->req;

	switch (h->code) {
	case TCRP_CODE_OK:
		rp->code = TCRP_CODE_OK;
		return;
	case TCRP_CODE_ROOM_EXISTS:
		reply_error(rp, h->code, "room '%s' already exists (join it with -j)", req->room);
		return;
	case TCRP_CODE_NO_SUCH_ROOM:
		reply_error(rp, h->code, "room '%s' does not exist (create it with -c)",
		    req->room);
		return;
	case TCRP_CODE_BAD_PASSWORD:
		reply_error(rp, h->code, "wrong password for room '%s'", req->room);
		return;
	case TCRP_CODE_NAME_TAKEN:
		reply_error(rp, h->code,
		    "the name '%s' is taken in room '%s' (choose another with -u)", req->user,
		    req->room);
		return;
	case TCRP_CODE_ROOM_FULL:
		reply_error(rp, h->code, "room '%s' is full", req->room);
		return;
	default:
		reply_error(rp, h->code, "%s", h->why != NULL ? h->why : "internal error");
		return;
	}
}

/* What the main thread keeps of a hand-off's outcome: the directory
 * entry of a CREATE, the peaks. */
static void
handoff_settle(struct server *srv, struct handoff *h)
{
	size_t members = atomic_load_explicit(&srv->n_members, memory_order_relaxed);

	if (h->code != TCRP_CODE_OK && h->addr_members != NULL)
		quota_drop_member(h->addr_members);
	if (h->req.operation == TCRP_OP_CREATE_ROOM && h->dir != NULL) {
		if (h->code == TCRP_CODE_OK) {
			h->dir->ready = true;
			h->dir->password = h->password;
		} else {
			if (h->claimed)
				cluster_room_closed(srv, h->req.room, h->req.room_len);
			directory_remove(&srv->dir, h->dir);
		}
	}
	if (directory_local(&srv->dir) > srv->peak_rooms)
		srv->peak_rooms = directory_local(&srv->dir);
	if (members > srv->peak_members)
		srv->peak_members = members;
}

static void
handoff_free(struct handoff *h)
{
	free(h->complete);
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

void
serve_handoff_discard(struct handoff *h)
{
	handoff_settle(h->srv, h);
	handoff_free(h);
}

/* The home's answer, kept, logged and counted: rp takes the COMPLETE. */
static void
handoff_conclude(struct server *srv, struct handoff *h, struct reply *rp)
{
	const struct tcrp_request *req = &h->req;

	memset(rp, 0, sizeof(*rp));
	handoff_settle(srv, h);
	reply_from_home(h, rp);
	if (rp->code == TCRP_CODE_OK) {
		rp->complete = h->complete;
		rp->complete_len = h->complete_len;
		h->complete = NULL;
		if (req->operation == TCRP_OP_CREATE_ROOM)
			log_ocm(LOG_LEVEL_INFO, OCM_EV_ROOM_CREATED, req->room, req->user, h->addr,
			    "created from %s: room '%s' by '%s'%s", h->addr, req->room,
			    req->user, h->password ? " (password)" : "");
		else
			log_ocm(LOG_LEVEL_INFO, OCM_EV_MEMBER_JOINED, req->room, req->user,
			    h->addr, "joined from %s: '%s' in room '%s'", h->addr, req->user,
			    req->room);
	}
	serve_account(srv, &h->ip, h->addr, req->operation, rp, req->room, req->user);
}

int
serve_handoff_reply(struct server *srv, struct handoff *h, uint8_t **out, size_t *out_len)
{
	struct reply rp;

	handoff_conclude(srv, h, &rp);
	int rc = reply_encode(h->req.operation, (const uint8_t *)h->req.room, h->req.room_len,
	    &rp, out, out_len);
	handoff_free(h);
	return rc;
}

/*
 * A JOIN taken by another node for a room homed here (doc/protocol.md
 * 13.1): checked as if it had come in here (join_check), then admitted by
 * the room's worker like any other; the answer goes back to the asking
 * node (adopted_done), whose client gets this node's udp_host and port.
 */
static void
adopted_answer(struct server *srv, const char *reply_to, const struct reply *rp)
{
	struct cluster_join_reply r;

	memset(&r, 0, sizeof(r));
	r.code = rp->code;
	snprintf(r.message, sizeof(r.message), "%.*s", (int)sizeof(r.message) - 1, rp->message);
	r.complete = rp->complete;
	r.complete_len = rp->complete_len;
	cluster_join_answer(srv, reply_to, &r);
}

/* The home worker's answer to an adopted JOIN, on the main thread. */
static void
adopted_done(struct mail *m, void *owner)
{
	struct handoff *h = container_of(m, struct handoff, mail);
	struct server *srv = owner;
	struct reply rp;

	handoff_conclude(srv, h, &rp);
	adopted_answer(srv, h->reply_to, &rp);
	free(rp.complete);
	handoff_free(h);
}

void
serve_adopt_join(struct server *srv, const struct cluster_join *j, const char *reply_to,
    const char *udp_host, uint16_t udp_port)
{
	struct serve_peer peer;
	struct reply rp;
	struct quota_entry *q;
	struct handoff *h;
	const struct tcrp_request *req = &j->req;
	struct dir_room *d;

	memset(&peer, 0, sizeof(peer));
	memset(&rp, 0, sizeof(rp));
	peer_ip_parse(&peer.ip, j->ip);
	snprintf(peer.addr, sizeof(peer.addr), "%s", j->ip);
	peer.udp_port = udp_port;
	snprintf(peer.udp_host, sizeof(peer.udp_host), "%s", udp_host);
	if (!request_banned(srv, &peer, &rp) &&
	    (d = join_check(srv, &peer, req, true, &q, &rp)) != NULL) {
		if (steer_token_worker((const uint8_t *)j->token) != (int)d->worker ||
		    !token_valid((const uint8_t *)j->token, OCM_TOKEN_LEN)) {
			reply_error(&rp, TCRP_CODE_INTERNAL, "internal error");
			log_warnx("cluster: a hand-off from node %s names the wrong worker for "
			    "room '%s': refused", j->from, req->room);
		} else if ((h = handoff_new(srv, &peer, req, srv->workers[d->worker], d->worker,
		    q, j, &rp)) != NULL) {
			snprintf(h->reply_to, sizeof(h->reply_to), "%s", reply_to);
			handoff_send(h, adopted_done);
			return;
		}
	}
	serve_account(srv, &peer.ip, peer.addr, TCRP_OP_JOIN_ROOM, &rp, req->room, req->user);
	adopted_answer(srv, reply_to, &rp);
}

