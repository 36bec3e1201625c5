/*
 * commands.c: what each control command does (the transport is
 * control.c, the table of commands and their arguments lib/ctl.h).  A
 * command about one room runs on the worker that homes it; status and
 * stats read every worker's counters and sizes as they are, without
 * stopping any (core/counters.h); list-rooms asks every worker.  The long
 * lists come a page at a time (lib/ctl.h): list-rooms picks its page
 * from the directory on the main thread, then each worker writes the
 * rows of its own rooms; show-room picks among the members on the room's
 * worker.  Each returns a result object or an error; commands that
 * change anything are logged with the peer's uid and pid.  Everything
 * here runs on the main thread but the functions named *_fn (and
 * home_room), which a worker runs for it through worker_call and say so.
 */
#include "daemon/control/control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cluster/cluster.h"
#include "daemon/base/journal.h"
#include "daemon/base/page.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/worker.h"
#include "lib/datagram.h"
#include "lib/log.h"
#include "lib/text.h"

#define REASON_MAX	1024

struct cmd_ctx {
	struct server *srv;
	const struct ctl_command *cmd;
	json_t *args;
	const struct ucred *peer;
	void *conn;		/* the control connection; NULL: forwarded by another node */
	bool deferred;		/* forwarded to the room's node: control_resume() answers */
	json_t *result;		/* set on success */
	int rc;			/* set by a command run on a worker */
	char why[640];		/* set on failure */
};

typedef int cmd_fn(struct cmd_ctx *);

static uint64_t
age_s(const struct worker *w, uint64_t since_ms)
{
	return (ev_now(w->loop) - since_ms) / 1000;
}

static json_t *
worker_status(const struct server *srv, unsigned i)
{
	const struct worker_sample *s = &srv->samples[i];

	return json_pack("{s:i, s:I, s:I, s:I, s:f, s:f, s:f}", "worker", (int)i,
	    "rooms", (json_int_t)s->rooms, "members", (json_int_t)s->members,
	    "online", (json_int_t)s->online, "datagrams_per_s", s->datagrams_rate,
	    "messages_per_s", s->chats_rate, "cpu", s->cpu_share);
}

static int
cmd_status(struct cmd_ctx *x)
{
	struct server *srv = x->srv;
	json_t *listeners = json_array(), *workers = json_array();
	size_t online = 0;

	for (size_t i = 0; i < srv->n_tcp; i++)
		json_array_append_new(listeners, json_string(srv->tcp[i].text));
	workers_sample(srv);
	for (unsigned i = 0; i < srv->n_workers; i++) {
		online += srv->samples[i].online;
		json_array_append_new(workers, worker_status(srv, i));
	}
	x->result = json_pack("{s:s, s:i, s:i, s:I, s:s, s:o, s:s, s:I, s:I, s:I, s:b, s:o}",
	    "version", PACKAGE_VERSION, "protocol", CTL_PROTOCOL, "pid", (int)getpid(),
	    "uptime_s", (json_int_t)((ev_now(srv->loop) - srv->started_ms) / 1000),
	    "fingerprint", srv->fingerprint, "listeners", listeners, "config",
	    srv->config_path, "rooms", (json_int_t)directory_local(&srv->dir), "members",
	    (json_int_t)atomic_load_explicit(&srv->n_members, memory_order_relaxed),
	    "online", (json_int_t)online, "steering", srv->steering, "workers", workers);
	json_t *cluster = cluster_status(srv);
	if (x->result != NULL && cluster != NULL) {
		json_object_set(x->result, "node", json_object_get(cluster, "node"));
		json_object_set_new(x->result, "nats", json_string(json_is_true(json_object_get(
		    cluster, "nats_connected")) ? "connected" : "disconnected"));
		json_object_set(x->result, "nats_url", json_object_get(cluster, "nats_url"));
		json_object_set(x->result, "advertise", json_object_get(cluster, "advertise"));
		json_object_set(x->result, "nodes", json_object_get(cluster, "nodes"));
	}
	json_decref(cluster);
	return 0;
}

void
control_page_end(json_t *result, const char *key, json_t *rows, bool more,
    const char *next)
{
	json_object_set_new(result, key, rows);
	json_object_set_new(result, "more", json_boolean(more));
	if (more)
		json_object_set_new(result, "next", json_string(next));
}

json_t *
control_room_row(const struct room *r, uint64_t age, unsigned worker, const char *node)
{
	json_t *row = json_pack("{s:s, s:I, s:I, s:b, s:s, s:I, s:I, s:i}", "name", r->name,
	    "members", (json_int_t)r->n_members, "online", (json_int_t)r->n_online,
	    "password", r->has_password, "host", r->host != NULL ? r->host->name : "",
	    "age_s", (json_int_t)age, "messages", (json_int_t)r->msgs, "worker", (int)worker);

	if (row != NULL && node[0] != '\0')
		json_object_set_new(row, "node", json_string(node));
	return row;
}

