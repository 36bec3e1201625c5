/*
 * cluster/view.c: one node of an ocmd cluster (see cluster.h), on the
 * main thread: its view of the cluster (peers, the directory's remote
 * rooms), hand-offs both ways, forwarded control commands, the events
 * the other threads post, and start and stop.
 */
#include "daemon/cluster/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <unistd.h>

#include "daemon/base/sock.h"
#include "daemon/core/handoff.h"
#include "daemon/base/journal.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/worker.h"
#include "lib/ctl.h"
#include "lib/text.h"
#include "lib/log.h"

/* The main thread's view of the cluster. */

static struct cluster_peer *
peer_find(struct cluster *c, const char *name, bool create)
{
	struct cluster_peer *p;

	for (p = c->peers; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	if (!create || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->next = c->peers;
	c->peers = p;
	return p;
}

static bool
peer_alive(const struct cluster *c, const struct cluster_peer *p)
{
	return p->seen_ms != 0 &&
	    ev_now(c->srv->loop) - p->seen_ms < (uint64_t)c->timeout_s * 1000;
}

bool
cluster_up(const struct server *srv)
{
	return srv->cluster != NULL && cluster_connected(srv->cluster);
}

bool
cluster_room_visible(const struct server *srv, const struct dir_room *d)
{
	if (d->node == NULL)
		return d->ready;
	return srv->cluster != NULL && peer_alive(srv->cluster, d->node) &&
	    d->node->rec.epoch == d->epoch;
}

const char *
cluster_room_node(const struct server *srv, const struct dir_room *d)
{
	if (d->node != NULL)
		return d->node->name;
	return srv->cluster != NULL ? srv->cluster->cfg.node : "";
}

/* This node's record of one of its rooms. */
static char *
room_record(const struct cluster *c, const struct dir_room *d, size_t *len)
{
	struct cluster_room r;

	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", c->cfg.node);
	r.epoch = c->epoch;
	r.worker = d->worker;
	r.password = d->password;
	r.members = atomic_load_explicit(&d->members, memory_order_relaxed);
	return cluster_room_build(&r, len);
}

struct job *
cluster_job_new(enum job_kind kind, const char *name, size_t len)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		server_out_of_memory("for a cluster job");
	j->kind = kind;
	cluster_room_key(name, len, j->key);
	return j;
}

static void
room_job(struct cluster *c, enum job_kind kind, struct dir_room *d)
{
	struct job *j = cluster_job_new(kind, d->name, d->name_len);

	if ((j->value = room_record(c, d, &j->value_len)) == NULL) {
		cluster_job_free(j);
		return;
	}
	d->announced = atomic_load_explicit(&d->members, memory_order_relaxed);
	cluster_job_post(c, j);
}

/* Our room, named in a record another node now holds: it is theirs.  On
 * the room's worker (worker_call). */
static void
room_lost_fn(struct worker *w, void *arg)
{
	struct dir_room *d = arg;
	struct room *r = registry_find_room(w->reg, (const uint8_t *)d->name, d->name_len);

	if (r != NULL)
		relay_room_close_text(w->relay, r, CLOSED_ROOM_KILLED,
		    "the room's name is held by another node of the cluster now");
}

static void
room_lost(struct cluster *c, struct dir_room *d, const char *holder)
{
	log_ocm(LOG_LEVEL_WARN, OCM_EV_CLUSTER, d->name, NULL, NULL,
	    "cluster: room '%s' was claimed by node %s while this node was cut off from "
	    "NATS: closing it here", d->name, holder);
	worker_call(c->srv->workers[d->worker], room_lost_fn, d);
}

static void
on_room(struct cluster *c, const struct event *ev)
{
	struct directory *dir = &c->srv->dir;
	char name[OCM_NAME_MAX + 1];
	struct cluster_room r;
	size_t len;

	if (cluster_room_key_decode(ev->key, strlen(ev->key), name, &len) < 0)
		return;
	struct dir_room *d = directory_find(dir, name, len);
	if (ev->deleted || cluster_room_parse(ev->data, ev->len, &r) < 0 || r.free) {
		if (d != NULL && d->node != NULL)
			directory_remove(dir, d);
		return;
	}
	if (strcmp(r.node, c->cfg.node) == 0) {
		if (d != NULL && d->node != NULL)	/* a room of a past incarnation */
			directory_remove(dir, d);
		return;
	}
	if (d != NULL && d->node == NULL) {
		/* Ours (unless a CREATE is still on its way: its claim decides). */
		if (d->ready)
			room_lost(c, d, r.node);
		return;
	}
	struct cluster_peer *p = peer_find(c, r.node, true);
	if (p == NULL || r.worker >= CONFIG_MAX_WORKERS)
		return;
	if (d == NULL && (d = directory_add_remote(dir, name, len, r.worker, p)) == NULL)
		return;
	d->node = p;
	d->worker = r.worker;
	d->epoch = r.epoch;
	d->password = r.password;
	d->stale = false;
	atomic_store_explicit(&d->members, r.members, memory_order_relaxed);
}

static void
on_node(struct cluster *c, const struct event *ev)
{
	struct cluster_peer *p = peer_find(c, ev->key, !ev->deleted);
	struct cluster_node n;

	if (p == NULL)
		return;
	if (ev->deleted || cluster_node_parse(ev->data, ev->len, &n) < 0) {
		if (ev->deleted && !p->gone && strcmp(p->name, c->cfg.node) != 0)
			log_ocm(LOG_LEVEL_INFO, OCM_EV_CLUSTER, NULL, NULL, NULL,
			    "cluster: node %s left the cluster", p->name);
		p->gone = ev->deleted;
		p->seen_ms = 0;
		return;
	}
	if (strcmp(p->name, c->cfg.node) == 0 && n.epoch != c->epoch) {
		if (!c->twin_warned)
			log_warnx("cluster: another ocmd also calls itself node %s: give each "
			    "node its own name ([cluster] node)", c->cfg.node);
		c->twin_warned = true;
	}
	if (p->gone)
		log_ocm(LOG_LEVEL_INFO, OCM_EV_CLUSTER, NULL, NULL, NULL,
		    "cluster: node %s is back", p->name);
	p->gone = false;
	p->rec = n;
	p->seen_ms = ev_now(c->srv->loop);
}

/* The room watch starts over: what it does not send again is gone. */
static void
on_resync(struct cluster *c, bool begin)
{
	struct directory *dir = &c->srv->dir;
	struct dir_room *d = directory_first(dir), *next;

	for (; d != NULL; d = next) {
		next = directory_next(dir, d);
		if (d->node == NULL)
			continue;
		if (begin)
			d->stale = true;
		else if (d->stale)
			directory_remove(dir, d);
	}
}

static void
on_up(struct cluster *c)
{
	struct directory *dir = &c->srv->dir;
	size_t n = 0;

	if (!cluster_connected(c))
		return;		/* the KV thread says so again once it is */
	for (struct dir_room *d = directory_first(dir); d != NULL; d = directory_next(dir, d))
		if (d->node == NULL && d->ready) {
			room_job(c, JOB_REASSERT, d);
			n++;
		}
	if (c->outage)
		log_ocm(LOG_LEVEL_INFO, OCM_EV_CLUSTER, NULL, NULL, NULL,
		    "cluster: NATS is back after %" PRIu64 " s; claiming this node's %zu rooms again",
		    (ev_now(c->srv->loop) - c->lost_ms) / 1000, n);
	else
		log_ocm(LOG_LEVEL_INFO, OCM_EV_CLUSTER, NULL, NULL, NULL,
		    "cluster: node %s joined through NATS", c->cfg.node);
	c->outage = false;
}

static void
on_down(struct cluster *c)
{
	if (c->outage || atomic_load(&c->connected))
		return;
	c->outage = true;
	c->lost_ms = ev_now(c->srv->loop);
	log_ocm(LOG_LEVEL_WARN, OCM_EV_CLUSTER, NULL, NULL, NULL,
	    "cluster: lost NATS: this node keeps its %zu rooms; CREATE and JOINs for other "
	    "nodes' rooms get 'unavailable' until it is back (reconnecting by itself)",
	    directory_local(&c->srv->dir));
}

/* Hand-offs: CREATE's claim. */

static void
handoff_answer(struct cluster *c, struct handoff *h, void (*done)(struct mail *, void *),
    enum tcrp_code code, const char *fmt, ...) OCM_PRINTF(5, 6);

static void
handoff_answer(struct cluster *c, struct handoff *h, void (*done)(struct mail *, void *),
    enum tcrp_code code, const char *fmt, ...)
{
	va_list ap;

	h->code = code;
	va_start(ap, fmt);
	vsnprintf(h->why_buf, sizeof(h->why_buf), fmt, ap);
	va_end(ap);
	h->why = h->why_buf;
	h->mail.run = done;
	mailbox_post(&c->srv->mail, &h->mail);
}

void
cluster_claim(struct server *srv, struct handoff *h, void (*done)(struct mail *, void *))
{
	struct cluster *c = srv->cluster;
	struct job *j = cluster_job_new(JOB_CLAIM, h->req.room, h->req.room_len);
	struct cluster_room r;

	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", c->cfg.node);
	r.epoch = c->epoch;
	r.worker = h->home->index;
	r.password = h->req.password_len > 0;
	r.members = 1;		/* its creator, once the home admits it */
	if ((j->value = cluster_room_build(&r, &j->value_len)) == NULL) {
		cluster_job_free(j);
		handoff_answer(c, h, done, TCRP_CODE_INTERNAL, "internal error");
		return;
	}
	j->h = h;
	j->done = done;
	cluster_job_post(c, j);
}

static void
on_claimed(struct cluster *c, struct event *ev)
{
	struct handoff *h = ev->h;

	if (ev->code == TCRP_CODE_OK) {
		handoff_answer(c, h, ev->done, TCRP_CODE_OK, "claimed");
		return;
	}
	if (ev->code == TCRP_CODE_ROOM_EXISTS) {
		struct event *holder = ev->len > 0 ? cluster_event_new(EV_ROOM, ev->data, ev->len) : NULL;
		handoff_answer(c, h, ev->done, ev->code, "exists");
		/* The holder's record, for this node's view (the watch sent it
		 * while the name was reserved here); posted after the answer,
		 * whose handoff_settle() removes the reservation. */
		if (holder != NULL) {
			cluster_room_key(h->req.room, h->req.room_len, holder->key);
			cluster_event_post(c, holder);
		}
		return;
	}
	handoff_answer(c, h, ev->done, TCRP_CODE_UNAVAILABLE,
	    "the cluster cannot be reached to claim room '%s'; try again in a moment",
	    h->req.room);
}

void
cluster_room_closed(struct server *srv, const char *name, size_t len)
{
	struct cluster *c = srv->cluster;

	if (c != NULL && !srv->stopping)
		cluster_job_post(c, cluster_job_new(JOB_RELEASE, name, len));
}

/* Hand-offs: a JOIN for another node's room, and the answer. */

static struct pending *
pending_add(struct cluster *c, const char *node)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->id = ++c->next_id;
	p->deadline_ms = ev_now(c->srv->loop) + NATS_WAIT_MS;
	snprintf(p->node, sizeof(p->node), "%s", node);
	p->next = c->pending;
	c->pending = p;
	return p;
}

