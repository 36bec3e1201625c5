/*
 * room.c: the room session of a client, driven by a front end's loop (see
 * room.h).  session.c seals and opens the datagrams; this file decides
 * when to send (first PING, keepalive, LEAVE), when the server is lost,
 * and turns received plaintexts into room_ops events through a table of
 * handlers.
 */
#include "client/room.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/text.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Peer text made valid UTF-8 without control characters, for a JSON string
 * or a front end: each bad byte or control character becomes '?' (out:
 * len + 1 bytes).  Format characters (bidi and other invisible ones) are
 * left for the front end, which renders them in its own style through
 * lib/text.h before anyone sees them. */
static void
text_clean(const uint8_t *s, size_t len, bool tab, char *out)
{
	utf8_sanitize(s, len, tab, out, len + 1);
}

void
room_reason_name(uint8_t reason, char buf[32])
{
	const char *name = closed_reason_name(reason);
	size_t i;

	if (name == NULL) {
		snprintf(buf, 32, "reason_%u", reason);
		return;
	}
	for (i = 0; i < 31 && name[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

/* ---- Opening and closing ------------------------------------------------ */

int
room_open(struct room *r, const struct server_opts *o,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX])
{
	memset(r, 0, sizeof(*r));
	r->state = ROOM_RUNNING;
	return udp_session_open(&r->u, o, req, res, err);
}

/*
 * PING, LEAVE, WHO.  A failure (an ICMP error reported on the connected
 * socket) is not reported: the datagram is repeated or the silence of the
 * server is judged by timeout_s.
 */
static void
room_send(struct room *r, uint8_t type)
{
	(void)udp_send_empty(&r->u, type);
	r->last_tx = now_ms();
}

void
room_start(struct room *r, const struct room_ops *ops, void *arg)
{
	static const struct room_ops none;

	r->ops = ops != NULL ? ops : &none;
	r->arg = arg;
	/* The first datagram makes us online; its PONG says so. */
	room_send(r, MSG_C_PING);
	r->last_rx = r->last_tx;
	r->retry_at = r->last_tx + ROOM_PING_RETRY_MS;
}

void
room_close(struct room *r)
{
	free(r->who);
	r->who = NULL;
	r->n_who = 0;
	udp_session_close(&r->u);
}

int
room_fd(const struct room *r)
{
	return r->u.fd;
}

/* ---- Sending ------------------------------------------------------------ */

int
room_say(struct room *r, const char *text, size_t len, char err[CLIENT_ERR_MAX])
{
	if (r->state != ROOM_RUNNING || r->leaving) {
		snprintf(err, CLIENT_ERR_MAX, "message not sent: the session has ended");
		return -1;
	}
	if (len > r->u.max_text) {
		snprintf(err, CLIENT_ERR_MAX, "message not sent: it is %zu bytes long, and at "
		    "most %zu fit in this room", len, r->u.max_text);
		return -1;
	}
	if (!chat_text_valid((const uint8_t *)text, len)) {
		snprintf(err, CLIENT_ERR_MAX, "message not sent: it must be UTF-8 without "
		    "control characters (TAB is allowed)");
		return -1;
	}
	int rc = udp_send_chat(&r->u, text, len);
	r->last_tx = now_ms();
	if (rc < 0) {
		snprintf(err, CLIENT_ERR_MAX, "message not sent: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
room_who(struct room *r)
{
	if (r->state == ROOM_RUNNING && !r->leaving)
		room_send(r, MSG_C_WHO);
}

void
room_leave(struct room *r)
{
	uint64_t now;

	if (r->leaving || r->state != ROOM_RUNNING)
		return;
	r->leaving = true;
	room_send(r, MSG_C_LEAVE);
	now = now_ms();
	r->retry_at = now + ROOM_LEAVE_RETRY_MS;
	r->leave_by = now + ROOM_LEAVE_WAIT_MS;
}

/* ---- Received datagrams ----------------------------------------------- */

/* Anything but CLOSED proves the server has taken us in. */
static void
room_online(struct room *r)
{
	if (r->online)
		return;
	r->online = true;
	if (r->ops->online != NULL)
		r->ops->online(r->arg);
}

static void
on_pong(struct room *r, const struct msg *m)
{
	(void)m;
	room_online(r);
}

static void
on_chat(struct room *r, const struct msg *m)
{
	char name[OCM_NAME_MAX + 1], text[OCM_MAX_DATAGRAM + 1];

	if (m->name_len > OCM_NAME_MAX || m->text_len > OCM_MAX_DATAGRAM)
		return;
	room_online(r);
	text_clean(m->name, m->name_len, false, name);
	text_clean(m->text, m->text_len, true, text);
	if (r->ops->chat != NULL)
		r->ops->chat(r->arg, name, text);
}

static void
on_notice(struct room *r, const struct msg *m)
{
	char name[OCM_NAME_MAX + 1], text[OCM_MAX_DATAGRAM + 1];

	/* A code from a later version is not shown. */
	if (notice_code_name(m->code) == NULL || m->name_len > OCM_NAME_MAX ||
	    m->text_len > OCM_MAX_DATAGRAM)
		return;
	room_online(r);
	text_clean(m->name, m->name_len, false, name);
	text_clean(m->text, m->text_len, false, text);
	if (r->ops->notice != NULL)
		r->ops->notice(r->arg, m->code, name, text);
}

/* A long list spans datagrams flagged MORE; it is handed on once whole. */
static void
on_members(struct room *r, const struct msg *m)
{
	struct msg_iter it;
	const uint8_t *name;
	size_t len;
	uint8_t flags;

	room_online(r);
	msg_iter_init(&it, m);
	while (msg_members_next(&it, &flags, &name, &len) == 1 && r->n_who < ROOM_WHO_MAX) {
		if (len > OCM_NAME_MAX)
			continue;
		struct room_member *w = realloc(r->who, (r->n_who + 1) * sizeof(*w));
		if (w == NULL)
			break;
		r->who = w;
		text_clean(name, len, false, w[r->n_who].name);
		w[r->n_who].host = (flags & MEMBERS_ENTRY_HOST) != 0;
		r->n_who++;
	}
	if (m->code & MEMBERS_FLAG_MORE)
		return;
	if (r->ops->members != NULL)
		r->ops->members(r->arg, r->who, r->n_who);
	free(r->who);
	r->who = NULL;
	r->n_who = 0;
}

static void
on_closed(struct room *r, const struct msg *m)
{
	char text[OCM_MAX_DATAGRAM + 1];

	if (m->text_len > OCM_MAX_DATAGRAM)
		return;
	text_clean(m->text, m->text_len, false, text);
	r->state = m->code == CLOSED_LEFT ? ROOM_LEFT : ROOM_CLOSED;
	if (r->ops->closed != NULL)
		r->ops->closed(r->arg, m->code, text);
}

static void on_batch(struct room *r, const struct msg *m);

static void (*const msg_handlers[256])(struct room *, const struct msg *) = {
	[MSG_S_CHAT] = on_chat,
	[MSG_S_PONG] = on_pong,
	[MSG_S_NOTICE] = on_notice,
	[MSG_S_MEMBERS] = on_members,
	[MSG_S_CLOSED] = on_closed,
	[MSG_S_BATCH] = on_batch,
};

/* One plaintext; what does not parse, or is not for a client, is ignored. */
static void
room_dispatch(struct room *r, const uint8_t *pt, size_t len)
{
	struct msg m;

	if (r->state != ROOM_RUNNING || msg_parse(pt, len, &m) < 0 ||
	    msg_handlers[m.type] == NULL)
		return;
	msg_handlers[m.type](r, &m);
}

/* Records in order, as separate datagrams (msg_parse rejects nesting). */
static void
on_batch(struct room *r, const struct msg *m)
{
	struct msg_iter it;
	const uint8_t *rec;
	size_t len;

	msg_iter_init(&it, m);
	while (msg_batch_next(&it, &rec, &len) == 1)
		room_dispatch(r, rec, len);
}

/*
 * Socket errors are ignored: on a connected UDP socket they are ICMP
 * reports, and whether the server is gone is for timeout_s to say.
 */
void
room_receive(struct room *r)
{
	uint8_t buf[OCM_MAX_DATAGRAM];
	uint8_t *pt;
	long n;

	while (r->state == ROOM_RUNNING && (n = udp_recv(&r->u, buf, &pt)) > 0) {
		r->last_rx = now_ms();
		room_dispatch(r, pt, (size_t)n);
	}
}

/* ---- Timers ------------------------------------------------------------- */

static int
ms_until(uint64_t now, uint64_t when)
{
	if (when <= now)
		return 0;
	return when - now > INT_MAX ? INT_MAX : (int)(when - now);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int
leave_timers(struct room *r, uint64_t now)
{
	if (now >= r->leave_by) {	/* CLOSED(LEFT) lost: we left anyway */
		r->state = ROOM_LEFT;
		return 0;
	}
	if (now >= r->retry_at) {
		room_send(r, MSG_C_LEAVE);
		r->retry_at = now + ROOM_LEAVE_RETRY_MS;
	}
	return ms_until(now, min_u64(r->retry_at, r->leave_by));
}

int
room_timers(struct room *r)
{
	uint64_t now = now_ms();
	uint64_t keepalive = (uint64_t)r->u.keepalive_s * 1000;
	uint64_t timeout = (uint64_t)r->u.timeout_s * 1000;

	if (r->state != ROOM_RUNNING)
		return INT_MAX;
	if (r->leaving)
		return leave_timers(r, now);
	if (now - r->last_rx >= timeout) {
		r->state = ROOM_LOST;
		if (r->ops->lost != NULL)
			r->ops->lost(r->arg, r->u.timeout_s);
		return INT_MAX;
	}
	if (!r->online && now >= r->retry_at) {
		room_send(r, MSG_C_PING);
		r->retry_at = now + ROOM_PING_RETRY_MS;
	}
	if (now - r->last_tx >= keepalive)
		room_send(r, MSG_C_PING);
	uint64_t next = min_u64(r->last_rx + timeout, r->last_tx + keepalive);
	if (!r->online)
		next = min_u64(next, r->retry_at);
	return ms_until(now, next);
}