/* A room another node homes, as the cluster's KV bucket describes it. */
static json_t *
remote_room_row(const struct server *srv, const struct dir_room *d)
{
	return json_pack("{s:s, s:I, s:b, s:i, s:s}", "name", d->name, "members",
	    (json_int_t)atomic_load_explicit(&d->members, memory_order_relaxed), "password",
	    d->password, "worker", (int)d->worker, "node", cluster_room_node(srv, d));
}

/* A room of the page, named here on the main thread; its row is made on
 * its home worker, which alone may read the room. */
struct room_slot {
	char name[OCM_NAME_MAX + 1];
	size_t len;
	unsigned worker;
	bool remote;		/* its row is made from the directory */
	const char *node;	/* this node's name in a cluster, else "" */
	json_t *row;		/* NULL: the room closed since the page was picked */
};

struct room_slots {
	struct room_slot *slot;
	size_t n;
};

/* On each worker (workers_call): it fills the slots of its own rooms and
 * writes only those. */
static void
list_rooms_fn(struct worker *w, void *arg)
{
	struct room_slots *rs = arg;

	for (size_t i = 0; i < rs->n; i++) {
		struct room_slot *s = &rs->slot[i];
		struct room *r;
		if (!s->remote && s->worker == w->index && (r = registry_find_room(w->reg,
		    (const uint8_t *)s->name, s->len)) != NULL)
			s->row = control_room_row(r, age_s(w, r->created_ms), w->index, s->node);
	}
}

/* The page's rooms as the directory (the main thread's) knows them. */
static struct room_slots
rooms_pick(const struct server *srv, struct page *p, bool *more)
{
	const struct directory *dir = &srv->dir;
	struct room_slots rs = { NULL, 0 };

	/* Not a CREATE still on its way, nor a room of a node that is gone. */
	for (struct dir_room *d = directory_first(dir); d != NULL; d = directory_next(dir, d))
		if (d->ready && (d->node == NULL || cluster_room_visible(srv, d)))
			page_offer(p, d->name, d->name_len, d);
	*more = page_sort(p);
	rs.slot = calloc(p->n + 1, sizeof(*rs.slot));
	for (size_t i = 0; rs.slot != NULL && i < p->n; i++) {
		const struct dir_room *d = p->heap[i].item;
		memcpy(rs.slot[i].name, d->name, d->name_len);
		rs.slot[i].len = d->name_len;
		rs.slot[i].worker = d->worker;
		rs.slot[i].node = cluster_room_node(srv, d);
		if ((rs.slot[i].remote = d->node != NULL))
			rs.slot[i].row = remote_room_row(srv, d);
	}
	rs.n = rs.slot != NULL ? p->n : 0;
	return rs;
}

/*
 * One page of rooms: picked from the directory on the main thread (it
 * knows every room), their rows made by the workers that home them, in
 * parallel.  A room that closed in between is left out; "next" is still
 * the last name picked, so the next page starts after it.
 */
static int
cmd_list_rooms(struct cmd_ctx *x)
{
	const struct ctl_list *l = &ctl_lists[CTL_LIST_ROOMS];
	struct room_slots rs;
	struct page p;
	json_t *rows;
	bool more;

	if (page_init(&p, ctl_page_limit(l, x->args), ctl_arg(x->args, "after")) < 0)
		return 0;	/* NULL result: out of memory */
	rs = rooms_pick(x->srv, &p, &more);
	if (rs.slot != NULL && rs.n > 0)
		workers_call(x->srv, list_rooms_fn, &rs);
	rows = json_array();
	for (size_t i = 0; rs.slot != NULL && i < rs.n; i++)
		if (rs.slot[i].row != NULL)
			json_array_append_new(rows, rs.slot[i].row);
	if (rs.slot != NULL && rows != NULL && (x->result = json_object()) != NULL)
		control_page_end(x->result, l->key, rows, more,
		    rs.n > 0 ? rs.slot[rs.n - 1].name : "");
	else
		json_decref(rows);
	free(rs.slot);
	free(p.heap);
	return 0;
}

/* "192.0.2.7:40000" for an online member, the TCRP address otherwise. */
static void
member_address(const struct member *m, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!m->online) {
		peer_ip_str(&m->ip, buf, len);
		return;
	}
	if (m->udp.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &m->udp.in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(m->udp.in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &m->udp.in.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(m->udp.in.sin_port));
	}
}

/*
 * Runs fn on the worker that homes the room named in the arguments: the
 * room is that worker's alone, so the command runs there.  Returns what
 * fn set in x->rc, or no_such_room.
 */
