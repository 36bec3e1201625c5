/*
 * journal.c: events as journal entries (see journal.h).  lib/log.c
 * formats and sanitises each line; the sink here sends it with
 * sd_journal_sendv(), one iovec per field.
 */
#include "daemon/base/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "lib/ocm.h"

static const struct {
	const char *name, *id;
} events[OCM_EV_MAX_] = {
	[OCM_EV_READY] = { "ready", "bcb7b7e8758d4885b55a706e912aecc0" },
	[OCM_EV_STOPPING] = { "stopping", "4fe74fb4af054c3dbdef1b505a50af1e" },
	[OCM_EV_RELOADED] = { "reloaded", "b1df1ed1006a4f10be0354d8b6052131" },
	[OCM_EV_ROOM_CREATED] = { "room_created", "71499c20590b450fae22759ee6bd8832" },
	[OCM_EV_MEMBER_JOINED] = { "member_joined", "69b184ef9b5f4d17ba99bc2fdf37c3e1" },
	[OCM_EV_MEMBER_ONLINE] = { "member_online", "3fc1e890673f43a5b56278d4633926ea" },
	[OCM_EV_MEMBER_LEFT] = { "member_left", "c2485ad2e1554d5aa19272757fcbb613" },
	[OCM_EV_SESSION_EXPIRED] = { "session_expired", "3ce4bcaa673245c2af01c3800d971a64" },
	[OCM_EV_ROOM_CLOSED] = { "room_closed", "5d357b05a26b49c59ab7f1f2bc9abce7" },
	[OCM_EV_REQUEST_REFUSED] = { "request_refused", "79fea8fdb4e6414aa978937d66eb89b8" },
	[OCM_EV_RATE_LIMITED] = { "rate_limited", "01ae4032ac534529b27cea060fdcea6f" },
	[OCM_EV_REFUSING] = { "refusing", "24ae0e1c8c16452c96721a0bfaee7645" },
	[OCM_EV_REFUSING_ENDED] = { "refusing_ended", "a11757dd63da48368bcb86b5eb086829" },
	[OCM_EV_CONTROL] = { "control", "83ebd252802b4de5bf3cebe71f97a94d" },
	[OCM_EV_CLUSTER] = { "cluster", "81ff32fcfb7b4b21b62d714b2264f47b" },
};

#define FIELDS_MAX	9

/* "NAME=value" into buf, as one iovec. */
static void
field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *name,
    const char *value)
{
	if (value == NULL)
		return;
	int len = snprintf(buf, size, "%s=%s", name, value);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

static int
journal_sink(enum log_level level, const struct log_event *ev, const char *msg, size_t len)
{
	struct iovec iov[FIELDS_MAX];
	char prio[16], level_digit[2] = { (char)('0' + (int)level), '\0' };
	char id[48], name[48], room[OCM_NAME_MAX + 16], user[OCM_NAME_MAX + 16];
	char addr[96], ident[32], text[1200];
	size_t n = 0;

	snprintf(text, sizeof(text), "MESSAGE=%.*s", (int)len, msg);
	iov[n++] = (struct iovec){ .iov_base = text, .iov_len = strlen(text) };
	field(iov, &n, prio, sizeof(prio), "PRIORITY", level_digit);
	field(iov, &n, ident, sizeof(ident), "SYSLOG_IDENTIFIER", "ocmd");
	if (ev != NULL) {
		field(iov, &n, id, sizeof(id), "MESSAGE_ID", ev->id);
		field(iov, &n, name, sizeof(name), "OCM_EVENT", ev->name);
		field(iov, &n, room, sizeof(room), "OCM_ROOM", ev->room);
		field(iov, &n, user, sizeof(user), "OCM_USER", ev->user);
		field(iov, &n, addr, sizeof(addr), "OCM_ADDRESS", ev->address);
	}
	return sd_journal_sendv(iov, (int)n) < 0 ? -1 : 0;
}

void
journal_init(void)
{
	if (log_to_journal())
		log_set_sink(journal_sink);
}

void
log_ocm(enum log_level level, enum ocm_event e, const char *room, const char *user,
    const char *address, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	struct log_event ev = {
		.id = events[e].id, .name = events[e].name,
		.room = room, .user = user, .address = address,
	};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_event(level, &ev, "%s", msg);
}

const char *
ocm_event_id(enum ocm_event e)
{
	return events[e].id;
}

const char *
ocm_event_name(enum ocm_event e)
{
	return events[e].name;
}
