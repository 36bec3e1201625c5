/*
 * cluster/kv.c: the KV thread: claims, releases, member counts and the
 * heartbeat, each a blocking JetStream KV call, taken from its queue of
 * jobs.  What it learns goes to the main thread as events.
 */
#include "daemon/cluster/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

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
	cluster_event_simple(c, EV_UP);
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
		*ev = cluster_event_new(EV_CLAIMED, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
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
		struct event *ev = cluster_event_new(EV_LOST, NULL, 0);
		if (ev != NULL)
			memcpy(ev->key, j->key, sizeof(ev->key));
		cluster_event_post(c, ev);
	}
	kvEntry_Destroy(e);
}

void
cluster_job_free(struct job *j)
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
		/* Without an answer, a connection would wait forever. */
		if (ev == NULL && (ev = cluster_event_new(EV_CLAIMED, NULL, 0)) == NULL)
			server_out_of_memory("for a claim's answer");
		ev->code = code;
		ev->h = j->h;
		ev->done = j->done;
		cluster_event_post(c, ev);
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
	cluster_job_free(j);
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

uint64_t
cluster_mono_ms(void)
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
	while (!atomic_load(&c->stop) && c->jobs == NULL && cluster_mono_ms() < due_ms) {
		uint64_t wait = due_ms - cluster_mono_ms();
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

void *
cluster_kv_main(void *arg)
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
		if (cluster_mono_ms() >= due) {
			if (cluster_connected(c))
				kv_heartbeat(c);
			due = cluster_mono_ms() + (cluster_connected(c) ? every : RECONNECT_WAIT_MS);
		}
		struct job *j = kv_next(c, due);
		if (j != NULL)
			kv_run(c, j);
	}
	return NULL;
}

void
cluster_job_post(struct cluster *c, struct job *j)
{
	pthread_mutex_lock(&c->lock);
	j->next = NULL;
	*c->jobs_tail = j;
	c->jobs_tail = &j->next;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}
