/*
 * cluster.c: one node of an ocmd cluster (see cluster.h).  The order of
 * the file: the state, the events other threads post to the main thread,
 * the KV thread (claims, releases, member counts, heartbeats), the watch
 * thread, the main thread's view of the cluster, hand-offs both ways,
 * forwarded control commands, and start and stop.
 */
#include "daemon/cluster.h"
#include "daemon/handoff.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/journal.h"
#include "daemon/relay.h"
#include "daemon/worker.h"
#include "lib/cluster_msg.h"
#include "lib/ctl.h"
#include "lib/log.h"
#include "lib/text.h"

#define ROOMS_BUCKET		"ocm_rooms"
#define NODES_BUCKET		"ocm_nodes"
#define NATS_WAIT_MS		2000	/* a KV call; a hand-off's or command's answer */
#define TICK_MS			250	/* pending answers expire; counts are published */
#define PUBLISH_EVERY		4	/* ticks between member count publications */
#define PUBLISH_MAX		256	/* rooms whose count is published per round */
#define WATCH_POLL_MS		200	/* how soon a watch thread sees it must stop */
#define RECONNECT_WAIT_MS	500
#define SUBJECT_MAX		256

/* A node as its heartbeat record last showed it (main thread). */
struct cluster_peer {
	struct cluster_peer *next;
	char name[CLUSTER_NODE_MAX];
	struct cluster_node rec;
	uint64_t seen_ms;		/* when its record was last put; 0: withdrawn */
	bool gone;			/* said so in the log */
};

enum job_kind { JOB_CLAIM, JOB_RELEASE, JOB_PUBLISH, JOB_REASSERT };

/* Work for the KV thread. */
struct job {
	struct job *next;
	enum job_kind kind;
	char key[CLUSTER_KEY_MAX];
	char *value;			/* this node's record of the room */
	size_t value_len;
	struct handoff *h;		/* CLAIM */
	void (*done)(struct mail *, void *);
};

/* An answer this node waits for from another (main thread). */
struct pending {
	struct pending *next;
	uint64_t id, deadline_ms;
	char node[CLUSTER_NODE_MAX];
	struct handoff *h;		/* a JOIN, or NULL for a control command */
	void (*done)(struct mail *, void *);
	void (*reply)(void *, char *);
	void *arg;
};

/* What the other threads tell the main thread (struct event). */
enum event_kind {
	EV_UP,			/* connected (again) */
	EV_DOWN,		/* disconnected */
	EV_ROOM,		/* ocm_rooms: key, record (or deleted) */
	EV_NODE,		/* ocm_nodes: key, record (or deleted) */
	EV_RESYNC,		/* the room watch starts over */
	EV_SYNCED,		/* ... and has sent every room */
	EV_LOST,		/* a room of ours is held by another node now */
	EV_CLAIMED,		/* a CREATE's claim: code, the holder's record */
	EV_JOIN,		/* a JOIN handed over to us */
	EV_CTL,			/* a control command forwarded to us */
	EV_REPLY,		/* an answer to our request */
};

struct cluster {
	struct server *srv;
	struct cluster_config cfg;	/* as at start: [cluster] does not reload */
	uint32_t timeout_s;
	uint64_t epoch;
	char epoch_hex[17];
	uint16_t udp_port;		/* announced to clients joining from elsewhere */
	cluster_join_fn *on_join;	/* decides JOINs handed over to us */
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	kvStore *rooms, *nodes;		/* bound by the KV thread */
	natsSubscription *sub_join, *sub_ctl, *sub_reply;
	char subj_join[SUBJECT_MAX], subj_ctl[SUBJECT_MAX], inbox[SUBJECT_MAX];
	_Atomic bool connected, kv_ready, stop;
	pthread_t kv_thread;
	bool kv_started;
	struct watch {
		struct cluster *c;
		enum event_kind kind;	/* EV_ROOM: ocm_rooms; EV_NODE: ocm_nodes */
		pthread_t thread;
		bool started;
	} watch[2];
	pthread_mutex_t lock;		/* jobs, hb */
	pthread_cond_t cond;
	struct job *jobs, **jobs_tail;
	struct cluster_node hb;		/* this node's heartbeat record */
	struct job *deferred;		/* releases waiting for NATS (KV thread) */
	bool setup_warned;		/* (KV thread) */
	/* Main thread only. */
	struct cluster_peer *peers;
	struct pending *pending;
	uint64_t next_id;
	struct ev_timer timer;
	unsigned ticks;
	bool outage;			/* lost NATS and said so */
	bool twin_warned;		/* another process uses our node name */
	uint64_t lost_ms;
};

