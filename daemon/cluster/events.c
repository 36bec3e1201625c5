/*
 * cluster/events.c: what the other threads tell the main thread: events
 * (made and posted on any thread) and NATS's own callbacks (on NATS's
 * threads), which only post events.
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

struct event *
cluster_event_new(enum event_kind kind, const void *data, size_t len)
{
	struct event *e = calloc(1, sizeof(*e) + len + 1);

	if (e == NULL)
		return NULL;
	e->mail.run = cluster_event_run;
	e->kind = kind;
	e->len = len;
	if (len > 0)
		memcpy(e->data, data, len);
	return e;
}

void
cluster_event_post(struct cluster *c, struct event *e)
{
	if (e != NULL)
		mailbox_post(&c->srv->mail, &e->mail);
}

void
cluster_event_simple(struct cluster *c, enum event_kind kind)
{
	cluster_event_post(c, cluster_event_new(kind, NULL, 0));
}

bool
cluster_connected(const struct cluster *c)
{
	return atomic_load(&c->connected) && atomic_load(&c->kv_ready);
}

/* NATS's threads. */

void
cluster_msg_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct cluster *c = closure;
	const char *reply = natsMsg_GetReply(msg), *subj = natsMsg_GetSubject(msg);
	enum event_kind kind = sub == c->sub_join ? EV_JOIN : sub == c->sub_ctl ? EV_CTL :
	    EV_REPLY;
	struct event *ev;
	(void)nc;

	ev = cluster_event_new(kind, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
	if (ev != NULL) {
		ev->no_responders = kind == EV_REPLY && natsMsg_IsNoResponders(msg);
		if (reply != NULL && strlen(reply) < sizeof(ev->reply_to))
			strcpy(ev->reply_to, reply);
		if (subj != NULL && strlen(subj) < sizeof(ev->key))
			strcpy(ev->key, subj);
		cluster_event_post(c, ev);
	}
	natsMsg_Destroy(msg);
}

void
cluster_connected_cb(natsConnection *nc, void *closure)
{
	struct cluster *c = closure;
	(void)nc;

	atomic_store(&c->connected, true);
	/* The KV thread says EV_UP once the buckets are bound; after a
	 * reconnection they still are. */
	if (atomic_load(&c->kv_ready))
		cluster_event_simple(c, EV_UP);
	pthread_mutex_lock(&c->lock);
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void
cluster_disconnected_cb(natsConnection *nc, void *closure)
{
	struct cluster *c = closure;
	(void)nc;

	atomic_store(&c->connected, false);
	cluster_event_simple(c, EV_DOWN);
}
