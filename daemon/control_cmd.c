/*
 * control_cmd.c: what each control command does (the transport is
 * control.c, the table of commands and their arguments lib/ctl.c).  Every
 * handler reads the server's state or changes it through the relay, and
 * returns a result object or an error; commands that change anything are
 * logged with the peer's uid and pid.
 */
#include "daemon/control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/relay.h"
#include "lib/datagram.h"
#include "lib/log.h"
#include "lib/text.h"

#define REASON_MAX	1024

struct cmd_ctx {
	struct server *srv;
	json_t *args;
	const struct ucred *peer;
	json_t *result;		/* set on success */
	char why[640];		/* set on failure */
};

typedef int cmd_fn(struct cmd_ctx *);

static uint64_t
age_s(const struct server *srv, uint64_t since_ms)
{
	return (ev_now(srv->loop) - since_ms) / 1000;
}

static int
cmd_status(struct cmd_ctx *x)
{
	struct server *srv = x->srv;
	json_t *listeners = json_array();

	for (size_t i = 0; i < srv->n_tcp; i++)
		json_array_append_new(listeners, json_string(srv->tcp[i].text));
	x->result = json_pack("{s:s, s:i, s:i, s:I, s:s, s:o, s:s, s:I, s:I, s:I}",
	    "version", PACKAGE_VERSION, "protocol", CTL_PROTOCOL, "pid", (int)getpid(),
	    "uptime_s", (json_int_t)age_s(srv, srv->started_ms), "fingerprint",
	    srv->fingerprint, "listeners", listeners, "config", srv->config_path,
	    "rooms", (json_int_t)srv->reg->n_rooms, "members", (json_int_t)srv->reg->n_members,
	    "online", (json_int_t)srv->reg->n_online);
	return 0;
}