static struct pending *
pending_take(struct cluster *c, uint64_t id)
{
	for (struct pending **pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct pending *p = *pp;
			*pp = p->next;
			return p;
		}
	return NULL;
}

static natsStatus
request_publish(struct cluster *c, const struct pending *p, const char *what,
    const char *data, size_t len)
{
	char subj[SUBJECT_MAX], reply[SUBJECT_MAX + 24];

	snprintf(subj, sizeof(subj), "ocm.node.%s.%s", p->node, what);
	snprintf(reply, sizeof(reply), "%s.%" PRIu64, c->inbox, p->id);
	return natsConnection_PublishRequest(c->nc, subj, reply, data, (int)len);
}

void
cluster_join(struct server *srv, struct handoff *h, const struct dir_room *d,
    void (*done)(struct mail *, void *))
{
	struct cluster *c = srv->cluster;
	struct cluster_join j;
	struct pending *p = pending_add(c, d->node->name);
	size_t len = 0;
	char *msg = NULL;

	memset(&j, 0, sizeof(j));
	j.req = h->req;
	memcpy(j.token, h->token, sizeof(j.token));
	j.keys = h->keys;
	peer_ip_str(&h->ip, j.ip, sizeof(j.ip));
	snprintf(j.from, sizeof(j.from), "%s", c->cfg.node);
	if (p != NULL)
		msg = cluster_join_build(&j, &len);
	OPENSSL_cleanse(&j, sizeof(j));
	keys_wipe(&h->keys);
	OPENSSL_cleanse(h->req.password, sizeof(h->req.password));
	natsStatus s = msg != NULL ? request_publish(c, p, "join", msg, len) : NATS_NO_MEMORY;
	if (msg != NULL) {
		OPENSSL_cleanse(msg, len);
		free(msg);
	}
	if (s != NATS_OK) {
		if (p != NULL)
			free(pending_take(c, p->id));
		handoff_answer(c, h, done, TCRP_CODE_UNAVAILABLE,
		    "room '%s' is on node %s, which cannot be reached now; try again in a "
		    "moment", h->req.room, d->node->name);
		return;
	}
	p->h = h;
	p->done = done;
}