/* Events from NATS's threads and ours to the main thread. */

struct event {
	struct mail mail;
	enum event_kind kind;
	bool deleted;		/* EV_ROOM/EV_NODE: the key was deleted or purged */
	bool no_responders;	/* EV_REPLY: nobody listens on that node's subject */
	enum tcrp_code code;	/* EV_CLAIMED */
	struct handoff *h;	/* EV_CLAIMED */
	void (*done)(struct mail *, void *);
	char key[CLUSTER_KEY_MAX];
	char reply_to[SUBJECT_MAX];
	size_t len;
	uint8_t data[];
};

static void event_run(struct mail *m, void *owner);

static struct event *
event_new(enum event_kind kind, const void *data, size_t len)
{
	struct event *e = calloc(1, sizeof(*e) + len + 1);

	if (e == NULL)
		return NULL;
	e->mail.run = event_run;
	e->kind = kind;
	e->len = len;
	if (len > 0)
		memcpy(e->data, data, len);
	return e;
}

static void
event_post(struct cluster *c, struct event *e)
{
	if (e != NULL)
		mailbox_post(&c->srv->mail, &e->mail);
}

static void
event_simple(struct cluster *c, enum event_kind kind)
{
	event_post(c, event_new(kind, NULL, 0));
}

static bool
cluster_connected(const struct cluster *c)
{
	return atomic_load(&c->connected) && atomic_load(&c->kv_ready);
}

/* The KV thread. */

static const char free_record[] = "{\"v\":1,\"free\":true}";

/* Once until it works: it is retried every RECONNECT_WAIT_MS. */
static void
kv_setup_failed(struct cluster *c, const char *bucket)
{
	if (!c->setup_warned)
		log_warnx("cluster: cannot use the JetStream KV bucket %s (%s): is nats-server "
		    "running with JetStream (-js), and may this node's NATS user use it? "
		    "Retrying", bucket, nats_GetLastError(NULL));
	c->setup_warned = true;
}

static void
kv_setup(struct cluster *c)
{
	kvConfig kc;

	kvConfig_Init(&kc);
	kc.Bucket = ROOMS_BUCKET;
	kc.History = 1;
	if (c->rooms == NULL && js_CreateKeyValue(&c->rooms, c->js, &kc) != NATS_OK &&
	    js_KeyValue(&c->rooms, c->js, ROOMS_BUCKET) != NATS_OK) {
		c->rooms = NULL;
		kv_setup_failed(c, ROOMS_BUCKET);
		return;
	}
	kvConfig_Init(&kc);
	kc.Bucket = NODES_BUCKET;
	kc.History = 1;
	kc.TTL = (int64_t)c->timeout_s * 1000000000;	/* nats.c 3.4 takes nanoseconds */
	if (c->nodes == NULL && js_CreateKeyValue(&c->nodes, c->js, &kc) != NATS_OK &&
	    js_KeyValue(&c->nodes, c->js, NODES_BUCKET) != NATS_OK) {
		c->nodes = NULL;
		kv_setup_failed(c, NODES_BUCKET);
		return;
	}
	atomic_store(&c->kv_ready, true);
	event_simple(c, EV_UP);
}

/* Does the node that holds r still hold it: its heartbeat record is
 * there (not expired) with the same incarnation?  Unsure is yes. */