static int
cmd_list_rooms(struct cmd_ctx *x)
{
	json_t *rooms = json_array();

	for (struct room *r = registry_first_room(x->srv->reg); r != NULL;
	    r = registry_next_room(x->srv->reg, r))
		json_array_append_new(rooms, json_pack("{s:s, s:I, s:I, s:b, s:s, s:I, s:I}",
		    "name", r->name, "members", (json_int_t)r->n_members, "online",
		    (json_int_t)r->n_online, "password", r->has_password, "host",
		    r->host != NULL ? r->host->name : "", "age_s",
		    (json_int_t)age_s(x->srv, r->created_ms), "messages", (json_int_t)r->msgs));
	x->result = json_pack("{s:o}", "rooms", rooms);
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

static struct room *
find_room(struct cmd_ctx *x)
{
	const char *name = ctl_arg(x->args, "room");
	struct room *r = registry_find_room(x->srv->reg, (const uint8_t *)name, strlen(name));

	if (r == NULL)
		snprintf(x->why, sizeof(x->why), "no room named '%.255s'", name);
	return r;
}

static int
cmd_show_room(struct cmd_ctx *x)
{
	struct room *r = find_room(x);
	char addr[INET6_ADDRSTRLEN + 16];

	if (r == NULL)
		return -CTL_E_NO_SUCH_ROOM;
	json_t *members = json_array();
	for (struct member *m = r->first; m != NULL; m = m->next) {
		member_address(m, addr, sizeof(addr));
		json_array_append_new(members, json_pack("{s:s, s:b, s:b, s:s, s:I, s:I, s:I}",
		    "name", m->name, "host", m->host, "online", m->online, "address", addr,
		    "idle_s", (json_int_t)age_s(x->srv, m->last_seen_ms), "messages_in",
		    (json_int_t)m->msgs_in, "messages_out", (json_int_t)m->msgs_out));
	}
	x->result = json_pack("{s:s, s:b, s:I, s:I, s:s, s:o}", "name", r->name, "password",
	    r->has_password, "age_s", (json_int_t)age_s(x->srv, r->created_ms), "messages",
	    (json_int_t)r->msgs, "host", r->host != NULL ? r->host->name : "", "members",
	    members);
	return 0;
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

static int
cmd_kill_room(struct cmd_ctx *x)
{
	const char *reason;
	int rc = get_reason(x, &reason);
	if (rc < 0)
		return rc;
	struct room *r = find_room(x);
	if (r == NULL)
		return -CTL_E_NO_SUCH_ROOM;
	x->result = json_pack("{s:s, s:I}", "room", r->name, "members",
	    (json_int_t)r->n_members);
	log_info("control: kill-room '%s' by uid %u pid %d%s%s", r->name, x->peer->uid,
	    x->peer->pid, reason ? ": " : "", reason ? reason : "");
	relay_room_close_text(x->srv->relay, r, CLOSED_ROOM_KILLED, reason);
	return 0;
}

static int
cmd_kick(struct cmd_ctx *x)
{
	const char *reason, *user = ctl_arg(x->args, "user");
	int rc = get_reason(x, &reason);
	if (rc < 0)
		return rc;
	struct room *r = find_room(x);
	if (r == NULL)
		return -CTL_E_NO_SUCH_ROOM;
	struct member *m = room_find_member(r, user);
	if (m == NULL) {
		snprintf(x->why, sizeof(x->why), "no member '%.255s' in room '%s'", user, r->name);
		return -CTL_E_NO_SUCH_MEMBER;
	}
	x->result = json_pack("{s:s, s:s}", "room", r->name, "user", m->name);
	log_info("control: kick '%s' from '%s' by uid %u pid %d%s%s", m->name, r->name,
	    x->peer->uid, x->peer->pid, reason ? ": " : "", reason ? reason : "");
	relay_member_remove_text(x->srv->relay, m, CLOSED_KICKED, reason);
	return 0;
}

static json_t *
named_counters(const char *const *names, const uint64_t *values, int n)
{
	json_t *o = json_object();
	for (int i = 0; i < n; i++)
		if (names[i] != NULL)
			json_object_set_new(o, names[i], json_integer((json_int_t)values[i]));
	return o;
}

static int
cmd_stats(struct cmd_ctx *x)
{
	const struct counters *st = &x->srv->stats;
	const struct registry *reg = x->srv->reg;
	const char *codes[TCRP_CODE_MAX_];

	for (int i = 0; i < TCRP_CODE_MAX_; i++)
		codes[i] = tcrp_code_str((enum tcrp_code)i);
	x->result = json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o,"
	    " s:I, s:I, s:I, s:I, s:I}",
	    "handshakes", named_counters(handshake_fail_names, st->handshakes_failed,
	    HS_FAIL_MAX_),
	    "requests", named_counters(codes, st->requests, TCRP_CODE_MAX_),
	    "datagrams_in", (json_int_t)st->datagrams_in,
	    "datagrams_out", (json_int_t)st->datagrams_out,
	    "bytes_in", (json_int_t)st->bytes_in, "bytes_out", (json_int_t)st->bytes_out,
	    "send_errors", (json_int_t)st->send_errors,
	    "chats_relayed", (json_int_t)st->chats_relayed,
	    "chats_rejected", (json_int_t)st->chats_rejected,
	    "tokens_expired", (json_int_t)st->tokens_expired,
	    "members_timed_out", (json_int_t)st->members_timed_out,
	    "drops", named_counters(drop_reason_names, st->drops, DROP_MAX_),
	    "rooms", (json_int_t)reg->n_rooms, "members", (json_int_t)reg->n_members,
	    "online", (json_int_t)reg->n_online, "peak_rooms", (json_int_t)reg->peak_rooms,
	    "peak_members", (json_int_t)reg->peak_members);
	if (x->result != NULL)
		json_object_set_new(json_object_get(x->result, "handshakes"), "ok",
		    json_integer((json_int_t)st->handshakes_ok));
	return 0;
}

static int
cmd_reload(struct cmd_ctx *x)
{
	log_info("control: reload by uid %u pid %d", x->peer->uid, x->peer->pid);
	if (server_reload_notify(x->srv) < 0) {
		snprintf(x->why, sizeof(x->why),
		    "the configuration in %s has errors (see the log); nothing changed",
		    x->srv->config_path);
		return -CTL_E_RELOAD_FAILED;
	}
	x->result = json_pack("{s:b, s:I}", "reloaded", 1, "rooms",
	    (json_int_t)x->srv->reg->n_rooms);
	return 0;
}

static const struct {
	const char *name;
	cmd_fn *fn;
} handlers[] = {
	{ "status", cmd_status },
	{ "list-rooms", cmd_list_rooms },
	{ "show-room", cmd_show_room },
	{ "kill-room", cmd_kill_room },
	{ "kick", cmd_kick },
	{ "stats", cmd_stats },
	{ "reload", cmd_reload },
};

char *
control_dispatch(struct server *srv, const struct ctl_command *cmd, json_t *args,
    const struct ucred *peer)
{
	struct cmd_ctx x = { .srv = srv, .args = args, .peer = peer };

	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (strcmp(handlers[i].name, cmd->name) != 0)
			continue;
		int rc = handlers[i].fn(&x);
		if (rc < 0)
			return ctl_reply_error((enum ctl_error)-rc, x.why);
		if (x.result == NULL)
			return ctl_reply_error(CTL_E_INTERNAL, "out of memory");
		return ctl_reply_ok(x.result);
	}
	return ctl_reply_error(CTL_E_UNKNOWN_COMMAND, "command not implemented by this ocmd");
}