static void
pending_fail(struct cluster *c, struct pending *p, const char *why)
{
	if (p->h != NULL) {
		handoff_answer(c, p->h, p->done, TCRP_CODE_UNAVAILABLE,
		    "room '%s' is on node %s, which %s; try again in a moment", p->h->req.room,
		    p->node, why);
	} else {
		char line[256];
		snprintf(line, sizeof(line), "node %s %s", p->node, why);
		p->reply(p->arg, ctl_reply_error(CTL_E_INTERNAL, line));
	}
	free(p);
}

static void
on_reply(struct cluster *c, struct event *ev)
{
	const char *dot = strrchr(ev->key, '.');
	struct pending *p = dot != NULL ? pending_take(c, strtoull(dot + 1, NULL, 10)) : NULL;
	struct cluster_join_reply r;

	if (p == NULL)
		return;		/* too late: answered unavailable already */
	if (ev->no_responders) {
		pending_fail(c, p, "does not answer");
		return;
	}
	if (p->h == NULL) {
		char *line = malloc(ev->len + 1);
		if (line != NULL) {
			memcpy(line, ev->data, ev->len);
			line[ev->len] = '\0';
		}
		p->reply(p->arg, line);
		free(p);
		return;
	}
	if (cluster_join_reply_parse(ev->data, ev->len, &r) < 0) {
		pending_fail(c, p, "answered something this node cannot read");
		return;
	}
	struct handoff *h = p->h;
	h->complete = r.complete;
	h->complete_len = r.complete_len;
	r.complete = NULL;
	handoff_answer(c, h, p->done, r.code, "%s", r.message[0] ? r.message : "refused");
	cluster_join_reply_clear(&r);
	free(p);
}