static int
on_home(struct cmd_ctx *x, worker_fn *fn)
{
	const char *name = ctl_arg(x->args, "room");
	struct dir_room *d = directory_find(&x->srv->dir, name, strlen(name));
	struct worker *w = server_room_home(x->srv, name);

	/* Another node's room: its node runs the command (never forwarded
	 * twice: views of the cluster may differ for a moment). */
	if (d != NULL && d->node != NULL && cluster_room_visible(x->srv, d) && x->conn != NULL) {
		if (cluster_control_forward(x->srv, d, x->cmd->name, x->args, x->peer,
		    control_resume, x->conn) < 0) {
			snprintf(x->why, sizeof(x->why), "room '%.255s' is on node %s, which this "
			    "node cannot reach now (NATS); try again, or run ocmctl there", name,
			    cluster_room_node(x->srv, d));
			return -CTL_E_INTERNAL;
		}
		x->deferred = true;
		return 0;
	}
	if (w == NULL) {
		snprintf(x->why, sizeof(x->why), "no room named '%.255s'", name);
		return -CTL_E_NO_SUCH_ROOM;
	}
	worker_call(w, fn, x);
	return x->rc;
}

/* On w's thread: the room on w, or NULL with no_such_room (closed since
 * the lookup). */
static struct room *
home_room(struct worker *w, struct cmd_ctx *x)
{
	const char *name = ctl_arg(x->args, "room");
	struct room *r = registry_find_room(w->reg, (const uint8_t *)name, strlen(name));

	if (r == NULL) {
		snprintf(x->why, sizeof(x->why), "no room named '%.255s'", name);
		x->rc = -CTL_E_NO_SUCH_ROOM;
	}
	return r;
}

json_t *
control_member_row(const struct member *m, uint64_t idle)
{
	char addr[INET6_ADDRSTRLEN + 16];

	member_address(m, addr, sizeof(addr));
	return json_pack("{s:s, s:b, s:b, s:s, s:I, s:I, s:I}", "name", m->name, "host",
	    m->host, "online", m->online, "address", addr, "idle_s", (json_int_t)idle,
	    "messages_in", (json_int_t)m->msgs_in, "messages_out", (json_int_t)m->msgs_out);
}

json_t *
control_room_head(const struct room *r, uint64_t age, unsigned worker)
{
	return json_pack("{s:s, s:b, s:I, s:I, s:s, s:i}", "name", r->name, "password",
	    r->has_password, "age_s", (json_int_t)age, "messages", (json_int_t)r->msgs,
	    "host", r->host != NULL ? r->host->name : "", "worker", (int)worker);
}

/* On the room's worker (worker_call): its members are one list there,
 * and the page is picked there, in the order of their names (not of
 * their joining). */
static void
show_room_fn(struct worker *w, void *arg)
{
	struct cmd_ctx *x = arg;
	const struct ctl_list *l = &ctl_lists[CTL_LIST_MEMBERS];
	struct room *r = home_room(w, x);
	json_t *members;
	struct page p;
	bool more;

	if (r == NULL || page_init(&p, ctl_page_limit(l, x->args), ctl_arg(x->args, "after")) < 0)
		return;		/* no_such_room, or a NULL result: out of memory */
	for (struct member *m = TAILQ_FIRST(&r->members); m != NULL;
	    m = TAILQ_NEXT(m, room_link))
		page_offer(&p, m->name, m->name_len, m);
	more = page_sort(&p);
	members = json_array();
	for (size_t i = 0; i < p.n; i++) {
		const struct member *m = p.heap[i].item;
		json_array_append_new(members, control_member_row(m, age_s(w, m->last_seen_ms)));
	}
	x->result = control_room_head(r, age_s(w, r->created_ms), w->index);
	if (x->result != NULL && members != NULL)
		control_page_end(x->result, l->key, members, more,
		    p.n > 0 ? p.heap[p.n - 1].name : "");
	else
		json_decref(members);
	free(p.heap);
}

static int
cmd_show_room(struct cmd_ctx *x)
{
	return on_home(x, show_room_fn);
}

/* An optional reason: shown to members, so UTF-8 without control
 * characters, and short enough for one CLOSED datagram. */
static int
get_reason(struct cmd_ctx *x, const char **reason)
{
	const char *s = ctl_arg(x->args, "reason");
	size_t n = s != NULL ? strlen(s) : 0;

	*reason = s;
	if (s == NULL || n == 0)
		return 0;
	if (n > REASON_MAX || !chat_text_valid((const uint8_t *)s, n)) {
		snprintf(x->why, sizeof(x->why),
		    "a reason is up to %d bytes of UTF-8 without control characters", REASON_MAX);
		return -CTL_E_BAD_ARGUMENTS;
	}
	return 0;
}

