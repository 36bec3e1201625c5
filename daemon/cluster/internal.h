/*
 * cluster/internal.h: what the files of the cluster share (cluster.h is
 * its face to the rest of ocmd).  The cluster's code runs on four kinds of
 * thread, a file each: view.c on the main thread (which alone owns the
 * directory and applies everything the others learn), kv.c on the KV
 * thread (the blocking JetStream KV calls and the heartbeat), watch.c on
 * the two watch threads (one per bucket), and events.c on NATS's own
 * threads (its message and connection callbacks, which only post events
 * to the main thread's mailbox).  What a struct's field belongs to is
 * said at the field.
 */
#ifndef OCM_CLUSTER_INTERNAL_H
#define OCM_CLUSTER_INTERNAL_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/cluster/cluster.h"
#include "daemon/base/ev.h"
#include "daemon/base/mailbox.h"
#include "lib/cluster_msg.h"
#include "lib/payload.h"

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
	struct cluster_hooks hooks;	/* JOINs and commands handed over to us */
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

/* Events (events.c): made and posted on any thread, run on the main
 * thread (cluster_event_run, view.c). */
struct event *cluster_event_new(enum event_kind kind, const void *data, size_t len);
void cluster_event_post(struct cluster *c, struct event *e);
void cluster_event_simple(struct cluster *c, enum event_kind kind);
void cluster_event_run(struct mail *m, void *owner);
/* Connected to NATS with both buckets bound (any thread). */
bool cluster_connected(const struct cluster *c);
/* NATS's callbacks (events.c, on NATS's threads). */
void cluster_msg_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure);
void cluster_connected_cb(natsConnection *nc, void *closure);
void cluster_disconnected_cb(natsConnection *nc, void *closure);

/* The KV thread (kv.c): its loop, and its queue of jobs, which the main
 * thread fills (cluster_job_new, cluster_job_post) and it empties. */
void *cluster_kv_main(void *arg);
struct job *cluster_job_new(enum job_kind kind, const char *name, size_t len);
void cluster_job_post(struct cluster *c, struct job *j);
void cluster_job_free(struct job *j);
uint64_t cluster_mono_ms(void);

/* A watch thread (watch.c); arg is its struct watch. */
void *cluster_watch_main(void *arg);

#endif