static void
pending_expire(struct cluster *c, bool all)
{
	uint64_t now = ev_now(c->srv->loop);

	for (struct pending **pp = &c->pending; *pp != NULL;) {
		struct pending *p = *pp;
		if (!all && p->deadline_ms > now) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		pending_fail(c, p, all ? "could not answer before this node stopped" :
		    "did not answer in time");
	}
}

void
cluster_join_answer(struct server *srv, const char *reply_to,
    const struct cluster_join_reply *r)
{
	struct cluster *c = srv->cluster;
	size_t len;

	if (c == NULL)
		return;
	char *msg = cluster_join_reply_build(r, &len);
	if (msg != NULL)
		natsConnection_Publish(c->nc, reply_to, msg, (int)len);
	free(msg);
}

/* A JOIN handed over to this node: its decider answers. */
static void
on_handed_join(struct cluster *c, struct event *ev)
{
	struct cluster_join j;

	if (ev->reply_to[0] == '\0')
		return;
	if (cluster_join_parse(ev->data, ev->len, &j) < 0) {
		struct cluster_join_reply r;
		OPENSSL_cleanse(ev->data, ev->len);
		log_warnx("cluster: a malformed hand-off on %s: ignored", c->subj_join);
		memset(&r, 0, sizeof(r));
		r.code = TCRP_CODE_INTERNAL;
		snprintf(r.message, sizeof(r.message), "malformed hand-off");
		cluster_join_answer(c->srv, ev->reply_to, &r);
		return;
	}
	OPENSSL_cleanse(ev->data, ev->len);
	c->hooks.join(c->srv, &j, ev->reply_to, c->cfg.advertise, c->udp_port);
	OPENSSL_cleanse(&j, sizeof(j));
}

/* Forwarded control commands. */

