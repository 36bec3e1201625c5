/*
 * journal.h: ocmd's events with fields, for the journal.  When ocmd's
 * stderr is the journal (a systemd service), each line goes through the
 * journal's native protocol with MESSAGE_ID, OCM_EVENT, OCM_ROOM,
 * OCM_USER and OCM_ADDRESS, so that "journalctl -u ocmd OCM_ROOM=lobby"
 * works; the fields are sent length-prefixed, so no name a peer chose can
 * forge another field.  Elsewhere the lines are as they always were.
 * The IDs are also in ocmd.catalog and ocmd(8): never change one.
 */
#ifndef OCM_JOURNAL_H
#define OCM_JOURNAL_H

#include "lib/log.h"

enum ocm_event {
	OCM_EV_READY,
	OCM_EV_STOPPING,
	OCM_EV_RELOADED,
	OCM_EV_ROOM_CREATED,
	OCM_EV_MEMBER_JOINED,
	OCM_EV_MEMBER_ONLINE,
	OCM_EV_MEMBER_LEFT,
	OCM_EV_SESSION_EXPIRED,
	OCM_EV_ROOM_CLOSED,
	OCM_EV_REQUEST_REFUSED,
	OCM_EV_RATE_LIMITED,
	OCM_EV_REFUSING,
	OCM_EV_REFUSING_ENDED,
	OCM_EV_CONTROL,
	OCM_EV_CLUSTER,
	OCM_EV_MAX_
};

/* Sends every line to the journal when stderr is the journal. */
void journal_init(void);
/* One line about an event; room, user and address may be NULL. */
void log_ocm(enum log_level level, enum ocm_event ev, const char *room, const char *user,
    const char *address, const char *fmt, ...) OCM_PRINTF(6, 7);
/* The message ID and name of ev (for tests and the catalog check). */
const char *ocm_event_id(enum ocm_event ev);
const char *ocm_event_name(enum ocm_event ev);

#endif
