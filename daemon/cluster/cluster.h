/*
 * cluster.h: ocmd as one node of a cluster coordinated through NATS
 * ([cluster] in ocmd.conf; issue 12).  Without [cluster] none of this
 * runs and ocmd never touches NATS.
 *
 * - A room's name is claimed cluster-wide, with its home node, in the
 *   JetStream KV bucket ocm_rooms (atomic create, or an update at the
 *   revision read when the holder is gone).  Each node heartbeats its
 *   record into ocm_nodes, whose entries expire after timeout_s: a node
 *   that dies or is cut off stops owning its rooms that long after.
 * - Every node watches both buckets into its directory, so LIST_ROOMS and
 *   ocmctl list-rooms show the whole cluster from any node.
 * - A JOIN taken by one node for a room homed on another is handed over
 *   by NATS request/reply (ocm.node.HOME.join) with the exported keys; the
 *   home admits it and its COMPLETE names the home's UDP address
 *   (udp_host).  Chat datagrams never pass through NATS.
 * - ocmctl commands about a room homed elsewhere are forwarded to its
 *   home (ocm.node.HOME.ctl).
 *
 * NATS is used from three places: its own threads (message and
 * connection callbacks, which only post to the main thread's mailbox),
 * one thread for the blocking KV calls and the heartbeat, and one that
 * watches the buckets.  Everything they learn is applied on the main
 * thread, which alone owns the directory.
 */
#ifndef OCM_CLUSTER_H
#define OCM_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "daemon/core/server.h"

struct handoff;
struct dir_room;
struct mail;
struct cluster_join;
struct cluster_join_reply;

struct ctl_command;

/* What decides a JOIN another node handed over for a room homed here
 * (serve_adopt_join), on the main thread; it answers through
 * cluster_join_answer(). */
typedef void cluster_join_fn(struct server *srv, const struct cluster_join *j,
    const char *reply_to, const char *udp_host, uint16_t udp_port);
/* What runs a control command another node forwarded here, on the main
 * thread: its reply line (malloc'ed), or NULL. */
typedef char *cluster_ctl_fn(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer);

/* What the cluster hands to the rest of ocmd (given at its start, so that
 * it never calls up into the jobs that use it). */
struct cluster_hooks {
	cluster_join_fn *join;
	cluster_ctl_fn *ctl;
};

#ifdef HAVE_NATS

/* Connects (or keeps trying in the background) and starts the threads;
 * srv->cluster is NULL unless [cluster] is set.  0 or -1 with err set. */
int cluster_start(struct server *srv, const struct cluster_hooks *hooks, char *err,
    size_t err_len);
/* Withdraws this node (its heartbeat record), stops the threads, answers
 * what is still waiting with unavailable.  NULL-safe. */
void cluster_stop(struct server *srv);
/* Connected, with both buckets bound: CREATE and remote JOINs can go. */
bool cluster_up(const struct server *srv);
/* A room homed elsewhere whose node is alive: list it, join it. */
bool cluster_room_visible(const struct server *srv, const struct dir_room *d);
/* The node homing d ("" for this node's rooms outside a cluster). */
const char *cluster_room_node(const struct server *srv, const struct dir_room *d);

/* CREATE: claims h's room for this node; the answer (OK, room_exists or
 * unavailable, in h->code) comes through done on the main thread. */
void cluster_claim(struct server *srv, struct handoff *h, void (*done)(struct mail *, void *));
/* JOIN of d, homed on another node: the home's answer (or unavailable
 * after a timeout) comes through done on the main thread. */
void cluster_join(struct server *srv, struct handoff *h, const struct dir_room *d,
    void (*done)(struct mail *, void *));
/* A room homed here closed: its claim is released. */
void cluster_room_closed(struct server *srv, const char *name, size_t len);
/* The answer to a JOIN handed over to this node, sent to the asking
 * node's reply_to.  Nothing when the cluster is gone (stopping). */
void cluster_join_answer(struct server *srv, const char *reply_to,
    const struct cluster_join_reply *r);

/*
 * ocmctl: a command about a room homed on another node, forwarded there.
 * The reply line (malloc'ed) comes back through reply(arg, line), on the
 * main thread, exactly once, unless cluster_control_cancel(arg) came
 * first.  Returns 0, or -1 (not connected: the caller answers).
 */
int cluster_control_forward(struct server *srv, const struct dir_room *d, const char *cmd,
    json_t *args, const struct ucred *peer, void (*reply)(void *, char *), void *arg);
void cluster_control_cancel(struct server *srv, void *arg);
/* "cluster" of ocmctl status: this node, NATS, the nodes seen. */
json_t *cluster_status(const struct server *srv);
/* For /metrics: NATS connected, nodes alive (this one included), rooms
 * listed cluster-wide. */
void cluster_gauges(const struct server *srv, bool *connected, size_t *nodes, size_t *rooms);

#else

static inline int
cluster_start(struct server *srv, const struct cluster_hooks *hooks, char *err,
    size_t err_len)
{
	(void)srv, (void)hooks, (void)err, (void)err_len;
	return 0;
}

static inline void
cluster_stop(struct server *srv)
{
	(void)srv;
}

static inline bool
cluster_up(const struct server *srv)
{
	(void)srv;
	return false;
}

static inline bool
cluster_room_visible(const struct server *srv, const struct dir_room *d)
{
	(void)srv, (void)d;
	return false;
}

static inline const char *
cluster_room_node(const struct server *srv, const struct dir_room *d)
{
	(void)srv, (void)d;
	return "";
}

static inline void
cluster_claim(struct server *srv, struct handoff *h, void (*done)(struct mail *, void *))
{
	(void)srv, (void)h, (void)done;
}

static inline void
cluster_join(struct server *srv, struct handoff *h, const struct dir_room *d,
    void (*done)(struct mail *, void *))
{
	(void)srv, (void)h, (void)d, (void)done;
}

static inline void
cluster_room_closed(struct server *srv, const char *name, size_t len)
{
	(void)srv, (void)name, (void)len;
}

static inline void
cluster_join_answer(struct server *srv, const char *reply_to,
    const struct cluster_join_reply *r)
{
	(void)srv, (void)reply_to, (void)r;
}

static inline int
cluster_control_forward(struct server *srv, const struct dir_room *d, const char *cmd,
    json_t *args, const struct ucred *peer, void (*reply)(void *, char *), void *arg)
{
	(void)srv, (void)d, (void)cmd, (void)args, (void)peer, (void)reply, (void)arg;
	return -1;
}

static inline void
cluster_control_cancel(struct server *srv, void *arg)
{
	(void)srv, (void)arg;
}

static inline json_t *
cluster_status(const struct server *srv)
{
	(void)srv;
	return NULL;
}

static inline void
cluster_gauges(const struct server *srv, bool *connected, size_t *nodes, size_t *rooms)
{
	(void)srv;
	*connected = false;
	*nodes = *rooms = 0;
}

#endif

#endif