int
cluster_control_forward(struct server *srv, const struct dir_room *d, const char *cmd,
    json_t *args, const struct ucred *peer, void (*reply)(void *, char *), void *arg)
{
	struct cluster *c = srv->cluster;

	if (!cluster_up(srv) || d->node == NULL)
		return -1;
	struct pending *p = pending_add(c, d->node->name);
	json_t *req = json_pack("{s:s, s:I, s:I, s:s, s:O}", "from", c->cfg.node, "uid",
	    (json_int_t)peer->uid, "pid", (json_int_t)peer->pid, "command", cmd, "args", args);
	char *msg = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	natsStatus s = msg != NULL && p != NULL ?
	    request_publish(c, p, "ctl", msg, strlen(msg)) : NATS_NO_MEMORY;

	json_decref(req);
	free(msg);
	if (s != NATS_OK) {
		if (p != NULL)
			free(pending_take(c, p->id));
		return -1;
	}
	p->reply = reply;
	p->arg = arg;
	return 0;
}

void
cluster_control_cancel(struct server *srv, void *arg)
{
	struct cluster *c = srv->cluster;

	if (c == NULL)
		return;
	for (struct pending **pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->h == NULL && (*pp)->arg == arg) {
			struct pending *p = *pp;
			*pp = p->next;
			free(p);
			return;
		}
}

static void
on_ctl(struct cluster *c, struct event *ev)
{
	json_error_t jerr;
	json_t *req = json_loadb((const char *)ev->data, ev->len, 0, &jerr), *args = NULL;
	const char *from = NULL, *name = NULL;
	json_int_t uid = 0, pid = 0;
	const struct ctl_command *cmd;
	json_t *checked = NULL;
	char *reply, *line = NULL, why[256];

	if (ev->reply_to[0] == '\0') {
		json_decref(req);
		return;
	}
	/* Checked as if it had come in here: the same parser. */
	if (req == NULL || json_unpack(req, "{s:s, s:I, s:I, s:s, s:o}", "from", &from, "uid",
	    &uid, "pid", &pid, "command", &name, "args", &args) < 0 ||
	    (line = ctl_request_build(name, args)) == NULL ||
	    ctl_request_parse(line, strlen(line) - 1, &cmd, &checked, why, sizeof(why)) < 0) {
		reply = ctl_reply_error(CTL_E_BAD_REQUEST, "a malformed forwarded command");
	} else {
		struct ucred cred = { .pid = (pid_t)pid, .uid = (uid_t)uid, .gid = 0 };
		log_info("cluster: %s forwarded by node %.63s for uid %u", cmd->name, from,
		    cred.uid);
		reply = c->hooks.ctl(c->srv, cmd, checked, &cred);
	}
	json_decref(checked);
	free(line);
	if (reply != NULL)
		natsConnection_Publish(c->nc, ev->reply_to, reply, (int)strlen(reply));
	free(reply);
	json_decref(req);
}

json_t *
cluster_status(const struct server *srv)
{
	const struct cluster *c = srv->cluster;
	json_t *nodes;
	char url[256] = "";

	if (c == NULL || (nodes = json_array()) == NULL)
		return NULL;
	if (atomic_load(&c->connected))
		natsConnection_GetConnectedUrl(c->nc, url, sizeof(url));
	for (const struct cluster_peer *p = c->peers; p != NULL; p = p->next) {
		bool self = strcmp(p->name, c->cfg.node) == 0;
		json_array_append_new(nodes, json_pack("{s:s, s:b, s:s, s:I, s:I, s:I}", "node",
		    p->name, "alive", self || peer_alive(c, p), "udp_host", p->rec.udp_host,
		    "rooms", (json_int_t)p->rec.rooms, "members", (json_int_t)p->rec.members,
		    "seen_ms_ago", (json_int_t)(p->seen_ms != 0 ?
		    ev_now(srv->loop) - p->seen_ms : 0)));
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:o}", "node", c->cfg.node, "epoch",
	    c->epoch_hex, "nats_connected", cluster_connected(c), "nats_url", url, "advertise",
	    c->cfg.advertise, "nodes", nodes);
}