static bool
kv_holder_alive(struct cluster *c, const struct cluster_room *r)
{
	kvEntry *e = NULL;
	struct cluster_node n;
	bool alive;

	if (strcmp(r->node, c->cfg.node) == 0)
		return r->epoch == c->epoch;
	natsStatus s = kvStore_Get(&e, c->nodes, r->node);
	if (s == NATS_NOT_FOUND)
		return false;
	if (s != NATS_OK)
		return true;
	alive = cluster_node_parse(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &n) == 0 &&
	    n.epoch == r->epoch;
	kvEntry_Destroy(e);
	return alive;
}

static bool
record_ours(const struct cluster *c, const struct cluster_room *r)
{
	return !r->free && r->epoch == c->epoch && strcmp(r->node, c->cfg.node) == 0;
}

/* The room's entry: NATS_OK with *e, NATS_NOT_FOUND, or an error. */
static natsStatus
kv_room(struct cluster *c, const char *key, kvEntry **e, struct cluster_room *r)
{
	natsStatus s = kvStore_Get(e, c->rooms, key);

	if (s != NATS_OK)
		return s;
	if (cluster_room_parse(kvEntry_Value(*e), (size_t)kvEntry_ValueLen(*e), r) < 0) {
		memset(r, 0, sizeof(*r));
		r->free = true;		/* garbage holds nothing */
	}
	return NATS_OK;
}