/* On the room's worker (worker_call). */
static void
kill_room_fn(struct worker *w, void *arg)
{
	struct cmd_ctx *x = arg;
	const char *reason = ctl_arg(x->args, "reason");
	struct room *r = home_room(w, x);

	if (r == NULL)
		return;
	x->result = json_pack("{s:s, s:I, s:i}", "room", r->name, "members",
	    (json_int_t)r->n_members, "worker", (int)w->index);
	log_ocm(LOG_LEVEL_INFO, OCM_EV_CONTROL, r->name, NULL, NULL,
	    "control: kill-room '%s' by uid %u pid %d%s%s", r->name, x->peer->uid,
	    x->peer->pid, reason ? ": " : "", reason ? reason : "");
	relay_room_close_text(w->relay, r, CLOSED_ROOM_KILLED, reason);
}

static int
cmd_kill_room(struct cmd_ctx *x)
{
	const char *reason;
	int rc = get_reason(x, &reason);

	return rc < 0 ? rc : on_home(x, kill_room_fn);
}

/* On the room's worker (worker_call). */
static void
kick_fn(struct worker *w, void *arg)
{
	struct cmd_ctx *x = arg;
	const char *reason = ctl_arg(x->args, "reason"), *user = ctl_arg(x->args, "user");
	struct room *r = home_room(w, x);

	if (r == NULL)
		return;
	struct member *m = room_find_member(r, user);
	if (m == NULL) {
		snprintf(x->why, sizeof(x->why), "no member '%.255s' in room '%s'", user, r->name);
		x->rc = -CTL_E_NO_SUCH_MEMBER;
		return;
	}
	x->result = json_pack("{s:s, s:s, s:i}", "room", r->name, "user", m->name, "worker",
	    (int)w->index);
	log_ocm(LOG_LEVEL_INFO, OCM_EV_CONTROL, r->name, m->name, NULL,
	    "control: kick '%s' from '%s' by uid %u pid %d%s%s", m->name, r->name,
	    x->peer->uid, x->peer->pid, reason ? ": " : "", reason ? reason : "");
	relay_member_remove_text(w->relay, m, CLOSED_KICKED, reason);
}

static int
cmd_kick(struct cmd_ctx *x)
{
	const char *reason;
	int rc = get_reason(x, &reason);

	return rc < 0 ? rc : on_home(x, kick_fn);
}

/* Every counter (core/counters.h), then the sizes of now and the peaks; no
 * worker is asked or waited for. */
static int
cmd_stats(struct cmd_ctx *x)
{
	struct server *srv = x->srv;
	struct counts st;
	size_t members, online = 0;

	workers_counters(srv, &st);
	workers_sample(srv);
	for (unsigned i = 0; i < srv->n_workers; i++)
		online += srv->samples[i].online;
	members = atomic_load_explicit(&srv->n_members, memory_order_relaxed);
	x->result = counts_json(&st);
	json_object_set_new(x->result, "rooms",
	    json_integer((json_int_t)directory_local(&srv->dir)));
	json_object_set_new(x->result, "members", json_integer((json_int_t)members));
	json_object_set_new(x->result, "online", json_integer((json_int_t)online));
	json_object_set_new(x->result, "peak_rooms", json_integer((json_int_t)srv->peak_rooms));
	json_object_set_new(x->result, "peak_members",
	    json_integer((json_int_t)srv->peak_members));
	return 0;
}

static int
cmd_reload(struct cmd_ctx *x)
{
	log_info("control: reload by uid %u pid %d", x->peer->uid, x->peer->pid);
	if (x->srv->reload(x->srv) < 0) {
		snprintf(x->why, sizeof(x->why),
		    "the configuration in %s has errors (see the log); nothing changed",
		    x->srv->config_path);
		return -CTL_E_RELOAD_FAILED;
	}
	x->result = json_pack("{s:b, s:I}", "reloaded", 1, "rooms",
	    (json_int_t)directory_local(&x->srv->dir));
	return 0;
}

/* The handler of each row of CTL_COMMANDS (lib/ctl.h): cmd_id, a compile
 * error for a row without one. */
#define CMD_HANDLER(ID, id, ...)	[CTL_CMD_##ID] = cmd_##id,
static cmd_fn *const handlers[CTL_CMD_MAX_] = { CTL_COMMANDS(CMD_HANDLER) };

char control_deferred[] = "";

char *
control_dispatch(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer, void *conn)
{
	struct cmd_ctx x = { .srv = srv, .cmd = cmd, .args = args, .peer = peer, .conn = conn };
	int rc = handlers[cmd->id](&x);

	if (x.deferred)
		return CONTROL_DEFERRED;
	if (rc < 0)
		return ctl_reply_error((enum ctl_error)-rc, x.why);
	if (x.result == NULL)
		return ctl_reply_error(CTL_E_INTERNAL, "out of memory");
	return ctl_reply_ok(x.result);
}