void
cluster_gauges(const struct server *srv, bool *connected, size_t *nodes, size_t *rooms)
{
	const struct cluster *c = srv->cluster;
	const struct directory *dir = &srv->dir;

	*connected = cluster_connected(c);
	*nodes = 1;
	for (const struct cluster_peer *p = c->peers; p != NULL; p = p->next)
		if (strcmp(p->name, c->cfg.node) != 0 && peer_alive(c, p))
			(*nodes)++;
	*rooms = directory_local(dir);
	for (struct dir_room *d = directory_first(dir); d != NULL; d = directory_next(dir, d))
		if (d->node != NULL && cluster_room_visible(srv, d))
			(*rooms)++;
}

/* The mailbox's side. */

void
cluster_event_run(struct mail *m, void *owner)
{
	struct event *ev = container_of(m, struct event, mail);
	struct server *srv = owner;
	struct cluster *c = srv->cluster;

	if (c == NULL) {
		/* Stopped: only a claim's connection still waits. */
		if (ev->kind == EV_CLAIMED) {
			ev->h->code = TCRP_CODE_UNAVAILABLE;
			ev->h->why = "the node is stopping";
			ev->done(&ev->h->mail, srv);
		}
		free(ev);
		return;
	}
	switch (ev->kind) {
	case EV_UP:
		on_up(c);
		break;
	case EV_DOWN:
		on_down(c);
		break;
	case EV_ROOM:
		on_room(c, ev);
		break;
	case EV_NODE:
		on_node(c, ev);
		break;
	case EV_RESYNC:
	case EV_SYNCED:
		on_resync(c, ev->kind == EV_RESYNC);
		break;
	case EV_LOST: {
		char name[OCM_NAME_MAX + 1];
		size_t len;
		struct dir_room *d;
		if (cluster_room_key_decode(ev->key, strlen(ev->key), name, &len) == 0 &&
		    (d = directory_find(&srv->dir, name, len)) != NULL && d->node == NULL &&
		    d->ready)
			room_lost(c, d, "another");
		break;
	}
	case EV_CLAIMED:
		on_claimed(c, ev);
		break;
	case EV_JOIN:
		on_handed_join(c, ev);
		break;
	case EV_CTL:
		on_ctl(c, ev);
		break;
	case EV_REPLY:
		on_reply(c, ev);
		break;
	}
	free(ev);
}

/* Start and stop. */

static void
cluster_tick(struct ev_timer *t)
{
	struct cluster *c = container_of(t, struct cluster, timer);
	struct directory *dir = &c->srv->dir;
	size_t n = 0;

	pending_expire(c, false);
	for (struct cluster_peer *p = c->peers; p != NULL; p = p->next)
		if (!p->gone && p->seen_ms != 0 && !peer_alive(c, p) && cluster_connected(c)) {
			log_ocm(LOG_LEVEL_WARN, OCM_EV_CLUSTER, NULL, NULL, NULL,
			    "cluster: node %s has not been heard from for %u s: its rooms are "
			    "free to be created again", p->name, c->timeout_s);
			p->gone = true;
		}
	if (++c->ticks % PUBLISH_EVERY == 0) {
		pthread_mutex_lock(&c->lock);
		c->hb.rooms = (uint32_t)directory_local(dir);
		c->hb.members = (uint32_t)atomic_load_explicit(&c->srv->n_members,
		    memory_order_relaxed);
		pthread_mutex_unlock(&c->lock);
		/* Member counts, for other nodes' LIST_ROOMS. */
		for (struct dir_room *d = directory_first(dir);
		    d != NULL && n < PUBLISH_MAX && cluster_connected(c); d = directory_next(dir, d))
			if (d->node == NULL && d->ready && d->announced !=
			    atomic_load_explicit(&d->members, memory_order_relaxed)) {
				room_job(c, JOB_PUBLISH, d);
				n++;
			}
	}
	ev_timer_start(c->srv->loop, t, TICK_MS);
}