/* CREATE's claim.  On room_exists, the holder's record goes to ev. */
static enum tcrp_code
kv_claim(struct cluster *c, const struct job *j, struct event **ev)
{
	struct cluster_room r;
	kvEntry *e = NULL;
	uint64_t rev;

	if (kvStore_Create(&rev, c->rooms, j->key, j->value, (int)j->value_len) == NATS_OK)
		return TCRP_CODE_OK;
	if (kv_room(c, j->key, &e, &r) != NATS_OK)
		return TCRP_CODE_UNAVAILABLE;
	if (!r.free && kv_holder_alive(c, &r)) {
		*ev = event_new(EV_CLAIMED, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
		kvEntry_Destroy(e);
		return TCRP_CODE_ROOM_EXISTS;
	}
	/* Free, or its holder is gone: ours if nobody else got there first. */
	natsStatus s = kvStore_Update(&rev, c->rooms, j->key, j->value, (int)j->value_len,
	    kvEntry_Revision(e));
	kvEntry_Destroy(e);
	if (s == NATS_OK)
		return TCRP_CODE_OK;
	return atomic_load(&c->connected) ? TCRP_CODE_ROOM_EXISTS : TCRP_CODE_UNAVAILABLE;
}

/* Writes value over the room's record if the record is still ours (a
 * release, a new member count).  Returns 0, or -1 when NATS failed. */
static int
kv_rewrite(struct cluster *c, const struct job *j, const char *value, size_t len)
{
	struct cluster_room r;
	kvEntry *e = NULL;
	uint64_t rev;
	natsStatus s = kv_room(c, j->key, &e, &r);

	if (s == NATS_NOT_FOUND)
		return 0;
	if (s != NATS_OK)
		return -1;
	if (record_ours(c, &r))
		s = kvStore_Update(&rev, c->rooms, j->key, value, (int)len, kvEntry_Revision(e));
	kvEntry_Destroy(e);
	/* A wrong revision means someone else wrote it: not ours to touch. */
	return s == NATS_OK || atomic_load(&c->connected) ? 0 : -1;
}

/* After NATS came back: is the room still ours?  Claims it again when
 * nobody took it meanwhile; says EV_LOST when somebody did. */
static void
kv_reassert(struct cluster *c, const struct job *j)
{
	struct cluster_room r;
	kvEntry *e = NULL;
	uint64_t rev;
	natsStatus s = kv_room(c, j->key, &e, &r);

	if (s == NATS_NOT_FOUND) {
		kvStore_Create(&rev, c->rooms, j->key, j->value, (int)j->value_len);
		return;
	}
	if (s != NATS_OK)
		return;
	if (record_ours(c, &r) || r.free || !kv_holder_alive(c, &r)) {
		kvStore_Update(&rev, c->rooms, j->key, j->value, (int)j->value_len,
		    kvEntry_Revision(e));
	} else {
		struct event *ev = event_new(EV_LOST, NULL, 0);
		if (ev != NULL)
			memcpy(ev->key, j->key, sizeof(ev->key));
		event_post(c, ev);
	}
	kvEntry_Destroy(e);
}

static void
job_free(struct job *j)
{
	free(j->value);
	free(j);
}

static void
kv_run(struct cluster *c, struct job *j)
{
	struct event *ev = NULL;
	bool up = cluster_connected(c);

	switch (j->kind) {
	case JOB_CLAIM: {
		enum tcrp_code code = up ? kv_claim(c, j, &ev) : TCRP_CODE_UNAVAILABLE;
		if (ev == NULL && (ev = event_new(EV_CLAIMED, NULL, 0)) == NULL)
			fatalx("out of memory");	/* or a connection waits forever */
		ev->code = code;
		ev->h = j->h;
		ev->done = j->done;
		event_post(c, ev);
		break;
	}
	case JOB_RELEASE:
		if (!up || kv_rewrite(c, j, free_record, sizeof(free_record) - 1) < 0) {
			/* Released once NATS is back: the name must not stay taken. */
			j->next = c->deferred;
			c->deferred = j;
			return;
		}
		break;
	case JOB_PUBLISH:
		if (up)
			kv_rewrite(c, j, j->value, j->value_len);
		break;
	case JOB_REASSERT:
		if (up)
			kv_reassert(c, j);
		break;
	}
	job_free(j);
}

static void
kv_heartbeat(struct cluster *c)
{
	struct cluster_node hb;
	size_t len;
	char *rec;

	pthread_mutex_lock(&c->lock);
	hb = c->hb;
	pthread_mutex_unlock(&c->lock);
	if ((rec = cluster_node_build(&hb, &len)) == NULL)
		return;
	kvStore_Put(NULL, c->nodes, c->cfg.node, rec, (int)len);
	free(rec);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for a job, or until the next heartbeat is due (then NULL). */
static struct job *
kv_next(struct cluster *c, uint64_t due_ms)
{
	struct job *j = NULL;

	pthread_mutex_lock(&c->lock);
	while (!atomic_load(&c->stop) && c->jobs == NULL && mono_ms() < due_ms) {
		uint64_t wait = due_ms - mono_ms();
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	if (!atomic_load(&c->stop) && (j = c->jobs) != NULL) {
		c->jobs = j->next;
		if (c->jobs == NULL)
			c->jobs_tail = &c->jobs;
	}
	pthread_mutex_unlock(&c->lock);
	return j;
}

static void *
kv_main(void *arg)
{
	struct cluster *c = arg;
	/* A third of the expiry: two heartbeats may be lost in a row. */
	uint64_t every = (uint64_t)c->timeout_s * 1000 / 3, due = 0;

	while (!atomic_load(&c->stop)) {
		if (!atomic_load(&c->kv_ready) && atomic_load(&c->connected))
			kv_setup(c);
		if (cluster_connected(c) && c->deferred != NULL) {
			struct job *d = c->deferred;
			c->deferred = NULL;
			while (d != NULL) {
				struct job *next = d->next;
				kv_run(c, d);
				d = next;
			}
		}
		if (mono_ms() >= due) {
			if (cluster_connected(c))
				kv_heartbeat(c);
			due = mono_ms() + (cluster_connected(c) ? every : RECONNECT_WAIT_MS);
		}
		struct job *j = kv_next(c, due);
		if (j != NULL)
			kv_run(c, j);
	}
	return NULL;
}

static void
job_post(struct cluster *c, struct job *j)
{
	pthread_mutex_lock(&c->lock);
	j->next = NULL;
	*c->jobs_tail = j;
	c->jobs_tail = &j->next;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* The watch thread. */

static void
watch_entry(struct cluster *c, enum event_kind kind, kvEntry *e)
{
	kvOperation op = kvEntry_Operation(e);
	const char *key = kvEntry_Key(e);
	struct event *ev;

	if (strlen(key) >= CLUSTER_KEY_MAX)
		return;
	ev = op == kvOp_Put ? event_new(kind, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e)) :
	    event_new(kind, NULL, 0);
	if (ev == NULL)
		return;
	ev->deleted = op != kvOp_Put;
	strcpy(ev->key, key);
	event_post(c, ev);
}

/* One turn of one watcher: -1 when it failed and must start over. */
static int
watch_poll(struct cluster *c, kvWatcher *w, enum event_kind kind, bool *synced)
{
	kvEntry *e = NULL;
	natsStatus s = kvWatcher_Next(&e, w, WATCH_POLL_MS);

	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK)
		return -1;
	if (e == NULL) {
		if (!*synced && kind == EV_ROOM)
			event_simple(c, EV_SYNCED);
		*synced = true;
		return 0;
	}
	watch_entry(c, kind, e);
	kvEntry_Destroy(e);
	return 0;
}

static void
watch_drop(kvWatcher **w)
{
	if (*w != NULL) {
		kvWatcher_Stop(*w);
		kvWatcher_Destroy(*w);
		*w = NULL;
	}
}

/*
 * One thread per bucket, each blocked on its own watcher, so that a burst
 * of rooms is passed on as fast as NATS delivers it.  The watchers are
 * kept across reconnections: nats.c's ordered consumers take up where
 * they were.  (Stopping one while the library resets it after a
 * reconnection is a use-after-free in libnats 3.4, caught by
 * AddressSanitizer.)
 */
static void *
watch_main(void *arg)
{
	struct watch *wt = arg;
	struct cluster *c = wt->c;
	kvWatcher *w = NULL;
	bool synced = false;

	while (!atomic_load(&c->stop)) {
		if (!cluster_connected(c)) {
			usleep(WATCH_POLL_MS * 1000);
			continue;
		}
		if (w == NULL) {
			if (kvStore_WatchAll(&w, wt->kind == EV_ROOM ? c->rooms : c->nodes, NULL) !=
			    NATS_OK) {
				w = NULL;
				usleep(RECONNECT_WAIT_MS * 1000);
				continue;
			}
			synced = false;
			if (wt->kind == EV_ROOM)
				event_simple(c, EV_RESYNC);
		}
		if (watch_poll(c, w, wt->kind, &synced) < 0) {
			watch_drop(&w);
			usleep(RECONNECT_WAIT_MS * 1000);
		}
	}
	watch_drop(&w);
	return NULL;
}

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

static struct job *
job_new(enum job_kind kind, const char *name, size_t len)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		fatalx("out of memory");
	j->kind = kind;
	cluster_room_key(name, len, j->key);
	return j;
}

static void
room_job(struct cluster *c, enum job_kind kind, struct dir_room *d)
{
	struct job *j = job_new(kind, d->name, d->name_len);

	if ((j->value = room_record(c, d, &j->value_len)) == NULL) {
		job_free(j);
		return;
	}
	d->announced = atomic_load_explicit(&d->members, memory_order_relaxed);
	job_post(c, j);
}

/* Our room, named in a record another node now holds: it is theirs. */
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
	if (p == NULL || r.worker >= STEER_MAX_WORKERS)
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
	struct job *j = job_new(JOB_CLAIM, h->req.room, h->req.room_len);
	struct cluster_room r;

	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", c->cfg.node);
	r.epoch = c->epoch;
	r.worker = h->home->index;
	r.password = h->req.password_len > 0;
	r.members = 1;		/* its creator, once the home admits it */
	if ((j->value = cluster_room_build(&r, &j->value_len)) == NULL) {
		job_free(j);
		handoff_answer(c, h, done, TCRP_CODE_INTERNAL, "internal error");
		return;
	}
	j->h = h;
	j->done = done;
	job_post(c, j);
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
		struct event *holder = ev->len > 0 ? event_new(EV_ROOM, ev->data, ev->len) : NULL;
		handoff_answer(c, h, ev->done, ev->code, "exists");
		/* The holder's record, for this node's view (the watch sent it
		 * while the name was reserved here); posted after the answer,
		 * whose handoff_settle() removes the reservation. */
		if (holder != NULL) {
			cluster_room_key(h->req.room, h->req.room_len, holder->key);
			event_post(c, holder);
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
		job_post(c, job_new(JOB_RELEASE, name, len));
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
	c->on_join(c->srv, &j, ev->reply_to, c->cfg.advertise, c->udp_port);
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
		reply = control_dispatch(c->srv, cmd, checked, &cred, NULL);
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

static void
event_run(struct mail *m, void *owner)
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

/* NATS's threads. */

static void
msg_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct cluster *c = closure;
	const char *reply = natsMsg_GetReply(msg), *subj = natsMsg_GetSubject(msg);
	enum event_kind kind = sub == c->sub_join ? EV_JOIN : sub == c->sub_ctl ? EV_CTL :
	    EV_REPLY;
	struct event *ev;
	(void)nc;

	ev = event_new(kind, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
	if (ev != NULL) {
		ev->no_responders = kind == EV_REPLY && natsMsg_IsNoResponders(msg);
		if (reply != NULL && strlen(reply) < sizeof(ev->reply_to))
			strcpy(ev->reply_to, reply);
		if (subj != NULL && strlen(subj) < sizeof(ev->key))
			strcpy(ev->key, subj);
		event_post(c, ev);
	}
	natsMsg_Destroy(msg);
}

static void
connected_cb(natsConnection *nc, void *closure)
{
	struct cluster *c = closure;
	(void)nc;

	atomic_store(&c->connected, true);
	/* The KV thread says EV_UP once the buckets are bound; after a
	 * reconnection they still are. */
	if (atomic_load(&c->kv_ready))
		event_simple(c, EV_UP);
	pthread_mutex_lock(&c->lock);
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void
disconnected_cb(natsConnection *nc, void *closure)
{
	struct cluster *c = closure;
	(void)nc;

	atomic_store(&c->connected, false);
	event_simple(c, EV_DOWN);
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
	    (s = natsOptions_SetRetryOnFailedConnect(c->opts, true, connected_cb, c)) != NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(c->opts, connected_cb, c)) != NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(c->opts, disconnected_cb, c)) != NATS_OK) {
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
	if ((s = natsConnection_Subscribe(&c->sub_join, c->nc, c->subj_join, msg_cb, c)) !=
	    NATS_OK ||
	    (s = natsConnection_Subscribe(&c->sub_ctl, c->nc, c->subj_ctl, msg_cb, c)) != NATS_OK ||
	    (s = natsConnection_Subscribe(&c->sub_reply, c->nc, all, msg_cb, c)) != NATS_OK) {
		snprintf(err, err_len, "cluster: cannot subscribe to this node's subjects: %s",
		    natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

static uint16_t
first_port(const struct server *srv)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (srv->n_tcp == 0 || getsockname(srv->tcp[0].io.fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}

int
cluster_start(struct server *srv, cluster_join_fn *on_join, char *err, size_t err_len)
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
	c->on_join = on_join;
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
	if (pthread_create(&c->kv_thread, NULL, kv_main, c) != 0)
		goto fail_thread;
	c->kv_started = true;
	for (size_t i = 0; i < 2; i++) {
		c->watch[i].c = c;
		c->watch[i].kind = i == 0 ? EV_ROOM : EV_NODE;
		if (pthread_create(&c->watch[i].thread, NULL, watch_main, &c->watch[i]) != 0)
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
		job_free(j);
	}
	while (c->deferred != NULL) {
		struct job *j = c->deferred;
		c->deferred = j->next;
		job_free(j);
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