static int
nats_options(struct cluster *c, char *err, size_t err_len)
{
	const char *urls[CONFIG_MAX_NATS];
	natsStatus s;

	for (size_t i = 0; i < c->cfg.n_nats; i++)
		urls[i] = c->cfg.nats[i];
	if ((s = natsOptions_Create(&c->opts)) != NATS_OK ||
	    (s = natsOptions_SetServers(c->opts, urls, (int)c->cfg.n_nats)) != NATS_OK ||
	    (s = natsOptions_SetName(c->opts, c->cfg.node)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(c->opts, -1)) != NATS_OK ||
	    (s = natsOptions_SetReconnectWait(c->opts, RECONNECT_WAIT_MS)) != NATS_OK ||
	    (s = natsOptions_SetTimeout(c->opts, NATS_WAIT_MS)) != NATS_OK ||
	    (s = natsOptions_SetPingInterval(c->opts, 1000)) != NATS_OK ||
	    (s = natsOptions_SetMaxPingsOut(c->opts, 2)) != NATS_OK ||
	    /* A hand-off waits for each message: nothing to batch. */
	    (s = natsOptions_SetSendAsap(c->opts, true)) != NATS_OK ||
	    (s = natsOptions_SetRetryOnFailedConnect(c->opts, true, cluster_connected_cb, c)) != NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(c->opts, cluster_connected_cb, c)) != NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(c->opts, cluster_disconnected_cb, c)) != NATS_OK) {
		snprintf(err, err_len, "cluster: NATS options: %s", natsStatus_GetText(s));
		return -1;
	}
	if (c->cfg.credentials[0] != '\0' && (s = natsOptions_SetUserCredentialsFromFiles(c->opts,
	    c->cfg.credentials, NULL)) != NATS_OK) {
		snprintf(err, err_len, "cluster: nats_credentials %s: %s", c->cfg.credentials,
		    nats_GetLastError(NULL));
		return -1;
	}
	if (c->cfg.ca[0] != '\0' && ((s = natsOptions_SetSecure(c->opts, true)) != NATS_OK ||
	    (s = natsOptions_LoadCATrustedCertificates(c->opts, c->cfg.ca)) != NATS_OK)) {
		snprintf(err, err_len, "cluster: nats_ca %s: %s", c->cfg.ca,
		    nats_GetLastError(NULL));
		return -1;
	}
	return 0;
}

static int
nats_subscribe(struct cluster *c, char *err, size_t err_len)
{
	char all[SUBJECT_MAX + 2];
	natsStatus s;

	snprintf(c->subj_join, sizeof(c->subj_join), "ocm.node.%s.join", c->cfg.node);
	snprintf(c->subj_ctl, sizeof(c->subj_ctl), "ocm.node.%s.ctl", c->cfg.node);
	snprintf(c->inbox, sizeof(c->inbox), "_INBOX.ocm.%s.%s", c->cfg.node, c->epoch_hex);
	snprintf(all, sizeof(all), "%s.*", c->inbox);
	if ((s = natsConnection_Subscribe(&c->sub_join, c->nc, c->subj_join, cluster_msg_cb, c)) !=
	    NATS_OK ||
	    (s = natsConnection_Subscribe(&c->sub_ctl, c->nc, c->subj_ctl, cluster_msg_cb, c)) != NATS_OK ||
	    (s = natsConnection_Subscribe(&c->sub_reply, c->nc, all, cluster_msg_cb, c)) != NATS_OK) {
		snprintf(err, err_len, "cluster: cannot subscribe to this node's subjects: %s",
		    natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

static uint16_t
first_port(const struct server *srv)
{
	return srv->n_tcp > 0 ? socket_port(srv->tcp[0].io.fd) : 0;
}

int
cluster_start(struct server *srv, const struct cluster_hooks *hooks, char *err,
    size_t err_len)
{
	const char *url;
	struct cluster *c;
	natsStatus s;

	if (!srv->cfg.cluster.enabled)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, err_len, "cluster: out of memory");
		return -1;
	}
	c->srv = srv;
	c->cfg = srv->cfg.cluster;
	c->timeout_s = srv->cfg.timeout_s;
	c->udp_port = first_port(srv);
	c->hooks = *hooks;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->jobs_tail = &c->jobs;
	/* The incarnation: a restarted node holds nothing its past one did. */
	if (RAND_bytes((unsigned char *)&c->epoch, sizeof(c->epoch)) != 1 || c->epoch == 0)
		c->epoch = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	snprintf(c->epoch_hex, sizeof(c->epoch_hex), "%016" PRIx64, c->epoch);
	c->hb.epoch = c->epoch;
	snprintf(c->hb.udp_host, sizeof(c->hb.udp_host), "%s", c->cfg.advertise);
	c->hb.started_ms = (uint64_t)time(NULL) * 1000;
	srv->cluster = c;
	if (config_cluster_insecure(&srv->cfg, &url))
		log_warnx("cluster: %s is not on this machine and is not TLS: sessions joined "
		    "through another node carry their keys over it; use tls:// and nats_ca "
		    "(and nats_credentials)", url);
	if (nats_Open(-1) != NATS_OK || nats_options(c, err, err_len) < 0)
		goto fail;
	s = natsConnection_Connect(&c->nc, c->opts);
	if (s == NATS_OK) {
		atomic_store(&c->connected, true);
	} else if (s == NATS_NOT_YET_CONNECTED) {
		log_warnx("cluster: cannot reach NATS at %s yet; serving this node's rooms and "
		    "retrying every %d ms", c->cfg.nats[0], RECONNECT_WAIT_MS);
		c->outage = true;
		c->lost_ms = ev_now(srv->loop);
	} else {
		snprintf(err, err_len, "cluster: cannot connect to NATS at %s: %s",
		    c->cfg.nats[0], nats_GetLastError(NULL));
		goto fail;
	}
	if ((s = natsConnection_JetStream(&c->js, c->nc, NULL)) != NATS_OK) {
		snprintf(err, err_len, "cluster: JetStream: %s", natsStatus_GetText(s));
		goto fail;
	}
	if (nats_subscribe(c, err, err_len) < 0)
		goto fail;
	if (pthread_create(&c->kv_thread, NULL, cluster_kv_main, c) != 0)
		goto fail_thread;
	c->kv_started = true;
	for (size_t i = 0; i < 2; i++) {
		c->watch[i].c = c;
		c->watch[i].kind = i == 0 ? EV_ROOM : EV_NODE;
		if (pthread_create(&c->watch[i].thread, NULL, cluster_watch_main, &c->watch[i]) != 0)
			goto fail_thread;
		c->watch[i].started = true;
	}
	ev_timer_init(&c->timer, cluster_tick);
	ev_timer_start(srv->loop, &c->timer, TICK_MS);
	log_info("cluster: node %s (incarnation %s), clients joining through other nodes are "
	    "sent to %s port %u", c->cfg.node, c->epoch_hex, c->cfg.advertise, c->udp_port);
	return 0;
fail_thread:
	snprintf(err, err_len, "cluster: cannot start a thread: %s", strerror(errno));
fail:
	cluster_stop(srv);
	return -1;
}

void
cluster_stop(struct server *srv)
{
	struct cluster *c = srv->cluster;

	if (c == NULL)
		return;
	atomic_store(&c->stop, true);
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->kv_started)
		pthread_join(c->kv_thread, NULL);
	for (size_t i = 0; i < 2; i++)
		if (c->watch[i].started)
			pthread_join(c->watch[i].thread, NULL);
	ev_timer_stop(srv->loop, &c->timer);
	/* Gone at once for the others, not after timeout_s: the names this
	 * node held can be created again. */
	if (cluster_connected(c))
		kvStore_Delete(c->nodes, c->cfg.node);
	pending_expire(c, true);
	natsSubscription_Destroy(c->sub_join);
	natsSubscription_Destroy(c->sub_ctl);
	natsSubscription_Destroy(c->sub_reply);
	if (c->nc != NULL)
		natsConnection_Close(c->nc);
	kvStore_Destroy(c->rooms);
	kvStore_Destroy(c->nodes);
	jsCtx_Destroy(c->js);
	natsConnection_Destroy(c->nc);
	natsOptions_Destroy(c->opts);
	nats_CloseAndWait(NATS_WAIT_MS);
	srv->cluster = NULL;
	while (c->jobs != NULL) {
		struct job *j = c->jobs;
		c->jobs = j->next;
		if (j->kind == JOB_CLAIM) {
			j->h->code = TCRP_CODE_UNAVAILABLE;
			j->h->why = "the node is stopping";
			j->done(&j->h->mail, srv);
		}
		cluster_job_free(j);
	}
	while (c->deferred != NULL) {
		struct job *j = c->deferred;
		c->deferred = j->next;
		cluster_job_free(j);
	}
	for (struct dir_room *d = directory_first(&srv->dir), *next; d != NULL; d = next) {
		next = directory_next(&srv->dir, d);
		if (d->node != NULL)
			directory_remove(&srv->dir, d);
	}
	while (c->peers != NULL) {
		struct cluster_peer *p = c->peers;
		c->peers = p->next;
		free(p);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}
